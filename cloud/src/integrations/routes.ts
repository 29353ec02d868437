import { z } from 'zod';
import type { LoadedProfiles } from '../../../firmware-profiles/src/index.js';
import type { CloudRoutes } from '../app.js';
import { describeZodError } from '../api/route-schema.js';
import type { CloudDatabase } from '../db/index.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { integrationAdminRoutes } from './admin-routes.js';
import { DeadLetterReplay } from './dead-letter-replay.js';
import { deadLetterRoutes } from './dead-letter-routes.js';
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
  /** Pushes per integration key per minute, else 429 with Retry-After (counted). Default 6,000. */
  ratePerKeyPerMinute?: number;
}

/**
 * 100 pushes a second per key. ChirpStack posts every event (up, status, join, ack, txack, log) and
 * neither it nor OS2iot retries a refused POST, so a 429 loses that uplink: the limit is a guard
 * against a runaway sender (a retry loop, a misconfigured proxy), not traffic shaping. A kommune
 * with 10,000 sensors reporting every 10 minutes averages ~1,000 up events a minute, and devices
 * that report on the hour bunch several thousand into one minute; 6,000 leaves room for that.
 */
export const defaultRatePerKeyPerMinute = 6_000;

const limitsOf = z.object({
  maxBodyBytes: z.number().int().min(1024).default(256 * 1024),
  deadLettersPerKommune: z.number().int().min(1).default(defaultDeadLettersPerKommune),
  ratePerKeyPerMinute: z.number().int().min(1).default(defaultRatePerKeyPerMinute),
});

/**
 * The cloud's other ways in (issue 4): POST /api/v1/integrations/chirpstack?event=… and
 * POST /api/v1/integrations/os2iot for kommuner without our gateway, their keys and dead letters
 * (listed, replayed, deleted).
 * Applies the 'integrations' migrations when called.
 */
export function integrationRoutes(options: IntegrationRoutesOptions): CloudRoutes {
  const parsed = limitsOf.safeParse({
    maxBodyBytes: options.maxBodyBytes,
    deadLettersPerKommune: options.deadLettersPerKommune,
    ratePerKeyPerMinute: options.ratePerKeyPerMinute,
  });
  if (!parsed.success) throw new Error(`integration routes: ${describeZodError(parsed.error)}`);
  const limits = parsed.data;
  options.database.migrate('integrations', integrationMigrations);
  return async (app, services) => {
    const keys = new IntegrationKeys(options.database.db, services.clock);
    const deadLetters = new IntegrationDeadLetters(options.database.db, services.clock, limits.deadLettersPerKommune);
    const ingest = new UplinkIngest(options.registry, options.profiles, options.store, deadLetters, limits.maxBodyBytes);
    await app.register(integrationAdminRoutes, { keys, auditor: services.auditor });
    await app.register(deadLetterRoutes, { deadLetters, replay: new DeadLetterReplay(keys, ingest, deadLetters), auditor: services.auditor });
    await app.register(pushRoutes, { keys, ingest, deadLetters, maxBodyBytes: limits.maxBodyBytes, ratePerKeyPerMinute: limits.ratePerKeyPerMinute, now: services.clock });
  };
}
