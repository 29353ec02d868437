import { Readable, pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../api/auth/require-role.js';
import type { Principal } from '../api/principal.js';
import { routeSchema } from '../api/route-schema.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { CloudServices } from '../services.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { type ExportTable, kommuneArchiveEntries } from './kommune-archive.js';
import { tarStream } from './tar.js';

/**
 * GET /api/v1/export/kommune (admin): everything of the caller's kommune as one tar.gz, streamed
 * (kommune-archive.ts says what is in it). The kommune owns its data and can take it elsewhere.
 */
export function registerKommuneExport(
  app: FastifyInstance,
  services: CloudServices,
  sources: { store: TimeSeriesStore; registry: RegistryRepository; tables: readonly ExportTable[]; partBytes: number },
): void {
  app.get(
    '/api/v1/export/kommune',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({
        summary: "Everything of the kommune (registry, every record, audit log) as one tar.gz",
        tags: ['export'],
        security: [{ session: [] }, { apiToken: [] }],
      }),
    },
    async (request, reply) => {
      const kommune = (request.principal as Principal).kommune;
      const now = services.clock();
      services.auditor.record(request, 'export.kommune');
      const entries = kommuneArchiveEntries({
        kommune,
        kommuneName: services.repositories.kommuner.get(kommune)?.name,
        store: sources.store,
        registry: sources.registry,
        audit: services.repositories.audit,
        tables: sources.tables,
        now,
        partBytes: sources.partBytes,
      });
      const archive = pipeline(Readable.from(tarStream(entries)), createGzip(), (error) => {
        if (error) request.log.error({ err: error }, 'kommune export stopped');
      });
      const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 13);
      return reply
        .type('application/gzip')
        .header('content-disposition', `attachment; filename="sensorbro-${kommune}-export-${stamp}Z.tar.gz"`)
        .send(archive);
    },
  );
}
