import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The InfluxDB store's dedup ledger: the ids of stored records, in a small SQLite file beside the
 * cloud (16 bytes per UUID id). InfluxDB cannot answer "was this id stored?" cheaply (an id tag
 * would make every record a series; an id field has no index), so the ledger does.
 *
 * Order of a write: points to InfluxDB first, ids to the ledger after. A crash between the two
 * leaves points whose ids the ledger lacks; when the gateway sends them again they are written
 * again onto the very same points (same series, same time: see pointTime), which changes nothing,
 * and reported 'stored' once more. So a replayed batch never stores anything twice.
 *
 * It also holds the rollup work still to do: the (standard, kommune, device, Copenhagen day)s
 * whose daily rollups must be recomputed, written in the same transaction as the ids, so a crash
 * never leaves a stored record out of its day's rollup.
 *
 * The ledger and the database carry the same random epoch (the ledger in its meta table, the
 * database in a marker point). A ledger that does not belong to the database (the database was
 * dropped and created anew, or the ledger file copied from elsewhere) would report records as
 * duplicates that the database does not hold, so it is cleared at open.
 */
/** A device's Copenhagen day whose daily rollup must be recomputed. */
export interface DirtyDay {
  standard: string;
  kommune: string;
  /** Day start, ms. */
  day: number;
  device: string;
}

export class IdLedger {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly addAll: (keys: readonly (Buffer | string)[], dirty: readonly DirtyDay[]) => void;
  private readonly clearAll: (dirty: readonly DirtyDay[]) => void;

  constructor(path: string) {
    if (path === '' || path === ':memory:') throw new Error('the InfluxDB store needs an on-disk ledgerPath');
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: 5000 });
    try {
      if (this.db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new Error(`${path}: could not switch to WAL mode`);
      this.db.pragma('synchronous = FULL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS ids (id BLOB PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS dirty (
          standard TEXT NOT NULL, kommune TEXT NOT NULL, day INTEGER NOT NULL, device TEXT NOT NULL,
          PRIMARY KEY (standard, kommune, day, device)
        ) WITHOUT ROWID;
      `);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.statements = {
      has: this.db.prepare('SELECT 1 FROM ids WHERE id = ?').pluck(),
      add: this.db.prepare('INSERT OR IGNORE INTO ids (id) VALUES (?)'),
      meta: this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      count: this.db.prepare('SELECT count(*) FROM ids').pluck(),
      markDirty: this.db.prepare('INSERT OR IGNORE INTO dirty (standard, kommune, day, device) VALUES (?, ?, ?, ?)'),
      dirty: this.db.prepare('SELECT standard, kommune, day, device FROM dirty ORDER BY standard, kommune, day, device'),
      hasDirty: this.db.prepare('SELECT 1 FROM dirty LIMIT 1').pluck(),
      clearDirty: this.db.prepare('DELETE FROM dirty WHERE standard = ? AND kommune = ? AND day = ? AND device = ?'),
    };
    this.addAll = this.db.transaction((keys: readonly (Buffer | string)[], dirty: readonly DirtyDay[]) => {
      for (const key of keys) this.statements.add.run(key);
      for (const day of dirty) this.statements.markDirty.run(day.standard, day.kommune, day.day, day.device);
    });
    this.clearAll = this.db.transaction((dirty: readonly DirtyDay[]) => {
      for (const day of dirty) this.statements.clearDirty.run(day.standard, day.kommune, day.day, day.device);
    });
  }

  has(key: Buffer | string): boolean {
    return this.statements.has.get(key) !== undefined;
  }

  /** Records the ids of stored records and the device-days whose rollups they change, in one transaction. */
  add(keys: readonly (Buffer | string)[], dirty: readonly DirtyDay[] = []): void {
    if (keys.length > 0 || dirty.length > 0) this.addAll(keys, dirty);
  }

  dirtyDays(): DirtyDay[] {
    return this.statements.dirty.all() as DirtyDay[];
  }

  hasDirtyDays(): boolean {
    return this.statements.hasDirty.get() !== undefined;
  }

  clearDirtyDays(dirty: readonly DirtyDay[]): void {
    if (dirty.length > 0) this.clearAll(dirty);
  }

  get epoch(): string | undefined {
    return this.statements.meta.get('epoch') as string | undefined;
  }

  /** Makes this the ledger of the database with `epoch`, forgetting the ids when it was another's. */
  adopt(epoch: string): number {
    const forgotten = this.epoch === undefined || this.epoch === epoch ? 0 : (this.statements.count.get() as number);
    this.db
      .transaction(() => {
        if (forgotten > 0) this.db.exec('DELETE FROM ids; DELETE FROM dirty');
        this.statements.setMeta.run('epoch', epoch);
      })
      .immediate();
    return forgotten;
  }

  close(): void {
    this.db.close();
  }
}
