import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * SQLite `synchronous` level of a commit, in WAL mode:
 * - `normal`: the commit is written to the WAL (an OS write) but not fsynced. Durable when the
 *   process dies (kill -9, OOM killer, crash): the bytes are in the kernel's page cache. Not
 *   durable when the machine loses power or the kernel panics: the last commits before the next
 *   checkpoint (or kernel write-back, ~30 s) can be lost. The database is never corrupted.
 * - `full`: the WAL is fsynced at every commit; durable against power loss too. Costs one
 *   fsync per commit (≈0.25 ms on a VM's virtio disk, several ms to tens of ms on an SD card).
 */
export type SyncLevel = 'full' | 'normal';

/** Shared tuning of the gateway's SQLite files (queue, dead letters). */
export const sqliteFileDefaults = {
  /** After a checkpoint, the WAL file is truncated to this size if it grew past it. */
  journalSizeLimitBytes: 16 * 1024 * 1024,
  /** How long a write waits for a lock held by another process (e.g. the CLI) before SQLITE_BUSY. */
  busyTimeoutMs: 5000,
} as const;

/**
 * Opens (creating the folder if needed) an SQLite file in WAL mode. `cacheKiB` bounds SQLite's
 * page cache (better-sqlite3's default is 16 MiB per connection, a lot on a Raspberry Pi).
 */
export function openSqliteFile(path: string, cacheKiB: number): Database.Database {
  if (path === '' || path === ':memory:') throw new Error(`an on-disk path is required, got ${JSON.stringify(path)}`);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: sqliteFileDefaults.busyTimeoutMs });
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`${path}: could not switch to WAL mode (journal_mode is ${String(mode)})`);
    db.pragma(`journal_size_limit = ${sqliteFileDefaults.journalSizeLimitBytes}`);
    db.pragma(`cache_size = -${Math.max(64, Math.floor(cacheKiB))}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Tracks the connection's `synchronous` level so that switching between commits costs nothing when unchanged. */
export class SyncSwitch {
  private current: SyncLevel | undefined;

  constructor(private readonly db: Database.Database) {}

  /** Must be called outside a transaction (SQLite refuses to change it inside one). */
  set(level: SyncLevel): void {
    if (level === this.current) return;
    this.db.pragma(`synchronous = ${level === 'full' ? 'FULL' : 'NORMAL'}`);
    this.current = level;
  }
}

/** Reads `PRAGMA user_version`; creates the schema on a new file, refuses a newer format. */
export function ensureSchema(db: Database.Database, what: string, version: number, create: () => void): void {
  const check = (found: number): boolean => {
    if (found === version) return true;
    if (found > version) throw new Error(`${what}: file format ${found} is newer than this gateway understands (${version})`);
    if (found !== 0) throw new Error(`${what}: unknown file format ${found}`);
    return false;
  };
  if (check(db.pragma('user_version', { simple: true }) as number)) return;
  // Another process may be creating it at the same moment: decide again under the write lock.
  db.transaction(() => {
    if (check(db.pragma('user_version', { simple: true }) as number)) return;
    create();
    db.pragma(`user_version = ${version}`);
  }).immediate();
}

export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}
