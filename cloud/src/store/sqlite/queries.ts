import type Database from 'better-sqlite3';
import type { SensorRecord } from '../../../../standards/src/index.js';
import { type CheckedRange, type CheckedRaw, checkLatest } from '../query-checks.js';
import { BucketFolder, pointSummary, type Summary } from '../summary.js';
import type { Bucket, LatestQuery } from '../time-series-store.js';
import { boundariesOnHours, copenhagenDayStart, defaultTimeZone, hourMs, nextBucketStart } from '../zone.js';
import type { Catalog } from './catalog.js';
import { DayRollups } from './day-rollups.js';
import { decodeRecord, idText } from './record-codec.js';
import type { SlotMap } from './schema.js';

type RollupRow = [bucket: number, n: number | null, s: number, lo: number, hi: number, f: number, l: number, d: number, t: number];

/** Rows a raw() page aims at; a page is one time window of the selection, sorted by SQLite. */
const rawPageRows = 20_000;
const minRawWindowMs = 60_000;
const maxRawWindowMs = 400 * 24 * hourMs;

/**
 * Reads. A range query folds, per series, time-ordered summaries from the cheapest source that
 * covers each part of [from, to) exactly:
 * - '15m': the points;
 * - '1h' (and day/week/month buckets of zones other than Europe/Copenhagen whose boundaries fall
 *   on whole hours): hourly rollup rows for the whole hours inside the range that have them,
 *   points for the rest (hours with one reading, and the partial hours at the edges);
 * - '1d', '7d', '30d' in Europe/Copenhagen: the daily rollups (packed months, then `rollup_1d`)
 *   for the whole days inside the range, the hourly source for the partial days at the edges.
 */
export class SqliteQueries {
  private readonly bySlot = new Map<number, ReturnType<SqliteQueries['prepareSlot']>>();
  private readonly statements;
  private readonly latestStatements = new Map<string, Database.Statement>();
  private readonly days: DayRollups;

  constructor(
    private readonly db: Database.Database,
    private readonly catalog: Catalog,
    private readonly slots: SlotMap,
  ) {
    this.days = new DayRollups(db);
    this.statements = {
      seriesOfAsset: db.prepare('SELECT id FROM series WHERE kommune = ? AND standard = ? AND asset_id = ?').pluck(),
      seriesOfAssetDevice: db.prepare('SELECT id FROM series WHERE kommune = ? AND standard = ? AND asset_id = ? AND device_id = ?').pluck(),
      seriesOfDevice: db.prepare('SELECT id FROM series WHERE kommune = ? AND standard = ? AND device_id = ?').pluck(),
      seriesOfAssets: db
        .prepare('SELECT id FROM series WHERE kommune = ? AND standard = ? AND asset_id IN (SELECT value FROM json_each(?)) ORDER BY id')
        .pluck(),
      rawPage: db
        .prepare(
          `SELECT p.series_id, p.ts, ${idText('p.id')}, r.shape, r.body FROM points p JOIN records r ON r.id = p.id
           WHERE p.series_id IN (SELECT value FROM json_each(?)) AND p.ts >= ? AND p.ts < ? ORDER BY p.ts, p.id LIMIT ?`,
        )
        .raw(),
      nextTs: db.prepare('SELECT min(ts) FROM points WHERE series_id IN (SELECT value FROM json_each(?)) AND ts >= ? AND ts < ?').pluck(),
    };
  }

  private prepareSlot(slot: number) {
    const v = `v${slot}`;
    const stats = `bucket, n${slot}, s${slot}, lo${slot}, hi${slot}, f${slot}, l${slot}, d${slot}, t${slot}`;
    return {
      points: this.db.prepare(`SELECT ts, ${v} FROM points WHERE series_id = ? AND ts >= ? AND ts < ? AND ${v} IS NOT NULL ORDER BY ts, id`).raw(),
      hours: this.db.prepare(`SELECT ${stats} FROM rollup_1h WHERE series_id = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket`).raw(),
      days: this.db.prepare(`SELECT ${stats} FROM rollup_1d WHERE series_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`).raw(),
      lastDay: this.db.prepare(`SELECT l${slot} FROM rollup_1d WHERE series_id = ? AND bucket < ? AND n${slot} > 0 ORDER BY bucket DESC LIMIT 1`).pluck(),
      lastPoint: this.db
        .prepare(`SELECT ${v} FROM points WHERE series_id = ? AND ts >= ? AND ts < ? AND ${v} IS NOT NULL ORDER BY ts DESC, id DESC LIMIT 1`)
        .pluck(),
    };
  }

  private slotStatements(slot: number) {
    let statements = this.bySlot.get(slot);
    if (!statements) {
      statements = this.prepareSlot(slot);
      this.bySlot.set(slot, statements);
    }
    return statements;
  }

  range(query: CheckedRange & { assetId?: string; deviceId?: string }): Bucket[] {
    const { kommune, standard, assetId, deviceId } = query;
    let ids: number[];
    if (assetId !== undefined && deviceId !== undefined) ids = this.statements.seriesOfAssetDevice.all(kommune, standard, assetId, deviceId) as number[];
    else if (assetId !== undefined) ids = this.statements.seriesOfAsset.all(kommune, standard, assetId) as number[];
    else ids = this.statements.seriesOfDevice.all(kommune, standard, deviceId) as number[];
    return this.rangeOver(ids, query);
  }

  rangeMany(query: CheckedRange & { assetIds: readonly string[] }): Bucket[] {
    if (query.assetIds.length === 0) return [];
    const ids = this.statements.seriesOfAssets.all(query.kommune, query.standard, JSON.stringify(query.assetIds)) as number[];
    return this.rangeOver(ids, query);
  }

  private rangeOver(seriesIds: readonly number[], query: CheckedRange): Bucket[] {
    const slot = this.slots.byStandard.get(query.standard)?.get(query.field);
    if (slot === undefined) throw new RangeError(`${query.standard} has no field ${query.field}`);
    const statements = this.slotStatements(slot);
    const folder = new BucketFolder(query.bucket, query.timeZone);
    for (const id of seriesIds) {
      const lastBefore = query.aggregate === 'sum-delta' ? this.lastValueBefore(statements, slot, id, query.from) : undefined;
      folder.addSeries(this.summaries(statements, slot, id, query), lastBefore);
    }
    return folder.result(query.aggregate);
  }

  private summaries(statements: ReturnType<SqliteQueries['prepareSlot']>, slot: number, id: number, query: CheckedRange): Summary[] {
    const out: Summary[] = [];
    const points = (from: number, to: number) => {
      if (from >= to) return;
      for (const [ts, value] of statements.points.all(id, from, to) as [number, number][]) out.push(pointSummary(ts, value));
    };
    const rollup = (row: RollupRow) => {
      const [bucket, n, sum, min, max, first, last, inc, lastTs] = row;
      if (n !== null && n > 0) out.push({ start: bucket, n, sum, min, max, first, last, inc, lastTs });
    };
    const hourly = (from: number, to: number) => {
      if (from >= to) return;
      const firstHour = Math.ceil(from / hourMs) * hourMs;
      const rows = firstHour + hourMs <= to ? (statements.hours.all(id, firstHour, to - hourMs) as RollupRow[]) : [];
      let cursor = from;
      for (const row of rows) {
        points(cursor, row[0]);
        rollup(row);
        cursor = row[0] + hourMs;
      }
      points(cursor, to);
    };
    const daily = (from: number, to: number) => {
      const fromDay = copenhagenDayStart(from);
      const firstDay = fromDay === from ? from : nextBucketStart('1d', defaultTimeZone, fromDay);
      const endDay = copenhagenDayStart(to);
      if (firstDay >= endDay) return hourly(from, to);
      hourly(from, firstDay);
      // packed months first: rollup_1d holds only the series' newest month
      this.days.summaries(id, slot, firstDay, endDay, out);
      for (const row of statements.days.all(id, firstDay, endDay) as RollupRow[]) rollup(row);
      hourly(endDay, to);
    };

    const { bucket, timeZone, from, to } = query;
    if (bucket === '15m') points(from, to);
    else if (bucket === '1h') hourly(from, to);
    else if (timeZone === defaultTimeZone) daily(from, to);
    else if (boundariesOnHours(bucket, timeZone, from, to)) hourly(from, to);
    else points(from, to);
    return out;
  }

  /** The series' last value of the field before `ms`: from the points of that day, else from the daily rollups. */
  private lastValueBefore(statements: ReturnType<SqliteQueries['prepareSlot']>, slot: number, id: number, ms: number): number | undefined {
    const day = copenhagenDayStart(ms);
    if (day < ms) {
      const inDay = statements.lastPoint.get(id, day, ms) as number | undefined | null;
      if (inDay !== undefined && inDay !== null) return inDay;
    }
    const inNewestMonth = statements.lastDay.get(id, day) as number | undefined | null;
    if (inNewestMonth !== undefined && inNewestMonth !== null) return inNewestMonth;
    return this.days.lastBefore(id, slot, day);
  }

  latest(query: LatestQuery): SensorRecord[] {
    const { kommune, standard, assetIds, limit } = checkLatest(query);
    if (assetIds?.length === 0 || limit === 0) return [];
    const where = ['kommune = ?'];
    const params: unknown[] = [kommune];
    if (standard !== undefined) {
      where.push('standard = ?');
      params.push(standard);
    }
    if (assetIds !== undefined) {
      where.push("key IN (SELECT 'a:' || value FROM json_each(?))");
      params.push(JSON.stringify(assetIds));
    }
    let sql = `SELECT record FROM latest WHERE ${where.join(' AND ')} ORDER BY standard, key`;
    if (limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(limit);
    }
    let statement = this.latestStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql).pluck();
      this.latestStatements.set(sql, statement);
    }
    return (statement.all(...params) as string[]).map((text) => JSON.parse(text) as SensorRecord);
  }

  /** The series ids raw() reads. */
  rawSeries(query: CheckedRaw): number[] {
    const where = ['kommune = ?'];
    const params: unknown[] = [query.kommune];
    for (const [column, value] of [
      ['standard', query.standard],
      ['asset_id', query.assetId],
      ['device_id', query.deviceId],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    return this.db
      .prepare(`SELECT id FROM series WHERE ${where.join(' AND ')} ORDER BY id`)
      .pluck()
      .all(...params) as number[];
  }

  /**
   * raw() in pages: time windows of the selection, each read whole and sorted by (ts, id), sized
   * to about `rawPageRows` rows (halved when a window turns out much larger, doubled when small).
   * Each page is one statement run to completion, so writes can go on between pages.
   */
  async *raw(query: CheckedRaw): AsyncGenerator<SensorRecord> {
    const ids = this.rawSeries(query);
    if (ids.length === 0) return;
    const idList = JSON.stringify(ids);
    // Start as if each series had a reading per hour.
    let window = Math.min(maxRawWindowMs, Math.max(minRawWindowMs, Math.floor((rawPageRows / ids.length) * hourMs)));
    let cursor = query.from;
    while (cursor < query.to) {
      const end = Math.min(query.to, cursor + window);
      const limit = window > minRawWindowMs ? rawPageRows * 4 + 1 : -1;
      const rows = this.statements.rawPage.all(idList, cursor, end, limit) as [number, number, string, number, string][];
      if (limit > 0 && rows.length === limit) {
        window = Math.max(minRawWindowMs, Math.floor(window / 4));
        continue;
      }
      for (const [seriesId, ts, id, shape, body] of rows) {
        yield decodeRecord(this.catalog.shape(shape), body, id, this.catalog.series(seriesId), ts);
      }
      cursor = end;
      if (rows.length === 0) {
        const next = this.statements.nextTs.get(idList, cursor, query.to) as number | null;
        if (next === null) return;
        cursor = next;
      } else if (rows.length < rawPageRows / 2) {
        window = Math.min(maxRawWindowMs, window * 2);
      } else if (rows.length > rawPageRows * 2) {
        window = Math.max(minRawWindowMs, Math.floor(window / 2));
      }
    }
  }
}
