import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import type { RecordQueue } from '../../../gateway/src/core/queue.js';
import { openSqliteQueue, type SqliteQueueOptions } from '../../../gateway/src/queue/sqlite-queue.js';
import type { SensorRecord } from '../../../standards/src/index.js';

let dir: string;
let path: string;
const open: RecordQueue[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sensorbro-queue-'));
  path = join(dir, 'queue.db');
});

afterEach(() => {
  for (const queue of open.splice(0)) queue.close();
  rmSync(dir, { recursive: true, force: true });
});

function openQueue(options: Partial<SqliteQueueOptions> = {}): RecordQueue {
  const queue = openSqliteQueue({ path, quotaBytes: 100 * 1024 * 1024, logger: captureLogger([]), ...options });
  open.push(queue);
  return queue;
}

function reopen(queue: RecordQueue, options: Partial<SqliteQueueOptions> = {}): RecordQueue {
  queue.close();
  return openQueue(options);
}

interface LogLine {
  level: number;
  msg: string;
  alarm?: string;
  [key: string]: unknown;
}

/** A real pino logger writing into an array. */
function captureLogger(lines: LogLine[]) {
  return pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
}

let counter = 0;
function fillLevel(overrides: Partial<SensorRecord> & Record<string, unknown> = {}): SensorRecord {
  const n = counter++;
  return {
    id: newRecordId(),
    standard: 'fill-level/1',
    kommune: '0751',
    deviceId: `em310-${n % 50}`,
    gatewayId: 'gw-aarhus-01',
    observedAt: '2026-11-24T08:00:00.000Z',
    receivedAt: '2026-11-24T08:00:01.000Z',
    quality: 'good',
    distanceMm: 100 + n,
    device: { batteryPercent: 90 },
    ...overrides,
  } as SensorRecord;
}

const batch = (count: number) => Array.from({ length: count }, () => fillLevel());
const ids = (records: readonly { id: string }[]) => records.map((r) => r.id);
const peekIds = (queue: RecordQueue, limit = 1_000_000) => queue.peek(limit).map((q) => q.record.id);

/** Counts straight from the file, to check the kept counters. */
function countInFile(file = path): { count: number; bytes: number } {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM records').get() as { count: number; bytes: number };
  } finally {
    db.close();
  }
}

describe('sqlite queue: append, peek, acknowledge', () => {
  it('peeks in append order without removing, and acknowledges by id', () => {
    const queue = openQueue();
    const first = batch(3);
    const second = batch(4);
    queue.append(first);
    queue.append(second);

    const peeked = queue.peek(10);
    expect(peeked.map((q) => q.record)).toEqual([...first, ...second]);
    const seqs = peeked.map((q) => q.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(peekIds(queue, 2)).toEqual(ids(first.slice(0, 2)));
    expect(queue.stats().depth).toBe(7);

    // Acknowledged out of order and partially: the rest keeps its order.
    queue.acknowledge([second[1]!.id, first[0]!.id, first[2]!.id]);
    expect(peekIds(queue)).toEqual([first[1]!.id, second[0]!.id, second[2]!.id, second[3]!.id]);
    expect(queue.stats().depth).toBe(4);

    // Unknown and already acknowledged ids are ignored.
    queue.acknowledge([first[0]!.id, newRecordId(), 'no-such-id']);
    expect(queue.stats().depth).toBe(4);

    queue.acknowledge(ids([...first, ...second]));
    expect(queue.peek(10)).toEqual([]);
    expect(queue.stats()).toMatchObject({ depth: 0, bytes: 0, oldestEnqueuedAt: undefined });
  });

  it('pages with afterSeq, so a forwarder can send the next batch before the previous is acknowledged', () => {
    const queue = openQueue();
    const records = batch(10);
    queue.append(records);
    const page1 = queue.peek(4);
    const page2 = queue.peek(4, page1.at(-1)!.seq);
    const page3 = queue.peek(4, page2.at(-1)!.seq);
    expect([...page1, ...page2, ...page3].map((q) => q.record.id)).toEqual(ids(records));
    expect(queue.peek(4, page3.at(-1)!.seq)).toEqual([]);
  });

  it('stores a record once when its id is appended twice, in one call or in two', () => {
    const queue = openQueue();
    const a = fillLevel();
    const b = fillLevel();
    queue.append([a, b, fillLevel({ id: a.id, distanceMm: 1 })]);
    queue.append([b, a]);
    expect(queue.peek(10).map((q) => q.record)).toEqual([a, b]);
    const stats = queue.stats();
    expect(stats.depth).toBe(2);
    expect(countInFile()).toEqual({ count: 2, bytes: stats.bytes });
  });

  it('gives back exactly what was appended, whatever the id looks like and whatever the fields', () => {
    const queue = openQueue();
    const records = [
      fillLevel({ qualityFlags: ['out-of-range:distanceMm'], tilted: true, temperatureC: -3.5, device: { batteryPercent: 12, rssiDbm: -117, snrDb: -7.25 } }),
      fillLevel({ id: 'not-a-uuid: ÆØÅ 🗑' }),
      fillLevel({ id: newRecordId().toUpperCase() }),
      fillLevel({ assetId: 'container-17', undecoded: [{ offset: 4, hex: 'ff00' }], fillLevel: 0.25 }),
      { ...fillLevel(), standard: 'meter-reading/1', meterType: 'heat', energyKWh: 123456.789, volumeM3: 12.5 } as unknown as SensorRecord,
    ];
    queue.append(records);
    expect(queue.peek(10).map((q) => q.record)).toEqual(records);
    queue.acknowledge([records[1]!.id, records[2]!.id]);
    expect(peekIds(queue)).toEqual(ids([records[0]!, records[3]!, records[4]!]));
    // The upper-case spelling is a different id string from the lower-case one.
    queue.append([fillLevel({ id: records[2]!.id.toLowerCase() })]);
    expect(queue.stats().depth).toBe(4);
  });

  it('leaves out undefined fields, as JSON would', () => {
    const queue = openQueue();
    const record = fillLevel({ assetId: undefined, tilted: undefined });
    queue.append([record]);
    const back = queue.peek(1)[0]!.record as Record<string, unknown>;
    expect(Object.keys(back)).not.toContain('assetId');
    expect(back).toEqual(JSON.parse(JSON.stringify(record)));
  });

  it('writes nothing when a record of the call cannot be stored', () => {
    const queue = openQueue();
    const good = fillLevel();
    expect(() => queue.append([good, fillLevel({ id: '' })])).toThrow(/id/);
    expect(() => queue.append([good, { ...fillLevel(), big: 10n } as unknown as SensorRecord])).toThrow();
    expect(queue.stats().depth).toBe(0);
    expect(countInFile().count).toBe(0);
  });

  it('keeps counters equal to the rows through appends, duplicates and acknowledgements', () => {
    const queue = openQueue();
    const all: SensorRecord[] = [];
    for (let round = 0; round < 20; round++) {
      const records = batch(37);
      all.push(...records);
      queue.append([...records, ...all.slice(0, 5)]);
      queue.acknowledge(ids(all.splice(0, 20)));
      const stats = queue.stats();
      expect(countInFile()).toEqual({ count: stats.depth, bytes: stats.bytes });
      expect(stats.depth).toBe(all.length);
    }
    expect(peekIds(queue)).toEqual(ids(all));
  });
});

describe('sqlite queue: reopen', () => {
  it('keeps records, order, sequence numbers and counters', () => {
    let queue = openQueue({ quotaBytes: 4000 });
    queue.append(batch(40)); // more than fits: some are dropped
    const before = queue.stats();
    const peeked = queue.peek(100);
    expect(before.droppedAtQuota).toBeGreaterThan(0);

    queue = reopen(queue, { quotaBytes: 4000 });
    expect(queue.stats()).toEqual(before);
    expect(queue.peek(100)).toEqual(peeked);

    // Sequence numbers keep rising after reopen, even when the queue was emptied.
    queue.acknowledge(peeked.map((q) => q.record.id));
    queue = reopen(queue, { quotaBytes: 4000 });
    queue.append(batch(1));
    expect(queue.peek(1)[0]!.seq).toBeGreaterThan(peeked.at(-1)!.seq);
    expect(queue.stats().droppedAtQuota).toBe(before.droppedAtQuota);
  });

  it('reports when the oldest record was enqueued', () => {
    const queue = openQueue();
    const before = Date.now();
    queue.append(batch(2));
    const after = Date.now();
    const at = Date.parse(queue.stats().oldestEnqueuedAt!);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
  });

  it('refuses an unusable path and quota', () => {
    expect(() => openSqliteQueue({ path: ':memory:', quotaBytes: 1000 })).toThrow(/on-disk/);
    expect(() => openSqliteQueue({ path, quotaBytes: 0 })).toThrow(/quotaBytes/);
  });

  it('creates the folder of the queue file', () => {
    path = join(dir, 'nested', 'deeper', 'queue.db');
    const queue = openQueue();
    queue.append(batch(1));
    expect(statSync(path).isFile()).toBe(true);
  });
});

describe('sqlite queue: disk quota', () => {
  it('drops the oldest records first, counts them and keeps the payload under the quota', () => {
    const lines: LogLine[] = [];
    const queue = openQueue({ quotaBytes: 5000, logger: captureLogger(lines) });
    const all: SensorRecord[] = [];
    for (let i = 0; i < 10; i++) {
      const records = batch(10);
      all.push(...records);
      queue.append(records);
      expect(queue.stats().bytes).toBeLessThanOrEqual(5000);
    }
    const stats = queue.stats();
    const kept = peekIds(queue);
    expect(stats.depth).toBe(kept.length);
    expect(stats.depth).toBeGreaterThan(10);
    expect(stats.droppedAtQuota).toBe(all.length - kept.length);
    // What is left are the newest, in order.
    expect(kept).toEqual(ids(all.slice(all.length - kept.length)));
    expect(countInFile()).toEqual({ count: stats.depth, bytes: stats.bytes });
  });

  it('raises the alarm once per crossing, clears it below the quota, and raises it again at the next crossing', () => {
    const lines: LogLine[] = [];
    const queue = openQueue({ quotaBytes: 5000, logger: captureLogger(lines) });
    const alarms = () => lines.filter((l) => l.alarm === 'queue-quota');

    queue.append(batch(10));
    expect(alarms()).toEqual([]);
    for (let i = 0; i < 5; i++) queue.append(batch(10)); // several appends that drop
    expect(alarms()).toHaveLength(1);
    expect(alarms()[0]).toMatchObject({ level: 50, alarm: 'queue-quota', quotaBytes: 5000 });
    expect(alarms()[0]!.droppedAtQuota).toBeGreaterThan(0);

    // Draining most of it clears the alarm (a warning that says how many were dropped meanwhile).
    queue.acknowledge(peekIds(queue, 15));
    expect(alarms()).toHaveLength(2);
    expect(alarms()[1]).toMatchObject({ level: 40, cleared: true, droppedWhileFull: queue.stats().droppedAtQuota });

    queue.append(batch(30));
    expect(alarms()).toHaveLength(3);
    expect(alarms()[2]).toMatchObject({ level: 50, alarm: 'queue-quota' });
  });

  it('keeps only the newest of a single append larger than the quota', () => {
    const queue = openQueue({ quotaBytes: 2000 });
    const records = batch(50);
    queue.append(records);
    const kept = peekIds(queue);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).toEqual(ids(records.slice(records.length - kept.length)));
    expect(queue.stats().droppedAtQuota).toBe(50 - kept.length);
  });

  it('applies a lowered quota when the queue is reopened, and persists the count', () => {
    let queue = openQueue({ quotaBytes: 100_000 });
    queue.append(batch(100));
    expect(queue.stats().droppedAtQuota).toBe(0);
    const lines: LogLine[] = [];
    queue = reopen(queue, { quotaBytes: 3000, logger: captureLogger(lines) });
    const stats = queue.stats();
    expect(stats.bytes).toBeLessThanOrEqual(3000);
    expect(stats.droppedAtQuota).toBe(100 - stats.depth);
    expect(lines.filter((l) => l.alarm === 'queue-quota')).toHaveLength(1);
    queue = reopen(queue, { quotaBytes: 3000 });
    expect(queue.stats().droppedAtQuota).toBe(stats.droppedAtQuota);
  });
});

describe('sqlite queue: disk space', () => {
  it('gives the space of a drained backlog back to the file system', () => {
    const fileBytes = () => statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    const queue = openQueue({ reclaimMinFreeBytes: 256 * 1024 });
    for (let i = 0; i < 20; i++) queue.append(batch(500));
    const full = fileBytes();
    expect(full).toBeGreaterThan(1024 * 1024);

    // Half drained: the free pages are kept for reuse, nothing is rewritten.
    const all = peekIds(queue);
    queue.acknowledge(all.slice(0, 5000));
    expect(fileBytes()).toBeGreaterThanOrEqual(full);

    // Drained (but for a few records): the file shrinks; the rest is intact.
    queue.acknowledge(all.slice(5000, 9990));
    expect(fileBytes()).toBeLessThan(full / 10);
    expect(peekIds(queue)).toEqual(all.slice(9990));
    expect(queue.stats().depth).toBe(10);
  });
});
