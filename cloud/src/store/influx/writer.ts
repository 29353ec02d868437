import type { InfluxDB, IPoint } from 'influx';
import type { SensorRecord, StandardId } from '../../../../standards/src/index.js';
import { fieldValue, numericFields } from '../fields.js';
import { observedMs } from '../query-checks.js';
import { idKey } from '../sqlite/record-codec.js';
import type { WriteOutcome } from '../time-series-store.js';
import { copenhagenDayStart, defaultTimeZone, nextBucketStart } from '../zone.js';
import { ident, measurementOf, pointTime, rawPolicy, recordField, rollupPolicy, str, tagIn, tagValue, time } from './influxql.js';
import type { DirtyDay, IdLedger } from './ledger.js';
import type { InfluxRunner } from './runner.js';

/** Points per HTTP write (InfluxDB's advice: 5,000 – 10,000). */
const pointsPerRequest = 5000;
/** Rollup statements per HTTP query request. */
const statementsPerRequest = 50;

/**
 * The write path: ids checked against the ledger (and the batch itself), the new records written
 * as points (measurement per standard; tags kommune, asset, device; the numeric fields, none for
 * quality 'bad'; the record as JSON in a string field), then in one ledger transaction their ids
 * and the (device, day)s whose daily rollups they change.
 *
 * The rollups themselves are recomputed by `flushRollups`, a little later and for many writes at
 * once (a day's rollup of a device is recomputed once per flush, not once per write), and always
 * before a query reads them: per (standard, kommune, day), the day's raw values of the touched
 * devices are read (one plain SELECT) and folded here into one rollup point per series and day
 * (per field: count, sum, min, max, first, last, and the increase between consecutive values),
 * written to the policy `rollup_1d`. A recomputation reads the whole day, so it is idempotent and
 * right however late or out of order the readings came.
 *
 * Rollups are kept by the store rather than by continuous queries: a CQ only ever sees a window
 * just behind now(), but a gateway back from a week offline replays a week of readings, and a
 * day's rollup must include them. (SELECT … INTO with InfluxDB's aggregates, the CQ way, was
 * tried: over 10× slower than reading the values and folding them here.)
 */
export class InfluxWriter {
  /** Numeric field keys per measurement, as InfluxDB knows them (refreshed at each flush). */
  private fieldKeys = new Map<string, string[]>();

  constructor(
    private readonly influx: InfluxDB,
    private readonly runner: InfluxRunner,
    private readonly database: string,
    private readonly ledger: IdLedger,
  ) {}

  async write(records: readonly SensorRecord[]): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    const fresh: SensorRecord[] = [];
    const keys: (Buffer | string)[] = [];
    const inBatch = new Set<string>();
    for (const record of records) {
      const key = idKey(record.id);
      if (inBatch.has(record.id) || this.ledger.has(key)) {
        outcomes.push('duplicate');
        continue;
      }
      inBatch.add(record.id);
      outcomes.push('stored');
      fresh.push(record);
      keys.push(key);
    }
    if (fresh.length === 0) return outcomes;

    const points = fresh.map((record) => toPoint(record));
    for (let i = 0; i < points.length; i += pointsPerRequest) {
      await this.influx.writePoints(points.slice(i, i + pointsPerRequest), { database: this.database, retentionPolicy: rawPolicy, precision: 'n' });
    }
    const dirty = new Map<string, DirtyDay>();
    for (const record of fresh) {
      const day = copenhagenDayStart(observedMs(record));
      const key = `${record.standard}\u0000${record.kommune}\u0000${day}\u0000${record.deviceId}`;
      if (!dirty.has(key)) dirty.set(key, { standard: record.standard, kommune: record.kommune, day, device: record.deviceId });
    }
    this.ledger.add(keys, [...dirty.values()]);
    return outcomes;
  }

  /** Whether rollup work is waiting. */
  pending(): boolean {
    return this.ledger.hasDirtyDays();
  }

  /** Recomputes the daily rollups of every (device, day) written since the last flush. */
  async flushRollups(): Promise<void> {
    const dirty = this.ledger.dirtyDays();
    if (dirty.length === 0) return;
    const groups = new Map<string, { standard: StandardId; kommune: string; day: number; devices: string[] }>();
    for (const row of dirty) {
      const key = `${row.standard}\u0000${row.kommune}\u0000${row.day}`;
      let group = groups.get(key);
      if (!group) {
        group = { standard: row.standard as StandardId, kommune: row.kommune, day: row.day, devices: [] };
        groups.set(key, group);
      }
      group.devices.push(row.device);
    }
    const list = [...groups.values()];
    await this.loadFieldKeys(new Set(list.map((group) => group.standard)));
    for (let i = 0; i < list.length; i += statementsPerRequest) {
      const chunk = list.slice(i, i + statementsPerRequest).filter((group) => (this.fieldKeys.get(group.standard) ?? []).length > 0);
      const results = await this.runner.run(chunk.map((group) => this.dayStatement(group.standard, group.kommune, group.day, group.devices)));
      const points: IPoint[] = [];
      chunk.forEach((group, j) => {
        const fields = this.fieldKeys.get(group.standard)!;
        for (const series of results[j]!) points.push(rollupPoint(group.standard, series.tags, group.day, fields, series.values));
      });
      for (let k = 0; k < points.length; k += pointsPerRequest) {
        await this.influx.writePoints(points.slice(k, k + pointsPerRequest), { database: this.database, retentionPolicy: rollupPolicy, precision: 'n' });
      }
    }
    this.ledger.clearDirtyDays(dirty);
  }

  private async loadFieldKeys(standards: ReadonlySet<StandardId>): Promise<void> {
    const list = [...standards];
    const results = await this.runner.run(
      list.map((standard) => `SHOW FIELD KEYS ON ${ident(this.database)} FROM ${ident(this.database)}.${ident(rawPolicy)}.${ident(measurementOf(standard))}`),
    );
    list.forEach((standard, i) => {
      const known = new Set((results[i]?.[0]?.values ?? []).map((row) => String(row[0])));
      this.fieldKeys.set(standard, numericFields[standard].filter((field) => known.has(field)));
    });
  }

  /** The numeric values of one day of some devices of one standard in one kommune, per series in time order. */
  private dayStatement(standard: StandardId, kommune: string, day: number, devices: readonly string[]): string {
    const fields = this.fieldKeys.get(standard)!;
    const source = `${ident(this.database)}.${ident(rawPolicy)}.${ident(measurementOf(standard))}`;
    const selection = `${ident('kommune')} = ${str(tagValue(kommune))} AND ${tagIn('device', devices)}`;
    const when = `time >= ${time(day)} AND time < ${time(nextBucketStart('1d', defaultTimeZone, day))}`;
    return `SELECT ${fields.map(ident).join(', ')} FROM ${source} WHERE ${selection} AND ${when} GROUP BY ${ident('kommune')}, ${ident('asset')}, ${ident('device')}`;
  }
}

/** One series' day folded into its rollup point: per field n, s, lo, hi, f, l, d (see rollupSuffixes). */
function rollupPoint(standard: StandardId, tags: Record<string, string>, day: number, fields: readonly string[], rows: readonly unknown[][]): IPoint {
  const values: Record<string, number> = {};
  fields.forEach((field, i) => {
    let n = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let first = 0;
    let last = 0;
    let inc = 0;
    for (const row of rows) {
      const v = row[i + 1];
      if (typeof v !== 'number') continue;
      if (n === 0) first = v;
      else if (v > last) inc += v - last;
      n++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      last = v;
    }
    if (n === 0) return;
    Object.assign(values, { [`${field}_n`]: n, [`${field}_s`]: sum, [`${field}_lo`]: min, [`${field}_hi`]: max, [`${field}_f`]: first, [`${field}_l`]: last, [`${field}_d`]: inc });
  });
  const pointTags: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) if (value !== '') pointTags[key] = value;
  // a day without any value still gets a point (count 0 of the first field), so an earlier rollup of it is overwritten
  if (Object.keys(values).length === 0 && fields[0] !== undefined) values[`${fields[0]}_n`] = 0;
  return { measurement: measurementOf(standard), tags: pointTags, fields: values, timestamp: (BigInt(day) * 1_000_000n).toString() };
}

/** The point of one record. */
export function toPoint(record: SensorRecord): IPoint {
  const tags: Record<string, string> = { kommune: tagValue(record.kommune), device: tagValue(record.deviceId) };
  if (record.assetId !== undefined) tags.asset = tagValue(record.assetId);
  const fields: Record<string, number | string> = { [recordField]: JSON.stringify(record) };
  if (record.quality !== 'bad') {
    for (const field of numericFields[record.standard]) {
      const value = fieldValue(record, field);
      if (value !== null) fields[field] = value;
    }
  }
  return { measurement: measurementOf(record.standard), tags, fields, timestamp: pointTime(observedMs(record), record.id) };
}
