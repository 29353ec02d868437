import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetter, DeadLetterStore } from '../../../gateway/src/core/dead-letter.js';
import { type DeadLetterStoreOptions, openDeadLetterStore } from '../../../gateway/src/dead-letter/sqlite-dead-letters.js';

let dir: string;
let path: string;
const open: DeadLetterStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sensorbro-dead-letters-'));
  path = join(dir, 'dead-letters.db');
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

interface LogLine {
  level: number;
  alarm?: string;
  [key: string]: unknown;
}

function openStore(options: Partial<DeadLetterStoreOptions> = {}, lines: LogLine[] = []): DeadLetterStore {
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const store = openDeadLetterStore({ path, maxEntries: 1000, logger, ...options });
  open.push(store);
  return store;
}

function reopen(store: DeadLetterStore, options: Partial<DeadLetterStoreOptions> = {}, lines: LogLine[] = []): DeadLetterStore {
  store.close();
  return openStore(options, lines);
}

let n = 0;
type NewDeadLetter = Parameters<DeadLetterStore['add']>[0];
function entry(deviceKey: string | undefined, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  const i = n++;
  return {
    raw: {
      source: 'chirpstack',
      address: `application/1/device/${deviceKey ?? 'unknown'}/event/up`,
      payload: Uint8Array.from([0x01, 0x75, i & 0xff, 0x00, 0xff]),
    },
    deviceKey,
    code: 'unknown-device',
    reason: `no profile for device ${deviceKey ?? '?'} (#${i})`,
    ...overrides,
  };
}

/** What list() should give back for an added entry (without id and time). */
const shape = (e: NewDeadLetter) => ({ raw: { ...e.raw, payload: Uint8Array.from(e.raw.payload) }, deviceKey: e.deviceKey, code: e.code, reason: e.reason });
const listAll = (store: DeadLetterStore, deviceKey?: string) => store.list({ limit: 10_000, ...(deviceKey ? { deviceKey } : {}) });

describe('sqlite dead-letter store', () => {
  it('keeps the raw bytes, source, address, device, code and reason, oldest first', () => {
    const store = openStore();
    const entries = [
      entry('a84041000181c6f5'),
      entry(undefined, { raw: { source: 'mqtt', address: 'sensors/x/up', payload: new Uint8Array(0) }, code: 'malformed-envelope' }),
      entry('opcua-node-7', {
        raw: { source: 'opcua', address: 'ns=2;s=Boiler.Temp', payload: Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff) },
        code: 'invalid-record',
        reason: 'temperatureC: must be at most 1000 — “ÆØÅ”',
      }),
    ];
    for (const e of entries) store.add(e);
    const listed = listAll(store);
    expect(listed.map(({ id: _id, at: _at, ...rest }) => rest)).toEqual(entries.map(shape));
    expect(listed.map((d) => d.id)).toEqual([...listed.map((d) => d.id)].sort((a, b) => a - b));
    for (const d of listed) expect(d.raw.payload).toBeInstanceOf(Uint8Array);
    for (const d of listed) expect(new Date(d.at).toISOString()).toBe(d.at);
  });

  it('keeps a given time, and a payload that is a view into a larger buffer', () => {
    const store = openStore();
    const big = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    store.add({ ...entry('dev'), raw: { source: 'tts', address: 'v3/app/devices/dev/up', payload: big.subarray(2, 5) }, at: '2026-11-24T08:00:00.000Z' });
    const [d] = store.list();
    expect(d!.at).toBe('2026-11-24T08:00:00.000Z');
    expect([...d!.raw.payload]).toEqual([1, 2, 3]);
  });

  it('counts per device and pages by afterId, with and without a device filter', () => {
    const store = openStore();
    const devices = ['dev-a', 'dev-b', 'dev-c'];
    for (let i = 0; i < 25; i++) store.add(entry(devices[i % 3]));
    store.add(entry(undefined));
    expect(store.stats()).toEqual({ total: 26, byDevice: { 'dev-a': 9, 'dev-b': 8, 'dev-c': 8 }, dropped: 0 });

    const pages: DeadLetter[][] = [];
    let afterId: number | undefined;
    for (;;) {
      const page = store.list({ limit: 4, ...(afterId !== undefined ? { afterId } : {}) });
      if (page.length === 0) break;
      pages.push(page);
      afterId = page.at(-1)!.id;
    }
    expect(pages.map((p) => p.length)).toEqual([4, 4, 4, 4, 4, 4, 2]);
    expect(pages.flat().map((d) => d.id)).toEqual(listAll(store).map((d) => d.id));

    const b = listAll(store, 'dev-b');
    expect(b).toHaveLength(8);
    expect(b.every((d) => d.deviceKey === 'dev-b')).toBe(true);
    const bPage2 = store.list({ deviceKey: 'dev-b', afterId: b[2]!.id, limit: 3 });
    expect(bPage2.map((d) => d.id)).toEqual(b.slice(3, 6).map((d) => d.id));
    expect(store.list({ deviceKey: 'nobody' })).toEqual([]);
    expect(store.list({ limit: 0 })).toEqual([]);
  });

  it('removes by id (after a replay) and keeps counts exact', () => {
    const store = openStore();
    for (let i = 0; i < 6; i++) store.add(entry(i < 4 ? 'dev-a' : 'dev-b'));
    const a = listAll(store, 'dev-a');
    store.remove([a[0]!.id, a[1]!.id, 999_999]);
    expect(store.stats()).toEqual({ total: 4, byDevice: { 'dev-a': 2, 'dev-b': 2 }, dropped: 0 });
    store.remove(listAll(store, 'dev-b').map((d) => d.id));
    expect(store.stats()).toEqual({ total: 2, byDevice: { 'dev-a': 2 }, dropped: 0 });
    // Removing is not dropping; removed ids are not used again.
    const lastId = listAll(store).at(-1)!.id;
    store.remove([lastId]);
    store.add(entry('dev-c'));
    expect(listAll(store).at(-1)!.id).toBeGreaterThan(lastId);
    store.remove([]);
  });

  it('is bounded by entries: drops the oldest, counts them, per device too, and warns once', () => {
    const lines: LogLine[] = [];
    const store = openStore({ maxEntries: 10 }, lines);
    const added: NewDeadLetter[] = [];
    for (let i = 0; i < 25; i++) {
      const e = entry(i < 12 ? 'early' : 'late');
      added.push(e);
      store.add(e);
    }
    const listed = listAll(store);
    expect(listed.map((d) => d.reason)).toEqual(added.slice(15).map((e) => e.reason));
    expect(store.stats()).toEqual({ total: 10, byDevice: { late: 10 }, dropped: 15 });
    expect(lines.filter((l) => l.alarm === 'dead-letters-full')).toHaveLength(1);
  });

  it('is bounded by bytes as well, and keeps the newest entry even when it alone is larger', () => {
    const store = openStore({ maxEntries: 1000, maxBytes: 2000 });
    const payload = new Uint8Array(400);
    for (let i = 0; i < 10; i++) store.add(entry('dev', { raw: { source: 'mqtt', address: 't', payload }, reason: 'r' }));
    const stats = store.stats();
    expect(stats.total).toBe(4); // 4 × (400 + 1 + 1) ≤ 2000 < 5 × 402
    expect(stats.dropped).toBe(6);
    store.add(entry('huge', { raw: { source: 'mqtt', address: 't', payload: new Uint8Array(5000) }, reason: 'r' }));
    expect(store.stats()).toEqual({ total: 1, byDevice: { huge: 1 }, dropped: 10 });
    expect(store.list()[0]!.raw.payload).toHaveLength(5000);
  });

  it('keeps entries and counters across reopen, and applies lowered bounds', () => {
    let store = openStore({ maxEntries: 20 });
    for (let i = 0; i < 30; i++) store.add(entry(i % 2 ? 'odd' : 'even'));
    const stats = store.stats();
    const listed = listAll(store);
    expect(stats).toEqual({ total: 20, byDevice: { odd: 10, even: 10 }, dropped: 10 });

    store = reopen(store, { maxEntries: 20 });
    expect(store.stats()).toEqual(stats);
    expect(listAll(store)).toEqual(listed);

    const lines: LogLine[] = [];
    store = reopen(store, { maxEntries: 5 }, lines);
    expect(store.stats()).toEqual({ total: 5, byDevice: { odd: 3, even: 2 }, dropped: 25 });
    expect(listAll(store)).toEqual(listed.slice(15));
    expect(lines.filter((l) => l.alarm === 'dead-letters-full')).toHaveLength(1);
  });

  it('refuses unusable bounds', () => {
    expect(() => openDeadLetterStore({ path, maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => openDeadLetterStore({ path, maxEntries: 10, maxBytes: -1 })).toThrow(/maxBytes/);
  });
});
