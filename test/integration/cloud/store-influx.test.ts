import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInfluxStore } from '../../../cloud/src/store/influx/influx-store.js';
import type { StoreLogger } from '../../../cloud/src/store/sqlite/sqlite-store.js';
import type { TimeSeriesStore } from '../../../cloud/src/store/time-series-store.js';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { type Influxd, influxdBinary, influxdMissing, startInfluxd } from '../../support/influxd.js';
import { storeContract } from '../../support/store-contract.js';

/**
 * The store contract against a real InfluxDB 1.x (Debian package influxdb), started here on a
 * loopback port with a temporary data directory; a new database and ledger for each test.
 */

let server: Influxd | undefined;
let dir: string;
let databases = 0;

const logged: { level: string; message: string }[] = [];
const logger = {
  info() {},
  warn(...args: unknown[]) {
    logged.push({ level: 'warn', message: String(args[1]) });
  },
  error(...args: unknown[]) {
    logged.push({ level: 'error', message: String(args[1]) });
  },
} as unknown as StoreLogger;

describe.skipIf(!influxdBinary)(`influx store${influxdMissing}`, () => {
  beforeAll(async () => {
    server = await startInfluxd();
    dir = mkdtempSync(join(tmpdir(), 'sensorbro-influx-store-'));
  }, 60_000);

  afterAll(async () => {
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const options = (database: string) => ({ url: server!.url, database, logger, ledgerPath: join(dir, `${database}.ledger.db`) });

  storeContract('influx', async () => {
    const database = `contract_${++databases}`;
    let store = await openInfluxStore(options(database));
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await openInfluxStore(options(database));
        return store;
      },
      dispose: async () => {
        await store.close();
      },
    };
  });

  describe('influx store: its own parts', () => {
    const record = (at: string): SensorRecord => ({
      id: newRecordId(Date.parse(at) + 1000),
      standard: 'fill-level/1',
      kommune: '0751',
      deviceId: 'd-1',
      assetId: 'c-1',
      gatewayId: 'gw-1',
      observedAt: at,
      receivedAt: at,
      quality: 'good',
      distanceMm: 100,
    });

    it('forgets a ledger that belongs to another database, so nothing is taken for a duplicate it does not hold', async () => {
      const database = `ledger_${++databases}`;
      const batch = [record('2026-05-01T10:00:00Z'), record('2026-05-01T11:00:00Z')];
      let store: TimeSeriesStore = await openInfluxStore(options(database));
      expect(await store.write(batch)).toEqual(['stored', 'stored']);
      await store.close();
      // the database is dropped and made anew; the ledger file stays
      // (InfluxDB sends the answer's headers before the statement has run: wait for the body)
      await (await fetch(`${server!.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }) })).text();
      logged.length = 0;
      store = await openInfluxStore(options(database));
      expect(logged.map((line) => line.level)).toEqual(['error']);
      expect(await store.write(batch)).toEqual(['stored', 'stored']);
      await store.close();
    });

    it('keeps the rollup work of stored records in the ledger, so another process (or the next start) completes it', async () => {
      const database = `rollups_${++databases}`;
      const writer = await openInfluxStore({ ...options(database), rollupDelayMs: 1e9 });
      expect(await writer.write([record('2026-05-01T10:00:00Z'), { ...record('2026-05-01T11:00:00Z'), distanceMm: 300 } as SensorRecord])).toEqual(['stored', 'stored']);
      // as if the writer had died before recomputing: another store on the same ledger
      const reader = await openInfluxStore(options(database));
      const day = { kommune: '0751', standard: 'fill-level/1' as const, assetId: 'c-1', field: 'distanceMm', from: '2026-04-30T22:00:00Z', to: '2026-05-01T22:00:00Z', bucket: '1d' as const };
      expect(await reader.range({ ...day, aggregate: 'max' })).toEqual([{ start: '2026-04-30T22:00:00.000Z', value: 300, count: 2 }]);
      expect(await reader.range({ ...day, aggregate: 'sum-delta' })).toEqual([{ start: '2026-04-30T22:00:00.000Z', value: 200, count: 2 }]);
      await reader.close();
      await writer.close();
    });

    it('keeps tag values with characters line protocol cannot carry', async () => {
      const database = `tags_${++databases}`;
      const store = await openInfluxStore(options(database));
      const odd = { ...record('2026-05-01T10:00:00Z'), assetId: 'a,b=c d\\e%41\nf', deviceId: "it's \"odd\"" } as SensorRecord;
      expect(await store.write([odd])).toEqual(['stored']);
      expect(await store.latest({ kommune: '0751' })).toEqual([odd]);
      const buckets = await store.range({
        kommune: '0751',
        standard: 'fill-level/1',
        assetId: odd.assetId!,
        field: 'distanceMm',
        from: '2026-05-01T00:00:00Z',
        to: '2026-05-02T00:00:00Z',
        bucket: '1d',
        aggregate: 'max',
      });
      expect(buckets).toEqual([{ start: '2026-04-30T22:00:00.000Z', value: 100, count: 1 }]);
      const raw: SensorRecord[] = [];
      for await (const r of store.raw({ kommune: '0751', from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z', deviceId: odd.deviceId })) raw.push(r);
      expect(raw).toEqual([odd]);
      await store.close();
    });
  });
});
