import { z } from 'zod';
import { standardId } from '../../../standards/src/index.js';
import type { CsvDialect } from './csv.js';

const dayMs = 24 * 60 * 60 * 1000;
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time with Z or an offset, e.g. 2026-01-01T00:00:00Z' });
const identifier = z.string().min(1).max(128);

/**
 * The query of GET /api/v1/export/records. CSV needs one standard (each has its own columns);
 * NDJSON takes any mix. `sep`, `decimal` and `bom` shape the CSV for a spreadsheet: a Danish
 * Excel wants sep=semicolon&decimal=comma&bom=true.
 */
export function exportRecordsQuery(maxRangeDays: number) {
  return z
    .strictObject({
      format: z.enum(['csv', 'ndjson']).default('csv'),
      from: instant,
      to: instant,
      standard: standardId.optional(),
      assetId: identifier.optional(),
      deviceId: identifier.optional(),
      sep: z.enum(['comma', 'semicolon']).default('comma'),
      decimal: z.enum(['point', 'comma']).default('point'),
      bom: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
    })
    .superRefine((query, ctx) => {
      const from = Date.parse(query.from);
      const to = Date.parse(query.to);
      if (!(from < to)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
      else if (to - from > maxRangeDays * dayMs) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${maxRangeDays} days after from` });
      if (query.format === 'csv' && query.standard === undefined) {
        ctx.addIssue({ code: 'custom', path: ['standard'], message: 'is required for format=csv (each standard has its own columns); or use format=ndjson' });
      }
      if (query.decimal === 'comma' && query.sep !== 'semicolon') {
        ctx.addIssue({ code: 'custom', path: ['decimal'], message: 'comma needs sep=semicolon (a comma cannot be both)' });
      }
    });
}

export type ExportRecordsQuery = z.infer<ReturnType<typeof exportRecordsQuery>>;

export function dialectOf(query: Pick<ExportRecordsQuery, 'sep' | 'decimal'>): CsvDialect {
  return { separator: query.sep === 'semicolon' ? ';' : ',', decimalComma: query.decimal === 'comma' };
}

/** The UTC instant of an ISO time given with any offset, as the store takes it. */
export function utc(time: string): string {
  return new Date(Date.parse(time)).toISOString();
}
