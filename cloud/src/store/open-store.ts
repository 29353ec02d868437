import { join } from 'node:path';
import { z } from 'zod';
import { type InfluxStoreOptions, openInfluxStore } from './influx/influx-store.js';
import { openSqliteStore, type StoreLogger } from './sqlite/sqlite-store.js';
import type { TimeSeriesStore } from './time-series-store.js';

/**
 * Which store the cloud uses. The embedded SQLite store needs nothing (its file goes to
 * `<dataDir>/store/store.db` unless `dir` or `path` say otherwise); the InfluxDB one needs the
 * server's URL and a database, and keeps its dedup ledger in `<dataDir>/influx-ledger.db` unless
 * `ledgerPath` says otherwise.
 */
export const storeConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('sqlite'),
    dir: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    synchronous: z.enum(['full', 'normal']).optional(),
    cacheMiB: z.number().int().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('influx'),
    url: z.url({ protocol: /^https?$/ }),
    database: z.string().min(1).max(64),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    ledgerPath: z.string().min(1).optional(),
    rawRetention: z.string().regex(/^(INF|\d+[mhdw](\d+[mhdw])*)$/, 'INF or an InfluxQL duration such as 520w').optional(),
    manageSchema: z.boolean().optional(),
  }),
]);

export type StoreConfig = z.infer<typeof storeConfigSchema>;

export interface OpenStoreOptions {
  logger?: StoreLogger;
  /** Where default files go; default `.data`. */
  dataDir?: string;
}

export async function openStore(config: StoreConfig = { kind: 'sqlite' }, options: OpenStoreOptions = {}): Promise<TimeSeriesStore> {
  const checked = storeConfigSchema.parse(config);
  const dataDir = options.dataDir ?? '.data';
  if (checked.kind === 'sqlite') {
    return openSqliteStore({
      ...(checked.path !== undefined ? { path: checked.path } : { dir: checked.dir ?? join(dataDir, 'store') }),
      ...(options.logger !== undefined && { logger: options.logger }),
      ...(checked.synchronous !== undefined && { synchronous: checked.synchronous }),
      ...(checked.cacheMiB !== undefined && { cacheMiB: checked.cacheMiB }),
    });
  }
  const influx: InfluxStoreOptions = {
    url: checked.url,
    database: checked.database,
    ledgerPath: checked.ledgerPath ?? join(dataDir, 'influx-ledger.db'),
    ...(checked.username !== undefined && { username: checked.username }),
    ...(checked.password !== undefined && { password: checked.password }),
    ...(checked.rawRetention !== undefined && { rawRetention: checked.rawRetention }),
    ...(checked.manageSchema !== undefined && { manageSchema: checked.manageSchema }),
    ...(options.logger !== undefined && { logger: options.logger }),
  };
  return openInfluxStore(influx);
}
