import { randomUUID } from 'node:crypto';
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
 * never leaves a stored record out of its day's rollup. Each mark keeps the earliest observation
 * written since (see rollups.ts). A recomputation takes the marks (moves them to `flushing`, in one
 * transaction) and drops them when done, or puts them back when it fails; marks that writes make
 * meanwhile are new marks, untouched by it. Marks still in `flushing` at open (a crash during a
 * recomputation) are put back.
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
  /**
   * The earliest observation (ms) among the readings marked since the day's rollup was last
   * recomputed; null when not known (marks of an older ledger), which asks for a whole recomputation.
   */
  since: number | null;
}

/** A day to mark, as a write knows it. */
export type DayToMark = DirtyDay & { since: number };

/** Marks taken by one recomputation. */
export interface TakenDays {
  token: string;
  days: DirtyDay[];
}

export class IdLedger {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly addAll: (keys: readonly (Buffer | string)[], dirty: readonly DayToMark[]) => boolean[];
  private readonly takeAll: (token: string) => DirtyDay[];
  private readonly putBackAll: (token: string) => void;

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
          since INTEGER,
          PRIMARY KEY (standard, kommune, day, device)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS flushing (
          token TEXT NOT NULL,
          standard TEXT NOT NULL, kommune TEXT NOT NULL, day INTEGER NOT NULL, device TEXT NOT NULL,
          since INTEGER,
          PRIMARY KEY (token, standard, kommune, day, device)
        ) WITHOUT ROWID;
      `);
      const columns = this.db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('dirty');
      if (!columns.includes('since')) this.db.exec('ALTER TABLE dirty ADD COLUMN since INTEGER');
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
      markDirty: this.db.prepare(
        // min() of a NULL is NULL: an unknown start stays unknown
        'INSERT INTO dirty (standard, kommune, day, device, since) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (standard, kommune, day, device) DO UPDATE SET since = min(since, excluded.since)',
      ),
      dirty: this.db.prepare('SELECT standard, kommune, day, device, since FROM dirty ORDER BY standard, kommune, day, device'),
      isDirty: this.db.prepare('SELECT 1 FROM dirty WHERE standard = ? AND kommune = ? AND day = ? AND device = ?').pluck(),
      hasDirty: this.db.prepare('SELECT EXISTS (SELECT 1 FROM dirty) OR EXISTS (SELECT 1 FROM flushing)').pluck(),
      take: this.db.prepare('INSERT INTO flushing (token, standard, kommune, day, device, since) SELECT ?, standard, kommune, day, device, since FROM dirty'),
      clearDirty: this.db.prepare('DELETE FROM dirty'),
      putBack: this.db.prepare(
        'INSERT INTO dirty (standard, kommune, day, device, since) SELECT standard, kommune, day, device, since FROM flushing WHERE token = ? ' +
          'ON CONFLICT (standard, kommune, day, device) DO UPDATE SET since = min(since, excluded.since)',
      ),
      dropTaken: this.db.prepare('DELETE FROM flushing WHERE token = ?'),
      tokens: this.db.prepare('SELECT DISTINCT token FROM flushing').pluck(),
    };
    this.addAll = this.db.transaction((keys: readonly (Buffer | string)[], dirty: readonly DayToMark[]) => {
      for (const key of keys) this.statements.add.run(key);
      return dirty.map((day) => {
        const fresh = this.statements.isDirty.get(day.standard, day.kommune, day.day, day.device) === undefined;
        this.statements.markDirty.run(day.standard, day.kommune, day.day, day.device, day.since);
        return fresh;
      });
    });
    this.takeAll = this.db.transaction((token: string) => {
      const days = this.statements.dirty.all() as DirtyDay[];
      this.statements.take.run(token);
      this.statements.clearDirty.run();
      return days;
    });
    this.putBackAll = this.db.transaction((token: string) => {
      this.statements.putBack.run(token);
      this.statements.dropTaken.run(token);
    });
    // marks a recomputation had taken when its process ended
    for (const token of this.statements.tokens.all() as string[]) this.putBackAll(token);
  }

  has(key: Buffer | string): boolean {
    return this.statements.has.get(key) !== undefined;
  }

  /**
   * Records the ids of stored records and the device-days whose rollups they change, in one
   * transaction; per day, whether it was not marked before.
   */
  add(keys: readonly (Buffer | string)[], dirty: readonly DayToMark[] = []): boolean[] {
    return keys.length > 0 || dirty.length > 0 ? this.addAll(keys, dirty) : [];
  }

  /** Whether days are marked, or taken by a recomputation not yet done. */
  hasDirtyDays(): boolean {
    return this.statements.hasDirty.get() === 1;
  }

  /** Takes every marked day for a recomputation; then `doneWith` when it is done, or `putBack` when it failed. */
  takeDirtyDays(): TakenDays {
    const token = randomUUID();
    return { token, days: this.takeAll(token) };
  }

  doneWith(taken: TakenDays): void {
    this.statements.dropTaken.run(taken.token);
  }

  putBack(taken: TakenDays): void {
    this.putBackAll(taken.token);
  }

  get epoch(): string | undefined {
    return this.statements.meta.get('epoch') as string | undefined;
  }

  /** Makes this the ledger of the database with `epoch`, forgetting the ids when it was another's. */
  adopt(epoch: string): number {
    const forgotten = this.epoch === undefined || this.epoch === epoch ? 0 : (this.statements.count.get() as number);
    this.db
      .transaction(() => {
        if (forgotten > 0) this.db.exec('DELETE FROM ids; DELETE FROM dirty; DELETE FROM flushing');
        this.statements.setMeta.run('epoch', epoch);
      })
      .immediate();
    return forgotten;
  }

  close(): void {
    this.db.close();
  }
}
