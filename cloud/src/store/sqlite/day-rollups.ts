import type Database from 'better-sqlite3';
import type { Summary } from '../summary.js';
import { copenhagenDayStart, defaultTimeZone, offsetMs } from '../zone.js';

/**
 * The daily rollups of past months, packed: one row of `rollup_days` per (series, slot,
 * Europe/Copenhagen month) holding the month's days as 31 entries of 8 little-endian doubles: n,
 * sum, min, max, first, last, inc (sum of positive steps between the day's consecutive values),
 * time of the last value. An entry with n = 0 is a day without values.
 *
 * Why: `rollup_1d` rows of a series, written day by day between every other series' rows, end up
 * about one page per 10 days, spread over the file; a site's year (20 meters) then cost ~700
 * random reads when not cached. Packed, one field's month is one row of ~2 KB (two to a page).
 * `rollup_1d` keeps only each series' newest month, where every reading updates one narrow row
 * (packing the month being written would rewrite a 2 KB row per field per reading); the month is
 * packed when the series' first reading of a later month arrives (rollups.ts).
 *
 * The row key is one integer, ((seriesId × 256) + slot) × 4096 + month, with month counted from
 * January 1970: a field's months are one key range, and rows live in the table's own B-tree
 * (a row of 2 KB would overflow the index B-tree of a WITHOUT ROWID table).
 */

const daysPerRow = 31;
const statsPerDay = 8;
const entryBytes = statsPerDay * 8;
const rowBytes = daysPerRow * entryBytes;
export const maxSlots = 256;
const monthsPerKey = 4096;

/** Per-day statistics of one slot, in entry order. */
export type DayStats = [n: number, sum: number, min: number, max: number, first: number, last: number, inc: number, lastTs: number];

interface DayPlace {
  /** Months since January 1970, local calendar. */
  month: number;
  /** 0-based day of the month. */
  day: number;
}

const places = new Map<number, DayPlace>();

/** Where the Copenhagen day starting at `dayStart` sits: its month and its day in that month. */
export function dayPlace(dayStart: number): DayPlace {
  let place = places.get(dayStart);
  if (!place) {
    const local = new Date(dayStart + offsetMs(defaultTimeZone, dayStart));
    const month = (local.getUTCFullYear() - 1970) * 12 + local.getUTCMonth();
    if (month < 0 || month >= monthsPerKey) throw new RangeError(`day ${new Date(dayStart).toISOString()} is outside the years the store keeps rollups for (1970–2311)`);
    place = { month, day: local.getUTCDate() - 1 };
    if (places.size > 100_000) places.clear();
    places.set(dayStart, place);
  }
  return place;
}

/** Start of the Copenhagen day `day` (0-based) of `month` (months since January 1970). */
export function dayStartOf(month: number, day: number): number {
  // Noon UTC lies inside the local day of that date in Copenhagen (offset +1 or +2 hours).
  return copenhagenDayStart(Date.UTC(1970, month, day + 1, 12));
}

function rowKey(seriesId: number, slot: number, month: number): number {
  return (seriesId * maxSlots + slot) * monthsPerKey + month;
}

function monthOfKey(key: number): number {
  return key % monthsPerKey;
}

function writeStats(row: Buffer, day: number, stats: readonly number[]): void {
  const at = day * entryBytes;
  for (let i = 0; i < statsPerDay; i++) row.writeDoubleLE(stats[i]!, at + i * 8);
}

function isEmpty(row: Buffer): boolean {
  for (let day = 0; day < daysPerRow; day++) if (row.readDoubleLE(day * entryBytes) !== 0) return false;
  return true;
}

export class DayRollups {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      row: db.prepare('SELECT days FROM rollup_days WHERE key = ?').pluck(),
      upsert: db.prepare('INSERT INTO rollup_days (key, days) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET days = excluded.days'),
      remove: db.prepare('DELETE FROM rollup_days WHERE key = ?'),
      rows: db.prepare('SELECT key, days FROM rollup_days WHERE key >= ? AND key <= ? ORDER BY key').raw(),
      rowsBackwards: db.prepare('SELECT key, days FROM rollup_days WHERE key >= ? AND key <= ? ORDER BY key DESC').raw(),
    };
  }

  /** Writes days (0-based day of the month → statistics) into a slot's month, keeping its other days. */
  putDays(seriesId: number, slot: number, month: number, days: Iterable<readonly [day: number, stats: DayStats]>): void {
    const key = rowKey(seriesId, slot, month);
    const row = (this.statements.row.get(key) as Buffer | undefined) ?? Buffer.alloc(rowBytes);
    for (const [day, stats] of days) writeStats(row, day, stats);
    this.statements.upsert.run(key, row);
  }

  /** Sets a slot's day to `stats`, or clears it when undefined (a row left without days is removed). */
  put(seriesId: number, slot: number, dayStart: number, stats: DayStats | undefined): void {
    const { month, day } = dayPlace(dayStart);
    const key = rowKey(seriesId, slot, month);
    const stored = this.statements.row.get(key) as Buffer | undefined;
    if (!stored && !stats) return;
    const row = stored ?? Buffer.alloc(rowBytes);
    writeStats(row, day, stats ?? [0, 0, 0, 0, 0, 0, 0, 0]);
    if (!stats && isEmpty(row)) this.statements.remove.run(key);
    else this.statements.upsert.run(key, row);
  }

  /** Summaries of the slot's days starting in [firstDay, endDay) (both day starts), in time order. */
  summaries(seriesId: number, slot: number, firstDay: number, endDay: number, out: Summary[]): void {
    if (firstDay >= endDay) return;
    const from = rowKey(seriesId, slot, dayPlace(firstDay).month);
    const to = rowKey(seriesId, slot, dayPlace(copenhagenDayStart(endDay - 1)).month);
    for (const [key, row] of this.statements.rows.all(from, to) as [number, Buffer][]) {
      const month = monthOfKey(key);
      for (let day = 0; day < daysPerRow; day++) {
        const at = day * entryBytes;
        const n = row.readDoubleLE(at);
        if (n === 0) continue;
        const start = dayStartOf(month, day);
        if (start < firstDay || start >= endDay) continue;
        out.push({
          start,
          n,
          sum: row.readDoubleLE(at + 8),
          min: row.readDoubleLE(at + 16),
          max: row.readDoubleLE(at + 24),
          first: row.readDoubleLE(at + 32),
          last: row.readDoubleLE(at + 40),
          inc: row.readDoubleLE(at + 48),
          lastTs: row.readDoubleLE(at + 56),
        });
      }
    }
  }

  /** The slot's last value on a day before the day starting at `dayStart`, if any. */
  lastBefore(seriesId: number, slot: number, dayStart: number): number | undefined {
    const { month, day: before } = dayPlace(dayStart);
    const rows = this.statements.rowsBackwards.iterate(rowKey(seriesId, slot, 0), rowKey(seriesId, slot, month)) as IterableIterator<[number, Buffer]>;
    for (const [key, row] of rows) {
      const last = monthOfKey(key) === month ? before - 1 : daysPerRow - 1;
      for (let day = last; day >= 0; day--) {
        if (row.readDoubleLE(day * entryBytes) === 0) continue;
        rows.return?.();
        return row.readDoubleLE(day * entryBytes + 40);
      }
    }
    return undefined;
  }
}
