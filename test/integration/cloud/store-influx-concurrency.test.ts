import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInfluxStore } from '../../../cloud/src/store/influx/influx-store.js';
import type { TimeSeriesStore } from '../../../cloud/src/store/time-series-store.js';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { type Influxd, influxdBinary, influxdMissing, startInfluxd } from '../../support/influxd.js';

/**
 * The InfluxDB store's writes run side by side (and beside the rollup recomputation): dedup and
 * rollups must stay exact however they interleave. Against a real influxd started here.
 */

let server: Influxd | undefined;
let dir: string;
let databases = 0;

const H = 3_600_000;
const dayStart = Date.parse('2026-05-01T22:00:00Z'); // 2026-05-02 00:00 in Copenhagen

function reading(deviceId: string, at: number, distanceMm: number): SensorRecord {
  return {
    id: newRecordId(at + 1000),
    standard: 'fill-level/1',
    kommune: '0751',
    deviceId,
    assetId: `c-${deviceId}`,
    gatewayId: 'gw-1',
    observedAt: new Date(at).toISOString(),
    receivedAt: new Date(at + 1000).toISOString(),
    quality: 'good',
    distanceMm,
  } as SensorRecord;
}

async function allRaw(store: TimeSeriesStore): Promise<SensorRecord[]> {
  const records: SensorRecord[] = [];
  for await (const record of store.raw({ kommune: '0751', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' })) records.push(record);
  return records;
}

/** Writes line protocol straight to InfluxDB, bypassing the store. */
async function writeLines(database: string, body: string): Promise<void> {
  const response = await fetch(`${server!.url}/write?db=${database}&rp=raw&precision=n`, { method: 'POST', body });
  if (response.status !== 204) throw new Error(`write answered ${response.status}: ${await response.text()}`);
}

describe.skipIf(!influxdBinary)(`influx store: concurrent writes${influxdMissing}`, () => {
  beforeAll(async () => {
    server = await startInfluxd();
    dir = mkdtempSync(join(tmpdir(), 'sensorbro-influx-concurrency-'));
  }, 60_000);

  afterAll(async () => {
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const open = (database: string, rollupDelayMs?: number) =>
    openInfluxStore({ url: server!.url, database, ledgerPath: join(dir, `${database}.ledger.db`), ...(rollupDelayMs !== undefined && { rollupDelayMs }) });

  it('stores each id exactly once when writes of overlapping batches run at the same time', async () => {
    const store = await open(`overlap_${++databases}`);
    const shared = Array.from({ length: 200 }, (_, i) => reading(`d-${i % 10}`, dayStart + i * 60_000, i));
    const batches = Array.from({ length: 8 }, (_, b) => {
      const own = Array.from({ length: 50 }, (_, i) => reading(`e-${b}`, dayStart + i * 60_000, i));
      // each batch has the shared records in another order, one of them twice
      const mine = [...shared.slice(b * 25), ...shared.slice(0, b * 25), shared[b]!];
      return [...own, ...mine];
    });
    const outcomes = await Promise.all(batches.map((batch) => store.write(batch)));
    const storedIds = outcomes.flatMap((list, b) => list.flatMap((outcome, i) => (outcome === 'stored' ? [batches[b]![i]!.id] : [])));
    expect(storedIds).toHaveLength(200 + 8 * 50);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect(await allRaw(store)).toHaveLength(200 + 8 * 50);
    expect(await store.write(shared)).toEqual(Array(200).fill('duplicate'));
    await store.close();
  });

  it('keeps no id of a write that failed, also when another write of the same ids waited for it', async () => {
    const database = `failed_${++databases}`;
    const store = await open(database);
    // distanceMm already a string field in this shard: InfluxDB refuses the store's float
    await writeLines(database, `fill_level_v1,kommune=0751,device=x distanceMm="text" ${BigInt(dayStart) * 1_000_000n}`);
    const batch = [reading('d-1', dayStart + H, 100), reading('d-1', dayStart + 2 * H, 200)];
    const results = await Promise.allSettled([store.write(batch), store.write(batch)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await (await fetch(`${server!.url}/query`, { method: 'POST', body: new URLSearchParams({ db: database, q: 'DROP MEASUREMENT "fill_level_v1"' }) })).text();
    expect(await store.write(batch)).toEqual(['stored', 'stored']);
    await store.close();
  });

  it('keeps daily rollups exact when a write lands on a day while its rollup is being recomputed', async () => {
    const store = await open(`rollups_${++databases}`, 1e9);
    const days = Array.from({ length: 30 }, (_, i) => dayStart + i * 24 * H);
    const other = { kommune: '0751', standard: 'fill-level/1' as const, assetId: 'c-other', field: 'distanceMm', bucket: '1d' as const, aggregate: 'max' as const };
    for (const [i, day] of days.entries()) {
      await store.write([reading('d-1', day + H, 100)]);
      // a query recomputes the pending day while a second reading of that day is written, begun
      // 0 … 14 ms later, so that some land after the recomputation has read the day
      await Promise.all([
        store.range({ ...other, from: new Date(day).toISOString(), to: new Date(day + 24 * H).toISOString() }),
        new Promise((resolve) => setTimeout(resolve, i % 15)).then(() => store.write([reading('d-1', day + 2 * H, 500)])),
      ]);
    }
    for (const day of days) {
      const query = { kommune: '0751', standard: 'fill-level/1' as const, assetId: 'c-d-1', field: 'distanceMm', from: new Date(day).toISOString(), to: new Date(day + 24 * H).toISOString(), bucket: '1d' as const };
      expect(await store.range({ ...query, aggregate: 'max' })).toEqual([{ start: new Date(day).toISOString(), value: 500, count: 2 }]);
    }
    await store.close();
  });

  // the writing store folds the readings it holds in memory; another store on the same ledger (a
  // restarted process) reads them from InfluxDB
  it.each(['the writing store', 'another store on the same ledger'])('brings a day\'s rollup up to date reading by reading, in order and out of order, queried by %s', async (reader) => {
    const database = `incremental_${++databases}`;
    const store = await open(database, 1e9);
    const queries = reader === 'the writing store' ? store : await open(database, 1e9);
    const steps: [number, number | 'bad'][][] = [
      [[1, 10], [2, 20], [3, 15]],
      [[4, 30], [4.5, 'bad'], [5, 40]],
      [[6, 5], [0.5, 50]], // one out of order: the day is recomputed whole
      [[7, 60]],
    ];
    const readings: [number, number][] = [];
    const query = { kommune: '0751', standard: 'fill-level/1' as const, assetId: 'c-d-1', field: 'distanceMm', from: new Date(dayStart).toISOString(), to: new Date(dayStart + 24 * H).toISOString(), bucket: '1d' as const };
    const start = new Date(dayStart).toISOString();
    for (const step of steps) {
      await store.write(step.map(([hour, value]) => (value === 'bad' ? { ...reading('d-1', dayStart + hour * H, 0), quality: 'bad' as const } : reading('d-1', dayStart + hour * H, value))));
      for (const [hour, value] of step) if (value !== 'bad') readings.push([hour, value]);
      const values = [...readings].sort((a, b) => a[0] - b[0]).map(([, value]) => value);
      let increase = 0;
      for (let i = 1; i < values.length; i++) increase += Math.max(0, values[i]! - values[i - 1]!);
      const count = values.length;
      expect(await queries.range({ ...query, aggregate: 'max' })).toEqual([{ start, value: Math.max(...values), count }]);
      expect(await queries.range({ ...query, aggregate: 'min' })).toEqual([{ start, value: Math.min(...values), count }]);
      expect(await queries.range({ ...query, aggregate: 'mean' })).toEqual([{ start, value: values.reduce((a, b) => a + b, 0) / count, count }]);
      expect(await queries.range({ ...query, aggregate: 'last' })).toEqual([{ start, value: values[count - 1], count }]);
      expect(await queries.range({ ...query, aggregate: 'sum-delta' })).toEqual([{ start, value: increase, count }]);
    }
    if (queries !== store) await queries.close();
    await store.close();
  });
});
