import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { SensorRecord } from '../../../../standards/src/index.js';
import { checkRange, checkRangeMany, checkRaw } from '../query-checks.js';
import type { Bucket, LatestQuery, RangeManyQuery, RangeQuery, RawQuery, TimeSeriesStore, WriteOutcome } from '../time-series-store.js';
import { Catalog } from './catalog.js';
import { SqliteQueries } from './queries.js';
import { migrateDayRollups } from './migrate-day-rollups.js';
import { createSchema, ensureSlots, schemaVersion } from './schema.js';
import { SqliteWriter } from './writer.js';

export type StoreLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface SqliteStoreOptions {
  /** Folder of the store; the file is `<dir>/store.db`. One of dir and path. */
  dir?: string;
  /** The store file itself (its folder is created). */
  path?: string;
  logger?: StoreLogger;
  /**
   * Commit durability. Default `full`: the WAL is fsynced at each write() commit, so a batch the
   * ingest API acknowledged survives a power cut (one fsync per batch). `normal` is durable against
   * a process crash only; for bulk loads.
   */
  synchronous?: 'full' | 'normal';
  /** SQLite page cache, MiB (default 64). */
  cacheMiB?: number;
}

/** The embedded store: one SQLite file in WAL mode; see schema.ts for the tables and why. */
export function openSqliteStore(options: SqliteStoreOptions): TimeSeriesStore {
  const path = options.path ?? (options.dir !== undefined ? join(options.dir, 'store.db') : undefined);
  if (path === undefined || path === '' || path === ':memory:') throw new Error('openSqliteStore needs a dir or an on-disk path');
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 5000 });
  let store: SqliteStore;
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`${path}: could not switch to WAL mode (journal_mode is ${String(mode)})`);
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`cache_size = -${Math.max(1, Math.floor(options.cacheMiB ?? 64)) * 1024}`);
    db.pragma('journal_size_limit = 67108864');
    db.pragma('temp_store = MEMORY');
    const { slots, version } = db
      .transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > schemaVersion) throw new Error(`${path}: store format ${version} is newer than this version understands (${schemaVersion})`);
        if (version === 0) {
          createSchema(db);
          db.pragma(`user_version = ${schemaVersion}`);
        }
        return { slots: ensureSlots(db), version };
      })
      .immediate();
    const catalog = new Catalog(db);
    if (version === 1) {
      migrateDayRollups(db, catalog, slots, options.logger);
      db.pragma(`user_version = ${schemaVersion}`);
    }
    store = new SqliteStore(db, new SqliteWriter(db, catalog, slots), new SqliteQueries(db, catalog, slots));
  } catch (error) {
    db.close();
    throw error;
  }
  options.logger?.info({ path }, 'sqlite store open');
  return store;
}

class SqliteStore implements TimeSeriesStore {
  readonly kind = 'sqlite' as const;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly writer: SqliteWriter,
    private readonly queries: SqliteQueries,
  ) {}

  private open(): void {
    if (this.closed) throw new Error('the store is closed');
  }

  async write(records: readonly SensorRecord[]): Promise<WriteOutcome[]> {
    this.open();
    if (records.length === 0) return [];
    return this.writer.write(records);
  }

  async latest(query: LatestQuery): Promise<SensorRecord[]> {
    this.open();
    return this.queries.latest(query);
  }

  async range(query: RangeQuery): Promise<Bucket[]> {
    this.open();
    return this.queries.range(checkRange(query));
  }

  async rangeMany(query: RangeManyQuery): Promise<Bucket[]> {
    this.open();
    return this.queries.rangeMany(checkRangeMany(query));
  }

  raw(query: RawQuery): AsyncIterable<SensorRecord> {
    this.open();
    const checked = checkRaw(query);
    const queries = this.queries;
    const isClosed = () => this.closed;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const record of queries.raw(checked)) {
          if (isClosed()) throw new Error('the store was closed during raw()');
          yield record;
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
