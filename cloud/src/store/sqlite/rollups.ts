import type Database from 'better-sqlite3';
import { copenhagenDayStart, defaultTimeZone, hourMs, nextBucketStart } from '../zone.js';
import type { Catalog, Series } from './catalog.js';
import { DayRollups, type DayStats, dayPlace, dayStartOf } from './day-rollups.js';
import { rollupStats } from './schema.js';

/**
 * Keeps `rollup_1h` and the daily rollups (`rollup_1d` for each series' newest month, packed
 * `rollup_days` for its earlier months; see day-rollups.ts) true on every write, incrementally:
 *
 * - a reading newer than everything its series has (the normal case, also for a replayed
 *   backlog, which comes oldest first) is appended to its day row with one upsert, and to its
 *   hour row when the hour already has a reading (the hour row is created from the points then);
 * - any other reading (older than the series' newest, or at the same time) has its hour and day
 *   rebuilt from the points, which are few per bucket;
 * - the first reading of a series in a later month than its newest packs the series' `rollup_1d`
 *   rows (all of its newest month) into `rollup_days`.
 *
 * Per slot a row holds n, sum, min, max, first, last, inc (the sum of positive steps between
 * consecutive values inside the bucket) and the time of the last value — enough to fold buckets
 * into any coarser bucket for every aggregate, sum-delta included (see summary.ts).
 */

type Table = 'rollup_1h' | 'rollup_1d';
type PointRow = [ts: number, ...values: (number | null)[]];
type DayRow = [bucket: number, ...stats: (number | null)[]];

/** Month (since January 1970, Copenhagen calendar) of the instant `ms`. */
function monthOf(ms: number): number {
  return dayPlace(copenhagenDayStart(ms)).month;
}

/** SET expressions that append one reading (value `v`, present when `present`, at time `t`) to slot i. */
function appendSlot(i: number, v: string, present: string, t: string): string[] {
  return [
    `n${i} = CASE WHEN ${present} THEN coalesce(n${i}, 0) + 1 ELSE n${i} END`,
    `s${i} = CASE WHEN ${present} THEN coalesce(s${i}, 0) + ${v} ELSE s${i} END`,
    `lo${i} = CASE WHEN ${present} AND (lo${i} IS NULL OR ${v} < lo${i}) THEN ${v} ELSE lo${i} END`,
    `hi${i} = CASE WHEN ${present} AND (hi${i} IS NULL OR ${v} > hi${i}) THEN ${v} ELSE hi${i} END`,
    `f${i} = CASE WHEN ${present} AND f${i} IS NULL THEN ${v} ELSE f${i} END`,
    `l${i} = CASE WHEN ${present} THEN ${v} ELSE l${i} END`,
    `d${i} = CASE WHEN ${present} THEN coalesce(d${i}, 0) + (CASE WHEN l${i} IS NOT NULL AND ${v} > l${i} THEN ${v} - l${i} ELSE 0 END) ELSE d${i} END`,
    `t${i} = CASE WHEN ${present} THEN ${t} ELSE t${i} END`,
  ];
}

/** Per slot, n, sum, min, max, first, last, inc and time of the last value of the rows' values (all null for a slot without values). */
function statsOfPoints(rows: readonly PointRow[], slotCount: number): (number | null)[] {
  const width = rollupStats.length;
  const stats: (number | null)[] = new Array(slotCount * width).fill(null);
  for (const row of rows) {
    const ts = row[0];
    for (let i = 0; i < slotCount; i++) {
      const v = row[i + 1];
      if (v === null || v === undefined) continue;
      const at = i * width;
      const n = stats[at] as number | null;
      if (n === null) {
        stats.splice(at, width, 1, v, v, v, v, v, 0, ts);
        continue;
      }
      const last = stats[at + 5] as number;
      stats[at] = n + 1;
      stats[at + 1] = (stats[at + 1] as number) + v;
      if (v < (stats[at + 2] as number)) stats[at + 2] = v;
      if (v > (stats[at + 3] as number)) stats[at + 3] = v;
      stats[at + 5] = v;
      stats[at + 6] = (stats[at + 6] as number) + Math.max(0, v - last);
      stats[at + 7] = ts;
    }
  }
  return stats;
}

function statColumns(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) for (const stat of rollupStats) names.push(`${stat}${i}`);
  return names;
}

/** Named parameters of an append: @series, @bucket, @ts and @v0 … (NULL for an absent value). */
export type AppendParams = Record<string, number | null>;

export class Rollups {
  private readonly statements;
  /** Daily upserts per set of present slots (a record's numeric fields): they touch only those columns. */
  private readonly dayUpserts = new Map<string, Database.Statement>();

  private readonly db: Database.Database;
  private readonly valueNames: readonly string[];
  private readonly days: DayRollups;

  constructor(
    db: Database.Database,
    private readonly catalog: Catalog,
    private readonly slotCount: number,
  ) {
    const slots = Array.from({ length: slotCount }, (_, i) => i);
    const stats = statColumns(slotCount);
    const updateSet = slots.flatMap((i) => appendSlot(i, `@v${i}`, `@v${i} IS NOT NULL`, '@ts'));
    const pointColumns = slots.map((i) => `v${i}`).join(', ');
    this.db = db;
    this.valueNames = slots.map((i) => `v${i}`);
    this.days = new DayRollups(db);
    this.statements = {
      dayRows: db.prepare(`SELECT bucket, ${stats.join(', ')} FROM rollup_1d WHERE series_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`).raw(),
      removeDays: db.prepare('DELETE FROM rollup_1d WHERE series_id = ? AND bucket >= ? AND bucket < ?'),
      appendHour: db.prepare(
        `UPDATE rollup_1h SET last_ts = @ts, ${updateSet.join(', ')} WHERE series_id = @series AND bucket = @bucket AND last_ts < @ts`,
      ),
      points: db.prepare(`SELECT ts, ${pointColumns} FROM points WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts, id`).raw(),
      replace: {
        rollup_1h: db.prepare(
          `INSERT OR REPLACE INTO rollup_1h (series_id, bucket, last_ts, ${stats.join(', ')}) VALUES (${new Array(3 + stats.length).fill('?').join(', ')})`,
        ),
        rollup_1d: db.prepare(
          `INSERT OR REPLACE INTO rollup_1d (series_id, bucket, last_ts, ${stats.join(', ')}) VALUES (${new Array(3 + stats.length).fill('?').join(', ')})`,
        ),
      },
      remove: {
        rollup_1h: db.prepare('DELETE FROM rollup_1h WHERE series_id = ? AND bucket = ?'),
        rollup_1d: db.prepare('DELETE FROM rollup_1d WHERE series_id = ? AND bucket = ?'),
      },
    };
  }

  /** `INSERT … ON CONFLICT DO UPDATE` of a day row for a reading with values in `slots` (parameters: series, bucket, ts, then per slot v ×5, ts). */
  private dayUpsert(slots: readonly number[]): Database.Statement {
    const key = slots.join(',');
    let statement = this.dayUpserts.get(key);
    if (!statement) {
      const columns = slots.flatMap((i) => rollupStats.map((stat) => `${stat}${i}`));
      const values = slots.flatMap(() => ['1', '?', '?', '?', '?', '?', '0', '?']);
      const set = slots.flatMap((i) => [
        `n${i} = coalesce(n${i}, 0) + 1`,
        `s${i} = coalesce(s${i}, 0) + excluded.s${i}`,
        `lo${i} = CASE WHEN lo${i} IS NULL OR excluded.lo${i} < lo${i} THEN excluded.lo${i} ELSE lo${i} END`,
        `hi${i} = CASE WHEN hi${i} IS NULL OR excluded.hi${i} > hi${i} THEN excluded.hi${i} ELSE hi${i} END`,
        `f${i} = coalesce(f${i}, excluded.f${i})`,
        `d${i} = coalesce(d${i}, 0) + (CASE WHEN l${i} IS NOT NULL AND excluded.f${i} > l${i} THEN excluded.f${i} - l${i} ELSE 0 END)`,
        `l${i} = excluded.l${i}`,
        `t${i} = excluded.t${i}`,
      ]);
      statement = this.db.prepare(
        `INSERT INTO rollup_1d (series_id, bucket, last_ts${columns.map((c) => `, ${c}`).join('')}) VALUES (?, ?, ?${values.map((v) => `, ${v}`).join('')})
         ON CONFLICT (series_id, bucket) DO UPDATE SET last_ts = excluded.last_ts${set.map((e) => `, ${e}`).join('')}
         WHERE excluded.last_ts > rollup_1d.last_ts`,
      );
      this.dayUpserts.set(key, statement);
    }
    return statement;
  }

  /**
   * Folds one new reading (already in `points`) into the rollups. `params` holds @v0 … of the
   * reading; @series, @bucket and @ts are set here.
   */
  add(series: Series, ts: number, params: AppendParams): void {
    const newest = this.catalog.lastTs(series);
    const hour = Math.floor(ts / hourMs) * hourMs;
    const day = copenhagenDayStart(ts);
    params.series = series.id;
    params.ts = ts;
    if (ts > newest) {
      if (newest !== -Infinity && monthOf(ts) > monthOf(newest)) this.pack(series.id, -Infinity, dayStartOf(monthOf(ts), 0));
      if (newest >= hour) {
        params.bucket = hour;
        if (this.statements.appendHour.run(params).changes === 0) this.rebuild('rollup_1h', series.id, hour, hour + hourMs);
      }
      const slots: number[] = [];
      const bind: number[] = [series.id, day, ts];
      for (let i = 0; i < this.slotCount; i++) {
        const v = params[this.valueNames[i]!];
        if (v === null || v === undefined) continue;
        slots.push(i);
        bind.push(v, v, v, v, v, ts);
      }
      if (this.dayUpsert(slots).run(bind).changes === 0) this.rebuild('rollup_1d', series.id, day, nextBucketStart('1d', defaultTimeZone, day));
    } else {
      this.rebuild('rollup_1h', series.id, hour, hour + hourMs);
      if (monthOf(ts) < monthOf(newest)) this.rebuildPackedDay(series.id, day);
      else this.rebuild('rollup_1d', series.id, day, nextBucketStart('1d', defaultTimeZone, day));
    }
    series.lastTs = Math.max(newest, ts);
  }

  /** Moves the series' `rollup_1d` rows of days in [from, before) into the packed rollups. */
  pack(seriesId: number, from: number, before: number): void {
    const rows = this.statements.dayRows.all(seriesId, from, before) as DayRow[];
    if (rows.length === 0) return;
    const width = rollupStats.length;
    // month → slot → days
    const months = new Map<number, Map<number, [number, DayStats][]>>();
    for (const [bucket, ...stats] of rows) {
      const { month, day } = dayPlace(bucket);
      let slots = months.get(month);
      if (!slots) months.set(month, (slots = new Map()));
      for (let i = 0; i < this.slotCount; i++) {
        const n = stats[i * width];
        if (n === null || n === undefined || n === 0) continue;
        let days = slots.get(i);
        if (!days) slots.set(i, (days = []));
        days.push([day, stats.slice(i * width, (i + 1) * width) as DayStats]);
      }
    }
    for (const [month, slots] of months) for (const [slot, days] of slots) this.days.putDays(seriesId, slot, month, days);
    this.statements.removeDays.run(seriesId, from, before);
  }

  /** Recomputes one day of a packed month from the points. */
  private rebuildPackedDay(seriesId: number, start: number): void {
    const rows = this.statements.points.all(seriesId, start, nextBucketStart('1d', defaultTimeZone, start)) as PointRow[];
    const stats = statsOfPoints(rows, this.slotCount);
    const width = rollupStats.length;
    for (let i = 0; i < this.slotCount; i++) {
      const slot = stats.slice(i * width, (i + 1) * width);
      this.days.put(seriesId, i, start, slot[0] === null ? undefined : (slot as DayStats));
    }
  }

  /** Recomputes one bucket from the points; an hour keeps a row only with two or more readings. */
  private rebuild(table: Table, seriesId: number, start: number, end: number): void {
    const rows = this.statements.points.all(seriesId, start, end) as PointRow[];
    if (rows.length < (table === 'rollup_1h' ? 2 : 1)) {
      this.statements.remove[table].run(seriesId, start);
      return;
    }
    const stats = statsOfPoints(rows, this.slotCount);
    const lastTs = rows[rows.length - 1]![0];
    this.statements.replace[table].run(seriesId, start, lastTs, ...stats);
  }
}
