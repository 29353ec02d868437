import type { QueuedRecord, QueueStats, RecordQueue, SerializedRecord } from '../../gateway/src/core/queue.js';
import { newRecordId } from '../../firmware-profiles/src/index.js';
import type { SensorRecord } from '../../standards/src/index.js';

interface Entry extends QueuedRecord {
  enqueuedAt: number;
}

/**
 * An in-memory RecordQueue for tests and benchmarks: same contract as the SQLite queue (oldest
 * first, records leave only through acknowledge), none of the durability. An id already queued is
 * not queued twice. Peek and acknowledge are O(limit) / O(ids), so a benchmark measures the
 * forwarder, not this.
 */
export class MemoryQueue implements RecordQueue {
  /** entries[seq - firstSeq]; undefined once acknowledged. */
  private entries: (Entry | undefined)[] = [];
  private firstSeq = 1;
  private head = 0;
  private nextSeq = 1;
  private readonly byId = new Map<string, Entry>();
  private emptyWaiters: (() => void)[] = [];
  /** Acknowledge calls and ids, for assertions. */
  acknowledgeCalls = 0;
  acknowledgedIds = 0;
  closed = false;

  append(records: readonly SensorRecord[]): void {
    this.assertOpen();
    const now = Date.now();
    for (const record of records) {
      if (this.byId.has(record.id)) continue;
      const entry: Entry = { seq: this.nextSeq++, record, enqueuedAt: now };
      this.entries.push(entry);
      this.byId.set(record.id, entry);
    }
  }

  peek(limit: number, afterSeq = 0): QueuedRecord[] {
    this.assertOpen();
    this.skipAcknowledged();
    const out: QueuedRecord[] = [];
    for (let i = Math.max(this.head, afterSeq - this.firstSeq + 1); i < this.entries.length && out.length < limit; i++) {
      const entry = this.entries[i];
      if (entry) out.push({ seq: entry.seq, record: entry.record });
    }
    return out;
  }

  peekJson(limit: number, afterSeq = 0): SerializedRecord[] {
    return this.peek(limit, afterSeq).map(({ seq, record }) => ({ seq, id: record.id, json: JSON.stringify(record) }));
  }

  acknowledge(ids: readonly string[]): void {
    this.assertOpen();
    this.acknowledgeCalls++;
    for (const id of ids) {
      const entry = this.byId.get(id);
      if (!entry) continue;
      this.byId.delete(id);
      this.entries[entry.seq - this.firstSeq] = undefined;
      this.acknowledgedIds++;
    }
    this.skipAcknowledged();
    if (this.byId.size === 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  stats(): QueueStats {
    this.skipAcknowledged();
    const oldest = this.entries[this.head];
    return {
      depth: this.byId.size,
      oldestEnqueuedAt: oldest ? new Date(oldest.enqueuedAt).toISOString() : undefined,
      bytes: 0,
      quotaBytes: Number.POSITIVE_INFINITY,
      droppedAtQuota: 0,
    };
  }

  close(): void {
    this.closed = true;
  }

  /** Ids still queued, oldest first. */
  ids(): string[] {
    return this.peek(Number.MAX_SAFE_INTEGER).map((item) => item.record.id);
  }

  /** Resolves when the queue is (or becomes) empty. */
  whenEmpty(): Promise<void> {
    if (this.byId.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  private skipAcknowledged(): void {
    while (this.head < this.entries.length && this.entries[this.head] === undefined) this.head++;
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.firstSeq += this.head;
      this.head = 0;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('queue is closed');
  }
}

const baseMs = Date.UTC(2026, 0, 15, 8, 0, 0);

/**
 * Valid fill-level/1 records (what the pipeline would queue), about 370 bytes of JSON each.
 * `overrides` patches record i, e.g. to make it invalid for the cloud.
 */
export function makeTestRecords(
  count: number,
  options: { gatewayId?: string; kommune?: string; overrides?: (index: number) => Partial<Record<string, unknown>> | undefined } = {},
): SensorRecord[] {
  const gatewayId = options.gatewayId ?? 'gw-test';
  const kommune = options.kommune ?? '0751';
  const records: SensorRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(baseMs + i * 1000).toISOString();
    const record = {
      id: newRecordId(),
      standard: 'fill-level/1' as const,
      kommune,
      deviceId: `em310-${(i % 500).toString().padStart(4, '0')}`,
      assetId: `container-${(i % 500).toString().padStart(4, '0')}`,
      gatewayId,
      observedAt: at,
      receivedAt: at,
      quality: 'good' as const,
      device: { batteryPercent: 87, rssiDbm: -97, snrDb: 7.5 },
      distanceMm: 300 + (i % 900),
      fillLevel: Math.round((1 - (300 + (i % 900)) / 1200) * 1000) / 1000,
      temperatureC: 11.5,
      tilted: false,
    };
    const patch = options.overrides?.(i);
    records.push((patch ? { ...record, ...patch } : record) as SensorRecord);
  }
  return records;
}
