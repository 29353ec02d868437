import type { SensorRecord } from '../../../../standards/src/index.js';
import { fieldValue, numericFields } from '../fields.js';
import { idOffsetNs, tagValue } from './influxql.js';

/** A reading as the rollups fold it: observation ms, the id's sub-ms offset (the point's order), numeric values. */
export interface PendingReading {
  at: number;
  offset: number;
  values: Record<string, number>;
}

/** The readings of one marked (standard, kommune, day, device), per series (asset). */
export interface PendingDay {
  /**
   * Whether these are all the readings of the mark: true when this process made the mark (the
   * ledger had none) and every write to it since; false for a mark that was there before (an
   * earlier process's), whose readings the rollups then read from InfluxDB.
   */
  complete: boolean;
  /** Series key (see seriesKey) → readings, in no particular order. */
  series: Map<string, PendingReading[]>;
}

/** The key of a mark, as the ledger's (standard, kommune, day, device). */
export function markKey(standard: string, kommune: string, day: number, device: string): string {
  return `${standard}\u0000${kommune}\u0000${day}\u0000${device}`;
}

/** A series of a device's day by its tag values as stored (asset may be ''). */
export function seriesKey(tags: Record<string, string>): string {
  return `${tags.asset ?? ''}\u0000${tags.device ?? ''}`;
}

/**
 * The values of the readings stored since their day's rollup was last brought up to date, kept
 * in memory beside the ledger's marks, so that the rollups fold them without reading them back
 * from InfluxDB (reading back cost InfluxDB about as much as writing them). Changed only together
 * with the ledger's marks, in the same turn of the event loop; a mark without complete readings
 * here (after a restart) is read from InfluxDB.
 */
export class PendingReadings {
  private days = new Map<string, PendingDay>();

  /** After the ledger recorded a mark; `newMark`: the ledger had none for that day before. */
  mark(key: string, newMark: boolean): void {
    if (newMark || !this.days.has(key)) this.days.set(key, { complete: newMark, series: new Map() });
  }

  /** A reading of a marked day (see mark). Readings without numeric values are left out, as InfluxDB leaves them out of a SELECT of the numeric fields. */
  add(key: string, record: SensorRecord): void {
    const day = this.days.get(key);
    if (!day?.complete || record.quality === 'bad') return;
    const values: Record<string, number> = {};
    let any = false;
    for (const field of numericFields[record.standard]) {
      const value = fieldValue(record, field);
      if (value !== null) {
        values[field] = value;
        any = true;
      }
    }
    if (!any) return;
    const series = seriesKey({ asset: record.assetId === undefined ? '' : tagValue(record.assetId), device: tagValue(record.deviceId) });
    const list = day.series.get(series);
    const reading = { at: Date.parse(record.observedAt), offset: idOffsetNs(record.id), values };
    if (list) list.push(reading);
    else day.series.set(series, [reading]);
  }

  /** Takes every day (with the ledger's marks). */
  take(): Map<string, PendingDay> {
    const taken = this.days;
    this.days = new Map();
    return taken;
  }

  /** Puts taken days back (with the ledger's marks, after a failed flush), merged with the days marked since. */
  putBack(taken: ReadonlyMap<string, PendingDay>): void {
    for (const [key, day] of taken) {
      const now = this.days.get(key);
      if (!now) {
        this.days.set(key, day);
        continue;
      }
      now.complete &&= day.complete;
      for (const [series, readings] of day.series) now.series.set(series, [...(now.series.get(series) ?? []), ...readings]);
    }
  }
}
