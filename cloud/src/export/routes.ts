import type { FastifyInstance } from 'fastify';
import type { CloudRoutes } from '../app.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { CloudServices } from '../services.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import type { ExportTable } from './kommune-archive.js';
import { registerKommuneExport } from './kommune-route.js';
import { type NgsiLdLimits, registerNgsiLdRoutes } from './ngsi-ld-route.js';
import { registerRecordsExport } from './records-route.js';

export interface ExportLimits extends NgsiLdLimits {
  /** Longest [from, to) of GET /api/v1/export/records. */
  maxRangeDays: number;
  /** Size of one file part in the kommune archive. */
  archivePartBytes: number;
}

export const defaultExportLimits: ExportLimits = {
  maxRangeDays: 366,
  maxTemporalDays: 31,
  maxTemporalInstances: 10_000,
  archivePartBytes: 8 * 1024 * 1024,
};

export interface ExportRoutesOptions {
  store: TimeSeriesStore;
  registry: RegistryRepository;
  /** Tables of other parts that belong in the kommune archive (e.g. openDataExportTable). */
  tables?: readonly ExportTable[];
  limits?: Partial<ExportLimits>;
}

/**
 * The export API: records as CSV / NDJSON, an asset as NGSI-LD, and the kommune's whole data as
 * one archive. Every query is scoped to the caller's kommune.
 */
export function exportRoutes(options: ExportRoutesOptions): CloudRoutes {
  const limits = { ...defaultExportLimits, ...options.limits };
  return (app: FastifyInstance, services: CloudServices) => {
    registerRecordsExport(app, services, options.store, limits.maxRangeDays);
    registerNgsiLdRoutes(app, options.store, options.registry, limits);
    registerKommuneExport(app, services, { store: options.store, registry: options.registry, tables: options.tables ?? [], partBytes: limits.archivePartBytes });
  };
}
