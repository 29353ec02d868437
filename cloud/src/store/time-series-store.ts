import type { SensorRecord, StandardId } from '../../../standards/src/index.js';

/** What happened to one record handed to the store. */
export type WriteOutcome = 'stored' | 'duplicate';

/**
 * How the values of one series in one bucket become the bucket's value:
 * - `min`, `max`, `mean`, `last` (the value of the newest reading);
 * - `sum-delta`, the consumption of a cumulative register (energyKWh, volumeM3, pulseCount,
 *   openCount): the sum of the increases between consecutive readings of the series, each
 *   counted in the bucket of the later reading. A bucket's value is therefore the increase from
 *   the last reading before the bucket (however long before, also before `from`) to the last
 *   reading in the bucket. A negative step (a meter reset, rollover or replacement) counts 0, so
 *   the consumption around a reset is lost rather than counted wrongly. The first reading a series
 *   ever has contributes nothing. The buckets of a range add up to the consumption of the range,
 *   whatever their width; after a gap without readings, the whole increase over the gap lands in
 *   the first bucket with a reading.
 *
 * Over several series (an asset that had several devices, or `rangeMany`), per bucket: `min` and
 * `max` over all readings, `mean` over all readings, `last` the newest reading of any of them,
 * `sum-delta` the sum of the series' consumptions (each series' steps are its own).
 */
export type Aggregate = 'min' | 'max' | 'mean' | 'last' | 'sum-delta';

/**
 * Bucket widths the dashboards use. '15m' and '1h' are aligned to the UTC epoch; '1d' is the local
 * day of `timeZone` (23 or 25 hours on a DST change), '7d' the ISO week from Monday 00:00 local,
 * '30d' the calendar month from the 1st 00:00 local. Rollups exist for the coarse ones.
 */
export type BucketWidth = '15m' | '1h' | '1d' | '7d' | '30d';

export interface SeriesSelector {
  kommune: string;
  standard: StandardId;
  /**
   * One asset (with every device that reported for it), or, without assetId, one device (with or
   * without an asset). One of the two is required.
   */
  assetId?: string;
  deviceId?: string;
}

interface RangeShape {
  /** A numeric field of the standard, e.g. 'fillLevel', 'energyKWh', 'device.batteryPercent'; booleans count 0 / 1. */
  field: string;
  /** Inclusive start, ISO 8601. */
  from: string;
  /** Exclusive end, ISO 8601. */
  to: string;
  bucket: BucketWidth;
  aggregate: Aggregate;
  /** IANA time zone for day/week/month buckets; default 'Europe/Copenhagen'. */
  timeZone?: string;
}

/**
 * Readings with `from` <= observedAt < `to` count; values of records of quality 'bad' never do
 * (they are stored, and returned by latest() and raw()).
 */
export interface RangeQuery extends SeriesSelector, RangeShape {}

/** Several assets of one standard combined per bucket (e.g. a site's meters, resolved through the registry). */
export interface RangeManyQuery extends RangeShape {
  kommune: string;
  standard: StandardId;
  assetIds: readonly string[];
}

export interface Bucket {
  /** Bucket start, ISO 8601 UTC. */
  start: string;
  value: number | null;
  /** Values of the field in the bucket (readings of quality 'bad' or without the field are not counted). */
  count: number;
}

export interface LatestQuery {
  kommune: string;
  standard?: StandardId;
  /**
   * Only these assets (records without an asset are then left out). A site's (building's)
   * assets are resolved by the caller through the registry.
   */
  assetIds?: readonly string[];
  /** At most this many records, in the order of the result. */
  limit?: number;
}

export interface RawQuery {
  kommune: string;
  /** Inclusive start, ISO 8601. */
  from: string;
  /** Exclusive end, ISO 8601. */
  to: string;
  standard?: StandardId;
  assetId?: string;
  deviceId?: string;
}

/**
 * The time-series store (DESIGN.md §2, Store): one interface, an embedded SQLite implementation
 * (default) and an InfluxDB 1.x one, held to one shared contract test suite
 * (test/support/store-contract.ts). Every query is scoped to one kommune; a query for one kommune
 * never returns another's records. Invalid queries (unknown field, from >= to, bad time zone,
 * selector without asset and device, …) reject with a RangeError.
 */
export interface TimeSeriesStore {
  readonly kind: 'sqlite' | 'influx';
  /**
   * Stores records; a record whose id was stored before (in an earlier call or earlier in the
   * same batch) is a duplicate and changes nothing. Outcomes are in the order of `records`. The
   * promise resolves once the records are durable and visible to queries.
   */
  write(records: readonly SensorRecord[]): Promise<WriteOutcome[]>;
  /**
   * The newest record (by observedAt, whatever its quality) per asset and standard, or per device
   * and standard for records without assetId. Ordered by standard, then assets before devices,
   * each by id.
   */
  latest(query: LatestQuery): Promise<SensorRecord[]>;
  /** One field of one series, aggregated into time buckets in time order; empty buckets are left out. */
  range(query: RangeQuery): Promise<Bucket[]>;
  /** One field of several assets, combined per bucket (see Aggregate); empty buckets are left out. */
  rangeMany(query: RangeManyQuery): Promise<Bucket[]>;
  /**
   * Every record of the selection with `from` <= observedAt < `to`, ordered by observedAt, then id;
   * for exports. Streamed in pages, never all in memory.
   */
  raw(query: RawQuery): AsyncIterable<SensorRecord>;
  close(): Promise<void>;
}
