import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../cloud/src/store/open-store.js';
import { openSqliteStore, type StoreLogger } from '../../../cloud/src/store/sqlite/sqlite-store.js';
import { copenhagenDayStart } from '../../../cloud/src/store/zone.js';
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

  it('packs the daily rollups of each series\' earlier months, and keeps only its newest month in rollup_1d', async () => {
    const store = openSqliteStore({ dir, logger: silent, synchronous: 'normal' });
    const start = Date.parse('2026-01-20T00:00:00Z');
    await store.write(Array.from({ length: 24 * 60 }, (_, h) => reading(start + h * 3_600_000, 100 + (h % 50))));
    await store.close();
    const db = new Database(join(dir, 'store.db'), { readonly: true });
    // 60 days from 20 January: January and February packed, March (the newest month) in rollup_1d
    expect(db.prepare('SELECT count(*) FROM rollup_1d').pluck().get()).toBe(21);
    const months = db.prepare('SELECT DISTINCT key % 4096 FROM rollup_days ORDER BY 1').pluck().all();
    expect(months).toEqual([(2026 - 1970) * 12, (2026 - 1970) * 12 + 1]);
    db.close();
  });

  it('upgrades a file of format 1 (daily rollups unpacked) and answers the same afterwards', async () => {
    let store = openSqliteStore({ dir, logger: silent, synchronous: 'normal' });
    const start = Date.parse('2025-12-28T05:00:00Z');
    const readings = ['c-1', 'c-2'].flatMap((assetId, a) =>
      Array.from({ length: 8 * 100 }, (_, i) => ({ ...reading(start + i * 3 * 3_600_000 + a, 1000 - (i % 97) * 3, assetId), device: { batteryPercent: 90 - i / 100 } })),
    );
    await store.write(readings);
    const queries = (['distanceMm', 'device.batteryPercent'] as const).flatMap((field) =>
      (['1d', '30d'] as const).flatMap((bucket) =>
        (['max', 'mean', 'sum-delta'] as const).map((aggregate) => ({
          kommune: '0751',
          standard: 'fill-level/1' as const,
          assetId: 'c-1',
          field,
          from: '2025-12-01T00:00:00Z',
          to: '2026-04-15T10:00:00Z',
          bucket,
          aggregate,
        })),
      ),
    );
    const answers = async () => Promise.all(queries.map((query) => store.range(query)));
    const before = await answers();
    expect(before[0]!.length).toBeGreaterThan(90);
    await store.close();

    // Turn the file into format 1: every day back into rollup_1d, no rollup_days.
    const db = new Database(join(dir, 'store.db'));
    const slots = db.prepare('SELECT max(slot) + 1 FROM slots').pluck().get() as number;
    const stats = ['n', 's', 'lo', 'hi', 'f', 'l', 'd', 't'];
    const insertDay = db.prepare('INSERT OR IGNORE INTO rollup_1d (series_id, bucket, last_ts) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (const [key, days] of db.prepare('SELECT key, days FROM rollup_days').raw().all() as [number, Buffer][]) {
        const month = key % 4096;
        const slot = Math.floor(key / 4096) % 256;
        const seriesId = Math.floor(key / 4096 / 256);
        for (let day = 0; day < 31; day++) {
          const values = stats.map((_, i) => days.readDoubleLE((day * 8 + i) * 8));
          if (values[0] === 0) continue;
          const bucket = copenhagenDayStart(Date.UTC(1970, month, day + 1, 12));
          insertDay.run(seriesId, bucket, values[7]);
          db.prepare(`UPDATE rollup_1d SET last_ts = max(last_ts, ?), ${stats.map((stat) => `${stat}${slot} = ?`).join(', ')} WHERE series_id = ? AND bucket = ?`).run(
            values[7],
            ...values,
            seriesId,
            bucket,
          );
        }
      }
      db.exec('DROP TABLE rollup_days');
    })();
    db.pragma('user_version = 1');
    expect(slots).toBeGreaterThan(0);
    expect(db.prepare('SELECT count(*) FROM rollup_1d').pluck().get()).toBeGreaterThan(200);
    db.close();

    const messages: string[] = [];
    const logger = { ...silent, info: (fields: object, message?: string) => void messages.push(message ?? '') };
    store = openSqliteStore({ dir, logger: logger as unknown as StoreLogger, synchronous: 'normal' });
    expect(messages.some((message) => message.includes('format 1 → 2'))).toBe(true);
    expect(await answers()).toEqual(before);
    await store.close();
    const upgraded = new Database(join(dir, 'store.db'), { readonly: true });
    expect(upgraded.pragma('user_version', { simple: true })).toBe(2);
    // what is left in rollup_1d is each series' newest month (April 2026)
    const left = upgraded.prepare('SELECT min(bucket) FROM rollup_1d').pluck().get() as number;
    expect(new Date(left).toISOString()).toBe('2026-03-31T22:00:00.000Z');
    upgraded.close();
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
