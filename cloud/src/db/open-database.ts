import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type Migration, type MigrationResult, migrate } from './migrate.js';
import { cloudMigrations } from './schema.js';

/**
 * The cloud's relational database: one SQLite file (WAL) under the data dir, shared by the
 * cloud's parts. Each part keeps its tables in a migration namespace of its own:
 *
 *   const cloud = openCloudDatabase(join(dataDir, 'cloud.db'));
 *   cloud.migrate('registry', registryMigrations);   // the registry's tables, beside ours
 *   new RegistryRepository(cloud.db);
 */
export interface CloudDatabase {
  /** The better-sqlite3 handle (foreign keys on). Repositories prepare their statements on it. */
  readonly db: Database.Database;
  readonly path: string;
  /** Applies the namespace's migrations not applied yet (see migrate.ts). */
  migrate(namespace: string, migrations: readonly Migration[]): MigrationResult;
  close(): void;
}

export const cloudDatabaseDefaults = {
  busyTimeoutMs: 5000,
  journalSizeLimitBytes: 16 * 1024 * 1024,
  cacheKiB: 16 * 1024,
} as const;

/**
 * Opens (creating folder and file if needed) the cloud database and brings the cloud's own tables
 * ('cloud' namespace) up to date. ':memory:' gives a private in-memory database (tests).
 * Commits are fsynced (synchronous FULL): the database holds credentials and revocations, and
 * writes to it are few (logins, tokens, one gateway-health update per ingest request).
 */
export function openCloudDatabase(path: string): CloudDatabase {
  if (path === '') throw new Error('the cloud database needs a path');
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: cloudDatabaseDefaults.busyTimeoutMs });
  try {
    if (!inMemory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`${path}: could not switch to WAL mode (journal_mode is ${String(mode)})`);
      db.pragma(`journal_size_limit = ${cloudDatabaseDefaults.journalSizeLimitBytes}`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${cloudDatabaseDefaults.cacheKiB}`);
    migrate(db, 'cloud', cloudMigrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    db,
    path,
    migrate: (namespace, migrations) => migrate(db, namespace, migrations),
    close: () => {
      if (db.open) db.close();
    },
  };
}
