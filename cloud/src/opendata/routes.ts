import type { FastifyInstance } from 'fastify';
import type { CloudRoutes } from '../app.js';
import type { CloudDatabase } from '../db/open-database.js';
import type { ExportTable } from '../export/kommune-archive.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { CloudServices } from '../services.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { registerOpenDataAdmin } from './admin-routes.js';
import { openDataMigrations } from './migrations.js';
import { type OpenDataLimits, registerOpenDataPublic } from './public-routes.js';
import { PublicDatasetRepository } from './repository.js';

export const defaultOpenDataLimits: OpenDataLimits = { ratePerMinute: 120, maxRangeDays: 31 };

export interface OpenDataOptions {
  store: TimeSeriesStore;
  registry: RegistryRepository;
  /** The cloud's public URL for the catalogue's links; default: each request's scheme and Host. */
  publicBaseUrl?: string;
  limits?: Partial<OpenDataLimits>;
}

/**
 * Open data: the admin API (/api/v1/opendata/datasets) and the public routes (/open/v1/<kommune>/…).
 * Creates its table in the cloud database.
 */
export function openDataRoutes(database: CloudDatabase, options: OpenDataOptions): { routes: CloudRoutes; repository: PublicDatasetRepository } {
  database.migrate('opendata', openDataMigrations);
  const repository = new PublicDatasetRepository(database.db);
  const limits = { ...defaultOpenDataLimits, ...options.limits };
  const routes = (app: FastifyInstance, services: CloudServices) => {
    registerOpenDataAdmin(app, services, repository);
    registerOpenDataPublic(app, services, {
      store: options.store,
      registry: options.registry,
      repository,
      limits,
      ...(options.publicBaseUrl !== undefined && { publicBaseUrl: options.publicBaseUrl }),
    });
  };
  return { routes, repository };
}

/** The published datasets as a table of the kommune export archive (exportRoutes({ tables })). */
export function openDataExportTable(repository: PublicDatasetRepository): ExportTable {
  return { path: 'opendata/datasets', description: 'the datasets published as open data', rows: (kommune) => repository.list(kommune) };
}
