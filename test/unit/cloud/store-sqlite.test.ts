import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../cloud/src/store/open-store.js';
import { openSqliteStore } from '../../../cloud/src/store/sqlite/sqlite-store.js';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { storeContract } from '../../support/store-contract.js';

const silent = { info() {}, warn() {}, error() {} };

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-store-'));
  // normal: durable against a crash of the process, which is all a test needs (and faster)
  const open = () => openSqliteStore({ dir, logger: silent, synchronous: 'normal' });
  let store = open();
  return {
    store,
    reopen: async () => {
      await store.close();
      store = open();
      return store;
    },
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite store: its own tables', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sensorbro-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const reading = (at: number, distanceMm: number, assetId = 'c-1'): SensorRecord => ({
    id: newRecordId(at + 1000),
    standard: 'fill-level/1',
    kommune: '0751',
    deviceId: `d-${assetId}`,
    assetId,
    gatewayId: 'gw-1',
    observedAt: new Date(at).toISOString(),
    receivedAt: new Date(at + 1000).toISOString(),
    quality: 'good',
    distanceMm,
  });

  it('keeps hourly rollup rows only for hours with several readings, and a daily row per day', async () => {
    const store = openSqliteStore({ dir, logger: silent, synchronous: 'normal' });
    const start = Date.parse('2026-01-05T00:00:00Z');
    const hourly = Array.from({ length: 24 * 10 }, (_, h) => reading(start + h * 3_600_000, 100 + h, 'hourly'));
    const dense = Array.from({ length: 6 * 24 }, (_, i) => reading(start + i * 600_000, 200 + i, 'dense'));
    await store.write([...hourly, ...dense]);
    await store.close();
    const db = new Database(join(dir, 'store.db'), { readonly: true });
    const rows = (table: string, assetId: string) =>
      db.prepare(`SELECT count(*) FROM ${table} r JOIN series s ON s.id = r.series_id WHERE s.asset_id = ?`).pluck().get(assetId);
    expect(rows('rollup_1h', 'hourly')).toBe(0);
    expect(rows('rollup_1d', 'hourly')).toBe(11); // 10 UTC days span 11 Copenhagen days
    expect(rows('rollup_1h', 'dense')).toBe(24);
    expect(rows('rollup_1d', 'dense')).toBe(2);
    expect(db.prepare('SELECT count(*) FROM points').pluck().get()).toBe(hourly.length + dense.length);
    db.close();
  });

  it('stores nothing of a batch that fails, and takes the batch again afterwards', async () => {
    const store = openSqliteStore({ dir, logger: silent, synchronous: 'normal' });
    const good = [reading(Date.parse('2026-01-05T00:00:00Z'), 100), reading(Date.parse('2026-01-05T01:00:00Z'), 110, 'c-new')];
    const broken = { ...reading(Date.parse('2026-01-05T02:00:00Z'), 120), observedAt: 'yesterday' } as SensorRecord;
    await expect(store.write([...good, broken])).rejects.toThrow(/observedAt/);
    expect(await store.latest({ kommune: '0751' })).toEqual([]);
    expect(await store.write(good)).toEqual(['stored', 'stored']);
    expect(await store.latest({ kommune: '0751' })).toEqual(good);
    await store.close();
  });

  it('refuses a file of a newer format', async () => {
    openSqliteStore({ dir, logger: silent }).close();
    const db = new Database(join(dir, 'store.db'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => openSqliteStore({ dir, logger: silent })).toThrow(/newer/);
  });
});

describe('openStore', () => {
  it('opens the embedded store with nothing configured but a data folder, and refuses an incomplete influx config', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sensorbro-store-'));
    try {
      const store = await openStore(undefined, { dataDir, logger: silent });
      expect(store.kind).toBe('sqlite');
      await store.close();
      expect(existsSync(join(dataDir, 'store', 'store.db'))).toBe(true);
      await expect(openStore({ kind: 'influx', url: 'ftp://x', database: 'd' }, { dataDir })).rejects.toThrow();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
