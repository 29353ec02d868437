import type { FastifyInstance } from 'fastify';
import type { SensorRecord } from '../../../standards/src/index.js';
import { requireRole } from '../api/auth/require-role.js';
import type { Principal } from '../api/principal.js';
import { routeSchema } from '../api/route-schema.js';
import type { CloudServices } from '../services.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { type CsvDialect, csvLine, utf8Bom } from './csv.js';
import { dialectOf, type ExportRecordsQuery, exportRecordsQuery, utc } from './export-query.js';
import { recordCells, recordColumns } from './record-columns.js';
import { lineStream } from './text-stream.js';

async function* csvLines(records: AsyncIterable<SensorRecord>, columns: readonly string[], dialect: CsvDialect, bom: boolean): AsyncGenerator<string> {
  yield (bom ? utf8Bom : '') + csvLine(columns, dialect);
  for await (const record of records) yield csvLine(recordCells(record, columns), dialect);
}

async function* ndjsonLines(records: AsyncIterable<SensorRecord>): AsyncGenerator<string> {
  for await (const record of records) yield `${JSON.stringify(record)}\n`;
}

/** sensorbro-0751-fill-level-v1-2026-01-01_2026-02-01.csv: ASCII only, so it needs no encoding in the header. */
function fileName(kommune: string, query: ExportRecordsQuery): string {
  const what = [query.standard?.replace('/', '-v') ?? 'records', query.assetId, query.deviceId]
    .filter((part): part is string => part !== undefined)
    .map((part) => part.replace(/[^A-Za-z0-9._-]/g, '_'))
    .join('-');
  return `sensorbro-${kommune}-${what}-${utc(query.from).slice(0, 10)}_${utc(query.to).slice(0, 10)}.${query.format}`;
}

/**
 * GET /api/v1/export/records: the records of the caller's kommune in [from, to), streamed from
 * store.raw as CSV (one standard; columns in record-columns.ts) or NDJSON (the records as stored).
 */
export function registerRecordsExport(app: FastifyInstance, services: CloudServices, store: TimeSeriesStore, maxRangeDays: number): void {
  const query = exportRecordsQuery(maxRangeDays);
  app.get(
    '/api/v1/export/records',
    {
      preHandler: requireRole('admin', 'technician', 'energi', 'affald'),
      ...routeSchema({
        summary: 'Records of a time range as CSV or NDJSON, streamed',
        tags: ['export'],
        security: [{ session: [] }, { apiToken: [] }],
        querystring: query,
      }),
    },
    async (request, reply) => {
      const kommune = (request.principal as Principal).kommune;
      const params = request.query as ExportRecordsQuery;
      const records = store.raw({
        kommune,
        from: utc(params.from),
        to: utc(params.to),
        ...(params.standard !== undefined && { standard: params.standard }),
        ...(params.assetId !== undefined && { assetId: params.assetId }),
        ...(params.deviceId !== undefined && { deviceId: params.deviceId }),
      });
      services.auditor.record(request, 'export.records', {
        detail: { format: params.format, from: params.from, to: params.to, standard: params.standard, assetId: params.assetId, deviceId: params.deviceId },
      });
      const lines =
        params.format === 'csv' ? csvLines(records, recordColumns(params.standard!), dialectOf(params), params.bom) : ndjsonLines(records);
      return reply
        .type(params.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName(kommune, params)}"`)
        .send(lineStream(lines));
    },
  );
}
