import type { SensorRecord } from '../../../standards/src/index.js';

/** A record in the durable queue: its sequence number orders delivery. */
export interface QueuedRecord {
  seq: number;
  record: SensorRecord;
}

export interface QueueStats {
  depth: number;
  oldestEnqueuedAt: string | undefined;
  bytes: number;
  quotaBytes: number;
  /** Records dropped (oldest first) because the disk quota was reached, since the queue was created. */
  droppedAtQuota: number;
}

/** Durable store-and-forward queue (DESIGN.md §2, Queue). */
export interface RecordQueue {
  /** Appends in one transaction; durable (committed, WAL) when it returns. */
  append(records: readonly SensorRecord[]): void;
  /** The oldest `limit` records, not removed. */
  peek(limit: number): QueuedRecord[];
  /** Removes records by id once the cloud acknowledged them (stored or duplicate). */
  acknowledge(ids: readonly string[]): void;
  stats(): QueueStats;
  close(): void;
}
