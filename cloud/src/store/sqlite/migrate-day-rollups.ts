import type Database from 'better-sqlite3';
import type { Catalog } from './catalog.js';
import { dayPlace, dayStartOf } from './day-rollups.js';
import { Rollups } from './rollups.js';
import { createDayRollups, type SlotMap } from './schema.js';

export interface MigrationLogger {
  info(fields: object, message: string): void;
}

/**
 * Store format 1 → 2: packs every series' daily rollups of months before its newest into
 * `rollup_days` (see day-rollups.ts). One transaction per month, month after month over all
 * series, which leaves the packed rows where writing them month by month would have. Each step
 * moves rows out of `rollup_1d`, so an interrupted migration goes on where it stopped.
 */
export function migrateDayRollups(db: Database.Database, catalog: Catalog, slots: SlotMap, logger?: MigrationLogger): void {
  db.exec(createDayRollups.replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'));
  const rollups = new Rollups(db, catalog, slots.count);
  const ids = db.prepare('SELECT id FROM series ORDER BY id').pluck().all() as number[];
  const oldest = db.prepare('SELECT min(bucket) FROM rollup_1d WHERE series_id = ?').pluck();
  const newest = db.prepare('SELECT max(bucket) FROM rollup_1d WHERE series_id = ?').pluck();
  // per series: where its newest month, which stays in rollup_1d, starts
  const keepFrom = new Map<number, number>();
  let firstMonth = Infinity;
  let lastMonth = -Infinity;
  for (const id of ids) {
    const first = oldest.get(id) as number | null;
    const last = newest.get(id) as number | null;
    if (first === null || last === null) continue;
    const newestMonth = dayPlace(last).month;
    if (dayPlace(first).month === newestMonth) continue;
    keepFrom.set(id, dayStartOf(newestMonth, 0));
    firstMonth = Math.min(firstMonth, dayPlace(first).month);
    lastMonth = Math.max(lastMonth, newestMonth - 1);
  }
  if (keepFrom.size > 0) logger?.info({ series: keepFrom.size, months: lastMonth - firstMonth + 1 }, 'sqlite store: packing daily rollups of past months (format 1 → 2)');
  for (let month = firstMonth; month <= lastMonth; month++) {
    const start = dayStartOf(month, 0);
    const end = dayStartOf(month + 1, 0);
    db.transaction(() => {
      for (const [id, keep] of keepFrom) if (start < keep) rollups.pack(id, start, Math.min(end, keep));
    }).immediate();
    db.pragma('wal_checkpoint(TRUNCATE)');
    logger?.info({ month: new Date(start + 12 * 3_600_000).toISOString().slice(0, 7) }, 'sqlite store: month packed');
  }
}
