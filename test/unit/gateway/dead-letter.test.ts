import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
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
const shape = (e: NewDeadLetter) => ({ raw: { ...e.raw, payload: Uint8Array.from(e.raw.payload) }, deviceKey: e.deviceKey, code: e.code, reason: e.reason, repeats: 0 });
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
    expect(listed.map(({ id: _id, at: _at, lastAt: _lastAt, ...rest }) => rest)).toEqual(entries.map(shape));
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
    expect(store.stats()).toEqual({ total: 26, byDevice: { 'dev-a': 9, 'dev-b': 8, 'dev-c': 8 }, dropped: 0, repeats: 0 });

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
    expect(store.stats()).toEqual({ total: 4, byDevice: { 'dev-a': 2, 'dev-b': 2 }, dropped: 0, repeats: 0 });
    store.remove(listAll(store, 'dev-b').map((d) => d.id));
    expect(store.stats()).toEqual({ total: 2, byDevice: { 'dev-a': 2 }, dropped: 0, repeats: 0 });
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
    expect(store.stats()).toEqual({ total: 10, byDevice: { late: 10 }, dropped: 15, repeats: 0 });
    expect(lines.filter((l) => l.alarm === 'dead-letters-full')).toHaveLength(1);
  });

  it('is bounded by bytes as well, and keeps the newest entry even when it alone is larger', () => {
    const store = openStore({ maxEntries: 1000, maxBytes: 2000 });
    for (let i = 0; i < 10; i++) store.add(entry('dev', { raw: { source: 'mqtt', address: 't', payload: new Uint8Array(400).fill(i) }, reason: 'r' }));
    const stats = store.stats();
    expect(stats.total).toBe(4); // 4 × (400 + 1 + 1) ≤ 2000 < 5 × 402
    expect(stats.dropped).toBe(6);
    store.add(entry('huge', { raw: { source: 'mqtt', address: 't', payload: new Uint8Array(5000) }, reason: 'r' }));
    expect(store.stats()).toEqual({ total: 1, byDevice: { huge: 1 }, dropped: 10, repeats: 0 });
    expect(store.list()[0]!.raw.payload).toHaveLength(5000);
  });

  it('keeps entries and counters across reopen, and applies lowered bounds', () => {
    let store = openStore({ maxEntries: 20 });
    for (let i = 0; i < 30; i++) store.add(entry(i % 2 ? 'odd' : 'even'));
    const stats = store.stats();
    const listed = listAll(store);
    expect(stats).toEqual({ total: 20, byDevice: { odd: 10, even: 10 }, dropped: 10, repeats: 0 });

    store = reopen(store, { maxEntries: 20 });
    expect(store.stats()).toEqual(stats);
    expect(listAll(store)).toEqual(listed);

    const lines: LogLine[] = [];
    store = reopen(store, { maxEntries: 5 }, lines);
    expect(store.stats()).toEqual({ total: 5, byDevice: { odd: 3, even: 2 }, dropped: 25, repeats: 0 });
    expect(listAll(store)).toEqual(listed.slice(15));
    expect(lines.filter((l) => l.alarm === 'dead-letters-full')).toHaveLength(1);
  });

  it('keeps a redelivered message once and counts its repeats; another address or byte is another entry', () => {
    const store = openStore();
    const first = entry('dev-a');
    store.add({ ...first, at: '2026-11-24T08:00:00.000Z' });
    store.add({ ...first, at: '2026-11-24T08:00:05.000Z' });
    store.add({ ...first, reason: 'later reason', at: '2026-11-24T08:01:00.000Z' });
    store.add({ ...first, raw: { ...first.raw, address: 'application/1/device/dev-b/event/up' }, deviceKey: 'dev-b' });
    store.add({ ...first, raw: { ...first.raw, payload: Uint8Array.from([...first.raw.payload, 0]) } });
    const listed = listAll(store);
    expect(listed).toHaveLength(3);
    expect(listed[0]).toMatchObject({ at: '2026-11-24T08:00:00.000Z', lastAt: '2026-11-24T08:01:00.000Z', repeats: 2, reason: first.reason });
    expect(listed.slice(1).map((d) => d.repeats)).toEqual([0, 0]);
    expect(listed[1]!.lastAt).toBe(listed[1]!.at);
    expect(store.stats()).toEqual({ total: 3, byDevice: { 'dev-a': 2, 'dev-b': 1 }, dropped: 0, repeats: 2 });
    // Once replayed (removed), the same message is a new entry again.
    store.remove([listed[0]!.id]);
    expect(store.stats().repeats).toBe(0);
    store.add(first);
    expect(listAll(store).at(-1)).toMatchObject({ reason: first.reason, repeats: 0 });
  });

  it('adds a burst in one call, counting repeats within it and against what is stored', () => {
    const store = openStore({ maxEntries: 3 });
    const stored = entry('dev-a');
    store.add(stored);
    const burst = [entry('dev-a'), entry('dev-b'), stored, entry('dev-b')];
    store.addMany([...burst, burst[1]!]);
    expect(listAll(store).map((d) => [d.reason, d.repeats])).toEqual([
      [burst[0]!.reason, 0],
      [burst[1]!.reason, 1],
      [burst[3]!.reason, 0],
    ]);
    expect(store.stats()).toEqual({ total: 3, byDevice: { 'dev-a': 1, 'dev-b': 2 }, dropped: 1, repeats: 1 });
    store.addMany([]);
  });

  it('upgrades a file of format 1, keeping its entries (and copies a redelivery left there)', () => {
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(`
      CREATE TABLE dead_letters (id INTEGER PRIMARY KEY, at TEXT NOT NULL, source TEXT NOT NULL, address TEXT NOT NULL, payload BLOB NOT NULL,
                                 device_key TEXT, code TEXT NOT NULL, reason TEXT NOT NULL, size INTEGER NOT NULL);
      CREATE INDEX dead_letters_by_device ON dead_letters (device_key, id) WHERE device_key IS NOT NULL;
      CREATE TABLE device_counts (device_key TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 1), next_id INTEGER NOT NULL, total INTEGER NOT NULL, bytes INTEGER NOT NULL, dropped INTEGER NOT NULL);
      INSERT INTO state VALUES (1, 3, 2, 10, 0);
      INSERT INTO device_counts VALUES ('dev', 2);
      INSERT INTO dead_letters VALUES (1, '2026-11-01T00:00:00.000Z', 'mqtt', 't', x'0102', 'dev', 'undecodable', 'r', 5);
      INSERT INTO dead_letters VALUES (2, '2026-11-01T00:00:01.000Z', 'mqtt', 't', x'0102', 'dev', 'undecodable', 'r', 5);
      PRAGMA user_version = 1;`);
    old.close();
    const store = openStore();
    expect(listAll(store).map((d) => [d.id, d.repeats, d.lastAt])).toEqual([
      [1, 0, '2026-11-01T00:00:00.000Z'],
      [2, 0, '2026-11-01T00:00:01.000Z'],
    ]);
    store.add({ raw: { source: 'mqtt', address: 't', payload: Uint8Array.from([1, 2]) }, deviceKey: 'dev', code: 'undecodable', reason: 'r' });
    expect(listAll(store).map((d) => d.repeats)).toEqual([1, 0]);
    expect(store.stats()).toEqual({ total: 2, byDevice: { dev: 2 }, dropped: 0, repeats: 1 });
  });

  it('refuses unusable bounds', () => {
    expect(() => openDeadLetterStore({ path, maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => openDeadLetterStore({ path, maxEntries: 10, maxBytes: -1 })).toThrow(/maxBytes/);
  });
});
