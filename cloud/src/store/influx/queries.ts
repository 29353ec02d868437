import { type SensorRecord, type StandardId, standardIds } from '../../../../standards/src/index.js';
import { type CheckedRange, type CheckedRaw, checkLatest } from '../query-checks.js';
import { BucketFolder, type Summary } from '../summary.js';
import type { Bucket, BucketWidth, LatestQuery } from '../time-series-store.js';
import { bucketStart, copenhagenDayStart, defaultTimeZone, hourMs, nextBucketStart } from '../zone.js';
import { fromTagValue, ident, measurementOf, rawPolicy, recordField, rollupPolicy, rollupSuffixes, str, tagIn, tagValue, time } from './influxql.js';
import type { InfluxRunner, ResultSeries } from './runner.js';

/** Rows a raw() page aims at. */
const rawPageRows = 20_000;
const minRawWindowMs = 60_000;
const maxRawWindowMs = 400 * 24 * hourMs;

type Range = CheckedRange & { assetId?: string; deviceId?: string; assetIds?: readonly string[] };

const seriesKey = (tags: Record<string, string>) => `${tags.asset ?? ''}\u0000${tags.device ?? ''}`;

/**
 * Reads, in InfluxQL. A range query gets per-series summaries (count, sum, min, max, first, last
 * and the increase inside each bucket) from `GROUP BY time(…), asset, device`, or for whole
 * Europe/Copenhagen days from the daily rollup, and folds them exactly as the SQLite store does
 * (summary.ts). Day buckets use `tz()`; weeks and months are folded from days here (InfluxQL has
 * no calendar months, and its weeks start on Thursday). `last` is InfluxDB's own `last()` per
 * bucket over the selection: the newest reading of any series.
 */
export class InfluxQueries {
  constructor(
    private readonly runner: InfluxRunner,
    private readonly database: string,
  ) {}

  private from(policy: string, standard: StandardId): string {
    return `${ident(this.database)}.${ident(policy)}.${ident(measurementOf(standard))}`;
  }

  private selection(query: Range): string {
    const parts = [`${ident('kommune')} = ${str(tagValue(query.kommune))}`];
    if (query.assetIds !== undefined) parts.push(tagIn('asset', query.assetIds));
    if (query.assetId !== undefined) parts.push(tagIn('asset', [query.assetId]));
    if (query.deviceId !== undefined) parts.push(tagIn('device', [query.deviceId]));
    return parts.join(' AND ');
  }

  async range(query: Range): Promise<Bucket[]> {
    if (query.assetIds?.length === 0) return [];
    if (query.aggregate === 'last') return this.last(query);
    const folder = new BucketFolder(query.bucket, query.timeZone);
    const summaries = new Map<string, Summary[]>();
    const add = (more: Map<string, Summary[]>) => {
      for (const [key, list] of more) summaries.set(key, [...(summaries.get(key) ?? []), ...list]);
    };
    const { bucket, timeZone, from, to } = query;
    if (bucket === '15m' || bucket === '1h') add(await this.rawSummaries(query, from, to, bucket, undefined));
    else if (timeZone !== defaultTimeZone) add(await this.rawSummaries(query, from, to, '1d', timeZone));
    else {
      const fromDay = copenhagenDayStart(from);
      const firstDay = fromDay === from ? from : nextBucketStart('1d', defaultTimeZone, fromDay);
      const endDay = copenhagenDayStart(to);
      if (firstDay >= endDay) add(await this.rawSummaries(query, from, to, '1d', defaultTimeZone));
      else {
        if (from < firstDay) add(await this.rawSummaries(query, from, firstDay, '1d', defaultTimeZone));
        add(await this.rollupSummaries(query, firstDay, endDay));
        if (endDay < to) add(await this.rawSummaries(query, endDay, to, '1d', defaultTimeZone));
      }
    }
    const lastBefore = query.aggregate === 'sum-delta' ? await this.lastValuesBefore(query, from) : new Map<string, number>();
    for (const [key, list] of summaries) {
      list.sort((a, b) => a.start - b.start);
      folder.addSeries(list, lastBefore.get(key));
    }
    return folder.result(query.aggregate);
  }

  /** Summaries from the raw points, per series and bucket of `width` (days in `timeZone`). */
  private async rawSummaries(query: Range, from: number, to: number, width: BucketWidth, timeZone: string | undefined): Promise<Map<string, Summary[]>> {
    const f = ident(query.field);
    const source = this.from(rawPolicy, query.standard);
    const when = `time >= ${time(from)} AND time < ${time(to)}`;
    const where = `${this.selection(query)} AND ${when}`;
    const group = `GROUP BY time(${width}), ${ident('asset')}, ${ident('device')} fill(none)${timeZone ? ` tz(${str(timeZone)})` : ''}`;
    const [stats, steps] = await this.runner.run([
      `SELECT count(${f}) AS n, sum(${f}) AS s, min(${f}) AS lo, max(${f}) AS hi, first(${f}) AS fi, last(${f}) AS la FROM ${source} WHERE ${where} ${group}`,
      `SELECT sum(d) AS d FROM (SELECT non_negative_difference(${f}) AS d FROM ${source} WHERE ${where} GROUP BY ${ident('asset')}, ${ident('device')}) WHERE ${when} ${group}`,
    ]);
    const increases = new Map<string, Map<number, number>>();
    for (const series of steps!) {
      const byTime = new Map<number, number>();
      for (const row of series.values) if (typeof row[1] === 'number') byTime.set(row[0] as number, row[1]);
      increases.set(seriesKey(series.tags), byTime);
    }
    const out = new Map<string, Summary[]>();
    for (const series of stats!) {
      const key = seriesKey(series.tags);
      const byTime = increases.get(key);
      const list: Summary[] = [];
      let previousLast: number | undefined;
      for (const row of series.values) {
        const [start, n, sum, min, max, first, last] = row as [number, number, number, number, number, number, number];
        if (!(n > 0)) continue;
        // The subquery's increases include the step from the previous bucket's last value; a summary's inc is inside the bucket only.
        const steps = byTime?.get(start) ?? 0;
        const inc = steps - (previousLast === undefined ? 0 : Math.max(0, first - previousLast));
        list.push({ start, n, sum, min, max, first, last, inc: Math.max(0, inc), lastTs: start });
        previousLast = last;
      }
      out.set(key, list);
    }
    return out;
  }

  /** Summaries of whole Europe/Copenhagen days from the daily rollup. */
  private async rollupSummaries(query: Range, from: number, to: number): Promise<Map<string, Summary[]>> {
    const columns = rollupSuffixes.map((suffix) => ident(`${query.field}_${suffix}`)).join(', ');
    const result = await this.runner.one(
      `SELECT ${columns} FROM ${this.from(rollupPolicy, query.standard)} WHERE ${this.selection(query)} AND time >= ${time(from)} AND time < ${time(to)} GROUP BY ${ident('asset')}, ${ident('device')}`,
    );
    const out = new Map<string, Summary[]>();
    for (const series of result) {
      const list: Summary[] = [];
      for (const row of series.values) {
        const [start, n, sum, min, max, first, last, inc] = row as [number, number | null, number, number, number, number, number, number | null];
        if (n === null || !(n > 0)) continue;
        list.push({ start, n, sum, min, max, first, last, inc: inc ?? 0, lastTs: start });
      }
      out.set(seriesKey(series.tags), list);
    }
    return out;
  }

  private async lastValuesBefore(query: Range, ms: number): Promise<Map<string, number>> {
    const f = ident(query.field);
    const result = await this.runner.one(
      `SELECT last(${f}) FROM ${this.from(rawPolicy, query.standard)} WHERE ${this.selection(query)} AND time < ${time(ms)} GROUP BY ${ident('asset')}, ${ident('device')}`,
    );
    const out = new Map<string, number>();
    for (const series of result) {
      const value = series.values[0]?.[1];
      if (typeof value === 'number') out.set(seriesKey(series.tags), value);
    }
    return out;
  }

  /** `last`: InfluxDB's last() per bucket over the whole selection (per day, folded, for weeks and months). */
  private async last(query: Range): Promise<Bucket[]> {
    const { bucket, timeZone, from, to } = query;
    const f = ident(query.field);
    const width = bucket === '15m' || bucket === '1h' ? bucket : '1d';
    const tz = width === '1d' ? ` tz(${str(timeZone)})` : '';
    const result = await this.runner.one(
      `SELECT last(${f}), count(${f}) FROM ${this.from(rawPolicy, query.standard)} WHERE ${this.selection(query)} AND time >= ${time(from)} AND time < ${time(to)} GROUP BY time(${width}) fill(none)${tz}`,
    );
    const buckets = new Map<number, { value: number; count: number }>();
    let currentStart = Number.NaN;
    let currentEnd = Number.NaN;
    for (const row of result[0]?.values ?? []) {
      const [start, value, count] = row as [number, number, number];
      if (!(count > 0)) continue;
      if (!(start >= currentStart && start < currentEnd)) {
        currentStart = bucketStart(bucket, timeZone, start);
        currentEnd = nextBucketStart(bucket, timeZone, currentStart);
      }
      const kept = buckets.get(currentStart);
      buckets.set(currentStart, { value, count: (kept?.count ?? 0) + count });
    }
    return [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, { value, count }]) => ({ start: new Date(start).toISOString(), value, count }));
  }

  async latest(query: LatestQuery): Promise<SensorRecord[]> {
    const { kommune, standard, assetIds, limit } = checkLatest(query);
    if (assetIds?.length === 0 || limit === 0) return [];
    const standards = standard === undefined ? standardIds : [standard];
    let where = `${ident('kommune')} = ${str(tagValue(kommune))}`;
    if (assetIds !== undefined) where += ` AND ${tagIn('asset', assetIds)}`;
    const results = await this.runner.run(
      standards.map(
        (id) => `SELECT last(${ident(recordField)}) FROM ${this.from(rawPolicy, id)} WHERE ${where} GROUP BY ${ident('asset')}, ${ident('device')}`,
      ),
    );
    const newest = new Map<string, { standard: string; key: string; time: number; record: SensorRecord }>();
    results.forEach((series: ResultSeries[], i) => {
      const id = standards[i]!;
      for (const one of series) {
        const row = one.values[0];
        if (!row || typeof row[1] !== 'string') continue;
        const asset = fromTagValue(one.tags.asset ?? '');
        const key = asset === '' ? `d:${fromTagValue(one.tags.device ?? '')}` : `a:${asset}`;
        const record = JSON.parse(row[1]) as SensorRecord;
        const at = Date.parse(record.observedAt);
        const mapKey = `${id}\u0000${key}`;
        const kept = newest.get(mapKey);
        if (!kept || at > kept.time || (at === kept.time && record.id > kept.record.id)) newest.set(mapKey, { standard: id, key, time: at, record });
      }
    });
    const sorted = [...newest.values()].sort((a, b) => (a.standard < b.standard ? -1 : a.standard > b.standard ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return (limit === undefined ? sorted : sorted.slice(0, limit)).map((entry) => entry.record);
  }

  /**
   * raw() in pages: time windows over the selected measurements, each read whole (checked against
   * a row limit per measurement; a window over it is read again smaller), sorted by
   * (observedAt, id) here, sized to about `rawPageRows` rows.
   */
  async *raw(query: CheckedRaw): AsyncGenerator<SensorRecord> {
    const standards = query.standard === undefined ? standardIds : [query.standard];
    const sources = standards.map((id) => this.from(rawPolicy, id)).join(', ');
    const selection = this.selection({ kommune: query.kommune, assetId: query.assetId, deviceId: query.deviceId } as Range);
    let window = 24 * hourMs;
    let cursor = query.from;
    while (cursor < query.to) {
      const end = Math.min(query.to, cursor + window);
      const limited = window > minRawWindowMs;
      const result = await this.runner.one(
        `SELECT ${ident(recordField)} FROM ${sources} WHERE ${selection} AND time >= ${time(cursor)} AND time < ${time(end)}${limited ? ` LIMIT ${rawPageRows * 4 + 1}` : ''}`,
      );
      if (limited && result.some((series) => series.values.length > rawPageRows * 4)) {
        window = Math.max(minRawWindowMs, Math.floor(window / 4));
        continue;
      }
      const page: { at: number; record: SensorRecord }[] = [];
      for (const series of result) {
        for (const row of series.values) {
          if (typeof row[1] !== 'string') continue;
          const record = JSON.parse(row[1]) as SensorRecord;
          page.push({ at: Date.parse(record.observedAt), record });
        }
      }
      page.sort((a, b) => a.at - b.at || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0));
      for (const { record } of page) yield record;
      cursor = end;
      if (page.length === 0) {
        const next = await this.runner.one(`SELECT first(${ident(recordField)}) FROM ${sources} WHERE ${selection} AND time >= ${time(cursor)} AND time < ${time(query.to)}`);
        const times = next.map((series) => series.values[0]?.[0]).filter((t): t is number => typeof t === 'number');
        if (times.length === 0) return;
        cursor = Math.max(cursor, Math.min(...times));
      } else if (page.length < rawPageRows / 2) window = Math.min(maxRawWindowMs, window * 2);
      else if (page.length > rawPageRows * 2) window = Math.max(minRawWindowMs, Math.floor(window / 2));
    }
  }
}
