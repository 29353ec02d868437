import type { SensorRecord } from '../../../standards/src/index.js';

/** A record in the durable queue: its sequence number orders delivery. */
export interface QueuedRecord {
  seq: number;
  record: SensorRecord;
}

/** A queued record as JSON text (what the forwarder sends), with its id. */
export interface SerializedRecord {
  seq: number;
  id: string;
  json: string;
}

export interface QueueStats {
  depth: number;
  oldestEnqueuedAt: string | undefined;
  /** Payload bytes held (the stored form of the records, ids included), counted against `quotaBytes`; not the file size. */
  bytes: number;
  quotaBytes: number;
  /** Records dropped (oldest first) because the disk quota was reached, since the queue was created. */
  droppedAtQuota: number;
}

/** Durable store-and-forward queue (DESIGN.md §2, Queue). */
export interface RecordQueue {
  /** Appends in one transaction; durable (committed, WAL) when it returns. */
  append(records: readonly SensorRecord[]): void;
  /**
   * The oldest `limit` records, not removed. With `afterSeq`, the oldest after that sequence
   * number: a forwarder can send the next batch while the previous one awaits its acknowledgement.
   */
  peek(limit: number, afterSeq?: number): QueuedRecord[];
  /** As peek, each record as its JSON text (JSON.stringify of the record). */
  peekJson(limit: number, afterSeq?: number): SerializedRecord[];
  /** Removes records by id once the cloud acknowledged them (stored or duplicate). Unknown ids are ignored. */
  acknowledge(ids: readonly string[]): void;
  stats(): QueueStats;
  close(): void;
}
