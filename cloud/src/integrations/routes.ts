import type { LoadedProfiles } from '../../../firmware-profiles/src/index.js';
import type { CloudRoutes } from '../app.js';
import type { CloudDatabase } from '../db/index.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { integrationAdminRoutes } from './admin-routes.js';
import { defaultDeadLettersPerKommune, IntegrationDeadLetters } from './dead-letters.js';
import { IntegrationKeys } from './integration-keys.js';
import { integrationMigrations } from './migrations.js';
import { pushRoutes } from './push-routes.js';
import { UplinkIngest } from './uplink-ingest.js';

export interface IntegrationRoutesOptions {
  database: CloudDatabase;
  store: TimeSeriesStore;
  /** The kommune's devices (registryRoutes(database).repository). */
  registry: RegistryRepository;
  /** Loaded once at startup (loadProfiles()); devices name their profile by id. */
  profiles: LoadedProfiles;
  /** Largest push body, else 413. Default 256 KiB (a ChirpStack up event is 1–3 KiB). */
  maxBodyBytes?: number;
  /** Dead letters kept per kommune before the oldest are dropped (and counted). Default 10,000. */
  deadLettersPerKommune?: number;
}

/**
 * The cloud's other ways in (issue 4): POST /api/v1/integrations/chirpstack?event=… and
 * POST /api/v1/integrations/os2iot for kommuner without our gateway, their keys and dead letters.
 * Applies the 'integrations' migrations when called.
 */
export function integrationRoutes(options: IntegrationRoutesOptions): CloudRoutes {
  options.database.migrate('integrations', integrationMigrations);
  return async (app, services) => {
    const keys = new IntegrationKeys(options.database.db, services.clock);
    const deadLetters = new IntegrationDeadLetters(options.database.db, services.clock, options.deadLettersPerKommune ?? defaultDeadLettersPerKommune);
    const ingest = new UplinkIngest(options.registry, options.profiles, options.store, deadLetters);
    await app.register(integrationAdminRoutes, { keys, deadLetters, auditor: services.auditor });
    await app.register(pushRoutes, { keys, ingest, deadLetters, maxBodyBytes: options.maxBodyBytes ?? 256 * 1024, now: services.clock });
  };
}
