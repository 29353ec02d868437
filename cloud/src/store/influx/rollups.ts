import type { StandardId } from '../../../../standards/src/index.js';
import { numericFields } from '../fields.js';
import { defaultTimeZone, nextBucketStart } from '../zone.js';
import { fromTagValue, ident, measurementOf, rawPolicy, rollupPolicy, rollupSuffixes, str, tagIn, tagValue, time } from './influxql.js';
import type { DirtyDay, IdLedger } from './ledger.js';
import { line } from './line-protocol.js';
import type { LineWriter } from './line-writer.js';
import { markKey, type PendingDay, type PendingReadings, seriesKey } from './pending-readings.js';
import type { InfluxRunner } from './runner.js';

/** Rollup points per HTTP write. */
const pointsPerRequest = 5000;
/** (standard, kommune, day)s per round of HTTP query requests. */
const groupsPerRequest = 50;
/** Rollup field: the time (ms) of the series' last reading folded in. */
const lastAtField = 'lastAt';

interface Group {
  standard: StandardId;
  kommune: string;
  day: number;
  /** Tag value of each marked device → the earliest new observation (ms), or null when unknown. */
  since: Map<string, number | null>;
}

/** A series' rollup as stored: field name → value (`distanceMm_n`, …, `lastAt`). */
type Stored = Record<string, number>;

/**
 * The daily rollups (`rollup_1d`): per series (kommune, asset, device) and Europe/Copenhagen day,
 * per numeric field count, sum, min, max, first, last and the increase between consecutive values
 * (n, s, lo, hi, f, l, d: see rollupSuffixes), and `lastAt`, the time of the last reading folded in.
 *
 * Writes mark the (device, day)s they touch in the ledger with the earliest observation they
 * wrote (`since`). A flush, a little later and for many writes at once, and always before a query
 * reads rollups, brings each marked day's rollups up to date:
 * - incrementally when every stored rollup of the device's day has `lastAt` before `since`: the
 *   new readings are then exactly the readings from `since` on (a reading folded before is at or
 *   before `lastAt`), so only they are folded onto the stored rollup: taken from memory when this
 *   process wrote them all (PendingReadings), else read from InfluxDB. This is the common case,
 *   live readings arriving in time order, and a replayed backlog;
 * - else (a reading arrived out of order, or the stored rollup has no `lastAt`) from the whole day
 *   of raw readings, which is right however late or out of order the readings came.
 *
 * Kept by the store rather than by continuous queries: a CQ only ever sees a window just behind
 * now(), but a gateway back from a week offline replays a week of readings. (SELECT … INTO with
 * InfluxDB's aggregates, the CQ way, was tried: over 10× slower than folding here.)
 */
export class DailyRollups {
  /** Numeric field keys per measurement, as InfluxDB knows them (refreshed at each flush). */
  private fieldKeys = new Map<string, string[]>();

  constructor(
    private readonly lines: LineWriter,
    private readonly runner: InfluxRunner,
    private readonly database: string,
    private readonly ledger: IdLedger,
    private readonly held: PendingReadings,
  ) {}

  /** Whether rollup work is waiting. */
  pending(): boolean {
    return this.ledger.hasDirtyDays();
  }

  /** Brings the daily rollups of every marked (device, day) up to date (one flush at a time). */
  async flush(): Promise<void> {
    if (!this.ledger.hasDirtyDays()) return;
    const taken = this.ledger.takeDirtyDays();
    const readings = this.held.take();
    try {
      const groups = groupDays(taken.days);
      await this.loadFieldKeys(new Set(groups.map((group) => group.standard)));
      const withFields = groups.filter((group) => (this.fieldKeys.get(group.standard) ?? []).length > 0);
      for (let i = 0; i < withFields.length; i += groupsPerRequest) await this.flushGroups(withFields.slice(i, i + groupsPerRequest), readings);
    } catch (error) {
      this.ledger.putBack(taken);
      this.held.putBack(readings);
      throw error;
    }
    this.ledger.doneWith(taken);
  }

  private async flushGroups(groups: readonly Group[], pending: ReadonlyMap<string, PendingDay>): Promise<void> {
    // the stored rollups of the devices that may be brought up to date incrementally
    const candidates = groups.map((group) => [...group.since].filter(([, since]) => since !== null).map(([device]) => device));
    const asked = groups.flatMap((group, i) => (candidates[i]!.length > 0 ? [i] : []));
    const answers = await this.runner.run(asked.map((i) => this.rollupStatement(groups[i]!, candidates[i]!)));
    const stored = new Map(asked.map((i, j) => [i, answers[j]!]));
    const statements: string[] = [];
    const plans: { group: Group; stored: Map<string, Stored>; incremental: boolean }[] = [];
    const lines: string[] = [];
    groups.forEach((group, i) => {
      const byDevice = new Map<string, Stored[]>();
      const bySeries = new Map<string, Stored>();
      for (const series of stored.get(i) ?? []) {
        const row = series.values[0];
        if (!row) continue;
        const values: Stored = {};
        series.columns.forEach((column, c) => {
          if (c > 0 && typeof row[c] === 'number') values[column] = row[c] as number;
        });
        const device = series.tags.device ?? '';
        byDevice.set(device, [...(byDevice.get(device) ?? []), values]);
        bySeries.set(seriesKey(series.tags), values);
      }
      const incremental: string[] = [];
      const whole: string[] = [];
      const fields = this.fieldKeys.get(group.standard)!;
      for (const [device, since] of group.since) {
        const ok = since !== null && (byDevice.get(device) ?? []).every((values) => typeof values[lastAtField] === 'number' && values[lastAtField] < since);
        if (!ok) {
          whole.push(device);
          continue;
        }
        const held = pending.get(markKey(group.standard, group.kommune, group.day, fromTagValue(device)));
        if (!held?.complete) {
          incremental.push(device);
          continue;
        }
        // every new reading is in memory: fold them without reading them back
        for (const [series, list] of held.series) {
          const [asset, tagDevice] = series.split('\u0000') as [string, string];
          const rows = [...list].sort((a, b) => a.at - b.at || a.offset - b.offset).map((reading) => [reading.at, ...fields.map((field) => reading.values[field] ?? null)]);
          const tags = { kommune: tagValue(group.kommune), asset, device: tagDevice };
          lines.push(rollupLine(group.standard, tags, group.day, fields, bySeries.get(series), rows));
        }
      }
      if (incremental.length > 0) {
        const from = Math.min(...incremental.map((device) => group.since.get(device)!));
        statements.push(this.readingsStatement(group, incremental, from));
        plans.push({ group, stored: bySeries, incremental: true });
      }
      if (whole.length > 0) {
        statements.push(this.readingsStatement(group, whole, group.day));
        plans.push({ group, stored: new Map(), incremental: false });
      }
    });
    const readings = await this.runner.run(statements);
    plans.forEach((plan, i) => {
      const fields = this.fieldKeys.get(plan.group.standard)!;
      for (const series of readings[i]!) {
        let rows = series.values;
        let prior: Stored | undefined;
        if (plan.incremental) {
          // the statement read from the group's earliest `since`: keep each device's new readings only
          const since = plan.group.since.get(series.tags.device ?? '')!;
          rows = rows.filter((row) => (row[0] as number) >= since);
          if (rows.length === 0) continue;
          prior = plan.stored.get(seriesKey(series.tags));
        }
        lines.push(rollupLine(plan.group.standard, series.tags, plan.group.day, fields, prior, rows));
      }
    });
    for (let k = 0; k < lines.length; k += pointsPerRequest) await this.lines.write(lines.slice(k, k + pointsPerRequest), rollupPolicy);
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

  /** `devices` as tag values (as stored). */
  private where(group: Group, devices: readonly string[]): string {
    return `${ident('kommune')} = ${str(tagValue(group.kommune))} AND ${tagIn('device', devices.map(fromTagValue))}`;
  }

  /** The stored rollups of some devices' day, per series. */
  private rollupStatement(group: Group, devices: readonly string[]): string {
    const source = `${ident(this.database)}.${ident(rollupPolicy)}.${ident(measurementOf(group.standard))}`;
    return `SELECT * FROM ${source} WHERE ${this.where(group, devices)} AND time >= ${time(group.day)} AND time < ${time(group.day + 1)} GROUP BY ${ident('kommune')}, ${ident('asset')}, ${ident('device')}`;
  }

  /** The numeric values of some devices of one standard in one kommune from `from` to the day's end, per series in time order. */
  private readingsStatement(group: Group, devices: readonly string[], from: number): string {
    const fields = this.fieldKeys.get(group.standard)!;
    const source = `${ident(this.database)}.${ident(rawPolicy)}.${ident(measurementOf(group.standard))}`;
    const when = `time >= ${time(from)} AND time < ${time(nextBucketStart('1d', defaultTimeZone, group.day))}`;
    return `SELECT ${fields.map(ident).join(', ')} FROM ${source} WHERE ${this.where(group, devices)} AND ${when} GROUP BY ${ident('kommune')}, ${ident('asset')}, ${ident('device')}`;
  }
}

/** The marks per (standard, kommune, day), devices as tag values; a device marked twice keeps the earlier start. */
function groupDays(dirty: readonly DirtyDay[]): Group[] {
  const groups = new Map<string, Group>();
  for (const row of dirty) {
    const key = `${row.standard}\u0000${row.kommune}\u0000${row.day}`;
    let group = groups.get(key);
    if (!group) {
      group = { standard: row.standard as StandardId, kommune: row.kommune, day: row.day, since: new Map() };
      groups.set(key, group);
    }
    const device = tagValue(row.device);
    const known = group.since.get(device);
    group.since.set(device, known === undefined ? row.since : known === null || row.since === null ? null : Math.min(known, row.since));
  }
  return [...groups.values()];
}

/**
 * A series' day folded into its rollup point: per field n, s, lo, hi, f, l, d (see rollupSuffixes)
 * and lastAt; `rows` (time, then the fields' values, in time order) folded onto `prior`, the
 * stored rollup of the readings before them, or alone.
 */
function rollupLine(standard: StandardId, tags: Record<string, string>, day: number, fields: readonly string[], prior: Stored | undefined, rows: readonly unknown[][]): string {
  const values: [string, number][] = [];
  fields.forEach((field, i) => {
    const had = prior?.[`${field}_n`] ?? 0;
    let n = had;
    let sum = had > 0 ? prior![`${field}_s`]! : 0;
    let min = had > 0 ? prior![`${field}_lo`]! : Infinity;
    let max = had > 0 ? prior![`${field}_hi`]! : -Infinity;
    let first = had > 0 ? prior![`${field}_f`]! : 0;
    let last = had > 0 ? prior![`${field}_l`]! : 0;
    let inc = had > 0 ? prior![`${field}_d`]! : 0;
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
    const folded = [n, sum, min, max, first, last, inc];
    rollupSuffixes.forEach((suffix, k) => values.push([`${field}_${suffix}`, folded[k]!]));
  });
  // a day without any value still gets a point (count 0 of the first field), so an earlier rollup of it is overwritten
  if (values.length === 0 && fields[0] !== undefined) values.push([`${fields[0]}_n`, 0]);
  const lastRow = rows[rows.length - 1];
  const lastAt = typeof lastRow?.[0] === 'number' ? lastRow[0] : prior?.[lastAtField];
  if (lastAt !== undefined) values.push([lastAtField, lastAt]);
  return line(measurementOf(standard), Object.entries(tags), values, (BigInt(day) * 1_000_000n).toString());
}
