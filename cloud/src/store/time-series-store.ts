import type { SensorRecord, StandardId } from '../../../standards/src/index.js';

/** What happened to one record handed to the store. */
export type WriteOutcome = 'stored' | 'duplicate';

export type Aggregate = 'min' | 'max' | 'mean' | 'last' | 'sum-delta';

/** Bucket widths the dashboards use; rollups exist for the coarse ones. */
export type BucketWidth = '15m' | '1h' | '1d' | '7d' | '30d';

export interface SeriesSelector {
  kommune: string;
  standard: StandardId;
  /** One asset (or, without assetId, one device). */
  assetId?: string;
  deviceId?: string;
}

export interface RangeQuery extends SeriesSelector {
  /** A numeric field of the standard, e.g. 'fillLevel', 'energyKWh'. */
  field: string;
  from: string;
  to: string;
  bucket: BucketWidth;
  aggregate: Aggregate;
  /** IANA time zone for day/week/month buckets; default 'Europe/Copenhagen'. */
  timeZone?: string;
}

export interface Bucket {
  /** Bucket start, ISO 8601 UTC. */
  start: string;
  value: number | null;
  /** Records in the bucket. */
  count: number;
}

export interface LatestQuery {
  kommune: string;
  standard?: StandardId;
  assetIds?: readonly string[];
  /** Site (building) whose assets are wanted; resolved by the caller through the registry to assetIds. */
  limit?: number;
}

export interface RawQuery {
  kommune: string;
  from: string;
  to: string;
  standard?: StandardId;
  assetId?: string;
  deviceId?: string;
}

/**
 * The time-series store (DESIGN.md §2, Store): one interface, an embedded SQLite implementation
 * (default) and an InfluxDB 1.x one, held to one shared contract test suite. Every query is
 * scoped to one kommune.
 */
export interface TimeSeriesStore {
  readonly kind: 'sqlite' | 'influx';
  /** Stores records; a record whose id was stored before is a duplicate and changes nothing. */
  write(records: readonly SensorRecord[]): Promise<WriteOutcome[]>;
  /** The newest record per asset (or per device, for records without assetId). */
  latest(query: LatestQuery): Promise<SensorRecord[]>;
  /** One field of one series, aggregated into time buckets; empty buckets are left out. */
  range(query: RangeQuery): Promise<Bucket[]>;
  /** Every record of the selection in time order, for exports; streamed, never all in memory. */
  raw(query: RawQuery): AsyncIterable<SensorRecord>;
  close(): Promise<void>;
}
