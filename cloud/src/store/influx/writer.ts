import type { IPoint } from 'influx';
import type { SensorRecord } from '../../../../standards/src/index.js';
import { fieldValue, numericFields } from '../fields.js';
import { observedMs } from '../query-checks.js';
import { idKey } from '../sqlite/record-codec.js';
import type { WriteOutcome } from '../time-series-store.js';
import { copenhagenDayStart } from '../zone.js';
import { measurementOf, pointTime, rawPolicy, recordField, tagValue } from './influxql.js';
import type { DayToMark, IdLedger } from './ledger.js';
import { line } from './line-protocol.js';
import type { LineWriter } from './line-writer.js';
import { markKey, type PendingReadings } from './pending-readings.js';

/** Points per HTTP write (InfluxDB's advice: 5,000 – 10,000). */
const pointsPerRequest = 5000;

/**
 * The write path: ids checked against the ledger (and the batch itself), the new records written
 * as points (measurement per standard; tags kommune, asset, device; the numeric fields, none for
 * quality 'bad'; the record as JSON in a string field), then in one ledger transaction their ids
 * and the (device, day)s whose daily rollups they change, each with its earliest new observation.
 *
 * Writes run side by side (concurrent ingest requests keep InfluxDB busy while this process reads
 * the next request). Dedup stays exact: from checking the ledger until its ids are in the ledger,
 * a write holds its new ids in `inFlight`; a write that meets one of them waits for that write to
 * end and then checks again, so of two writes of one id exactly one stores it (and if that one
 * fails, the other does). A write waits before it holds any id itself, so two never wait for
 * each other.
 *
 * The daily rollups those marks ask for are brought up to date later, by rollups.ts.
 */
export class InfluxWriter {
  /** Ids being written → a promise that settles (never rejects) when that write has ended. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly writes = new Set<Promise<void>>();
  /** Ledger updates waiting for the next group commit. */
  private readonly commits: { update: LedgerUpdate; resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly lines: LineWriter,
    private readonly ledger: IdLedger,
    private readonly pending: PendingReadings,
  ) {}

  async write(records: readonly SensorRecord[]): Promise<WriteOutcome[]> {
    for (;;) {
      const busy = new Set<Promise<void>>();
      for (const record of records) {
        const other = this.inFlight.get(record.id);
        if (other) busy.add(other);
      }
      if (busy.size === 0) break;
      await Promise.all(busy);
    }
    // from here to the ledger update, this write holds its new ids (no await before they are held)
    let ended!: () => void;
    const end = new Promise<void>((resolve) => (ended = resolve));
    const outcomes: WriteOutcome[] = [];
    const fresh: SensorRecord[] = [];
    const keys: (Buffer | string)[] = [];
    for (const record of records) {
      if (this.inFlight.has(record.id)) {
        outcomes.push('duplicate'); // earlier in this batch
        continue;
      }
      const key = idKey(record.id);
      if (this.ledger.has(key)) {
        outcomes.push('duplicate');
        continue;
      }
      outcomes.push('stored');
      fresh.push(record);
      keys.push(key);
      this.inFlight.set(record.id, end);
    }
    if (fresh.length === 0) return outcomes;
    this.writes.add(end);

    try {
      const lines = fresh.map((record) => recordLine(record));
      const requests: Promise<void>[] = [];
      for (let i = 0; i < lines.length; i += pointsPerRequest) requests.push(this.lines.write(lines.slice(i, i + pointsPerRequest), rawPolicy));
      await Promise.all(requests);
      const dirty = new Map<string, DayToMark>();
      const marks: string[] = [];
      for (const record of fresh) {
        const at = observedMs(record);
        const day = copenhagenDayStart(at);
        const key = markKey(record.standard, record.kommune, day, record.deviceId);
        marks.push(key);
        const marked = dirty.get(key);
        if (!marked) dirty.set(key, { standard: record.standard, kommune: record.kommune, day, device: record.deviceId, since: at });
        else if (at < marked.since) marked.since = at;
      }
      await this.commit({ keys, dirty: [...dirty.keys()], days: [...dirty.values()], records: fresh, marks });
      return outcomes;
    } finally {
      for (const record of fresh) this.inFlight.delete(record.id);
      this.writes.delete(end);
      ended();
    }
  }

  /**
   * Adds ids and day marks to the ledger; the writes that reach this point in the same turn of the
   * event loop share one transaction (one fsync), which fails or succeeds for all of them.
   */
  private commit(update: LedgerUpdate): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.commits.push({ update, resolve, reject });
      if (this.commits.length > 1) return;
      setImmediate(() => {
        const group = this.commits.splice(0);
        let fresh: boolean[];
        try {
          fresh = this.ledger.add(
            group.flatMap((one) => one.update.keys),
            group.flatMap((one) => one.update.days),
          );
        } catch (error) {
          for (const one of group) one.reject(error);
          return;
        }
        // the readings beside their marks, in the same turn (see PendingReadings)
        let i = 0;
        for (const { update } of group) {
          for (const key of update.dirty) this.pending.mark(key, fresh[i++]!);
          update.records.forEach((record, j) => this.pending.add(update.marks[j]!, record));
        }
        for (const one of group) one.resolve();
      });
    });
  }

  /** Settles when every write begun so far has ended. */
  async idle(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }
}

/** What one write adds to the ledger: ids, its marked days (keys and rows), its records and each one's mark. */
interface LedgerUpdate {
  keys: readonly (Buffer | string)[];
  dirty: readonly string[];
  days: readonly DayToMark[];
  records: readonly SensorRecord[];
  marks: readonly string[];
}

interface RecordPoint {
  measurement: string;
  tags: [string, string][];
  fields: [string, number | string][];
  timeNs: string;
}

/** The point of one record: tags kommune, device and asset; the numeric fields unless quality is bad; the record as JSON. */
function recordPoint(record: SensorRecord): RecordPoint {
  const tags: [string, string][] = [
    ['kommune', tagValue(record.kommune)],
    ['device', tagValue(record.deviceId)],
  ];
  if (record.assetId !== undefined) tags.push(['asset', tagValue(record.assetId)]);
  const fields: [string, number | string][] = [[recordField, JSON.stringify(record)]];
  if (record.quality !== 'bad') {
    for (const field of numericFields[record.standard]) {
      const value = fieldValue(record, field);
      if (value !== null) fields.push([field, value]);
    }
  }
  return { measurement: measurementOf(record.standard), tags, fields, timeNs: pointTime(observedMs(record), record.id) };
}

/** The line-protocol line of one record, as the store writes it. */
export function recordLine(record: SensorRecord): string {
  const point = recordPoint(record);
  return line(point.measurement, point.tags, point.fields, point.timeNs);
}

/** The same point for the influx package's writePoints (the benchmarks' reference writes). */
export function toPoint(record: SensorRecord): IPoint {
  const point = recordPoint(record);
  return { measurement: point.measurement, tags: Object.fromEntries(point.tags), fields: Object.fromEntries(point.fields), timestamp: point.timeNs };
}
