import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  Aggregate,
  Bucket,
  BucketWidth,
  TimeSeriesStore,
} from '../../cloud/src/store/time-series-store.js';
import { bucketStart } from '../../cloud/src/store/zone.js';
import { newRecordId } from '../../firmware-profiles/src/index.js';
import { type SensorRecord, validateRecord } from '../../standards/src/index.js';

/**
 * The store contract (DESIGN.md §2, Store): one suite, run against every implementation of
 * TimeSeriesStore. `create` gives an empty store (and how to reopen it on the same data, and to
 * dispose of it); each test starts from a new one.
 */
export interface StoreHarness {
  store: TimeSeriesStore;
  /** Closes the store and opens it again on the same data. */
  reopen(): Promise<TimeSeriesStore>;
  dispose(): Promise<void>;
}

const K = '0751';
const OTHER = '0101';

let sequence = 0;
/** A valid UUIDv7 made a little after the observation, as the gateway makes them. */
function id(observedAt: string): string {
  return newRecordId(Date.parse(observedAt) + 1000 + (sequence++ % 1000));
}

function checked<T extends SensorRecord>(record: T): T {
  const result = validateRecord(record);
  if (!result.ok) throw new Error(`test record is not valid: ${result.reason}`);
  return record;
}

interface Common {
  kommune?: string;
  assetId?: string;
  deviceId?: string;
  quality?: 'good' | 'suspect' | 'bad';
}

function envelope(at: string, common: Common, standard: SensorRecord['standard']) {
  return {
    id: id(at),
    standard,
    kommune: common.kommune ?? K,
    deviceId: common.deviceId ?? 'dev-1',
    ...(common.assetId !== undefined && { assetId: common.assetId }),
    gatewayId: 'gw-1',
    observedAt: at,
    receivedAt: new Date(Date.parse(at) + 1500).toISOString(),
    quality: common.quality ?? 'good',
  };
}

function fill(at: string, distanceMm: number | undefined, common: Common = {}, extra: Record<string, unknown> = {}): SensorRecord {
  return checked({
    ...envelope(at, common, 'fill-level/1'),
    ...(distanceMm !== undefined && { distanceMm }),
    ...extra,
  } as SensorRecord);
}

function meter(at: string, energyKWh: number, common: Common = {}, extra: Record<string, unknown> = {}): SensorRecord {
  return checked({ ...envelope(at, common, 'meter-reading/1'), meterType: 'heat', energyKWh, ...extra } as SensorRecord);
}

function heartbeat(at: string, queueDepth: number, gatewayId: string, kommune = K): SensorRecord {
  return checked({
    ...envelope(at, { kommune, deviceId: gatewayId }, 'gateway-heartbeat/1'),
    gatewayId,
    uptimeS: 3600,
    queueDepth,
    deadLetters: 0,
    softwareVersion: '0.1.0',
  } as SensorRecord);
}

const iso = (ms: number) => new Date(ms).toISOString();
const H = 3_600_000;

async function collect(iterable: AsyncIterable<SensorRecord>): Promise<SensorRecord[]> {
  const out: SensorRecord[] = [];
  for await (const record of iterable) out.push(record);
  return out;
}

/** Records in the order raw() promises: observedAt, then id. */
function rawOrder(records: readonly SensorRecord[]): SensorRecord[] {
  return [...records].sort((a, b) => Date.parse(a.observedAt) - Date.parse(b.observedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function expectBuckets(actual: Bucket[], expected: { start: string; value: number; count: number }[]): void {
  expect(actual.map((b) => [b.start, b.count])).toEqual(expected.map((b) => [b.start, b.count]));
  actual.forEach((bucket, i) => {
    expect(bucket.value, `value of bucket ${bucket.start}`).toBeCloseTo(expected[i]!.value, 6);
  });
}

interface Reading {
  ts: number;
  value: number;
}

/** What a range query must return, computed the plain way from the readings of one series. */
function reference(readings: readonly Reading[], width: BucketWidth, timeZone: string, from: number, to: number, aggregate: Aggregate) {
  const sorted = [...readings].sort((a, b) => a.ts - b.ts);
  const buckets = new Map<number, Reading[]>();
  const delta = new Map<number, number>();
  let previous: number | undefined;
  for (const reading of sorted) {
    if (reading.ts >= to) break;
    if (reading.ts >= from) {
      const start = bucketStart(width, timeZone, reading.ts);
      if (!buckets.has(start)) buckets.set(start, []);
      buckets.get(start)!.push(reading);
      delta.set(start, (delta.get(start) ?? 0) + (previous === undefined ? 0 : Math.max(0, reading.value - previous)));
    }
    previous = reading.value;
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, values]) => {
      const numbers = values.map((v) => v.value);
      const value =
        aggregate === 'min'
          ? Math.min(...numbers)
          : aggregate === 'max'
            ? Math.max(...numbers)
            : aggregate === 'mean'
              ? numbers.reduce((a, b) => a + b, 0) / numbers.length
              : aggregate === 'last'
                ? numbers[numbers.length - 1]!
                : delta.get(start)!;
      return { start: iso(start), value, count: numbers.length };
    });
}

/** A seeded PRNG (mulberry32), so a failing case is the same case next time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function storeContract(name: string, create: () => Promise<StoreHarness>): void {
  describe(`${name}: the store contract`, () => {
    let harness: StoreHarness;
    let store: TimeSeriesStore;

    beforeEach(async () => {
      harness = await create();
      store = harness.store;
    });

    afterEach(async () => {
      await harness.dispose();
    });

    describe('write and dedup', () => {
      it('stores a batch once; the same batch again is all duplicates and changes nothing', async () => {
        const batch = Array.from({ length: 50 }, (_, i) =>
          fill(iso(Date.parse('2026-05-01T00:00:00Z') + i * 60_000), 500 + i, { assetId: `c-${i % 5}`, deviceId: `d-${i % 5}` }),
        );
        expect(await store.write(batch)).toEqual(batch.map(() => 'stored'));
        expect(await store.write(batch)).toEqual(batch.map(() => 'duplicate'));
        const stored = await collect(store.raw({ kommune: K, from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' }));
        expect(stored).toHaveLength(50);
        expect(new Set(stored.map((r) => r.id)).size).toBe(50);
        const buckets = await store.range({
          kommune: K,
          standard: 'fill-level/1',
          assetId: 'c-0',
          field: 'distanceMm',
          from: '2026-05-01T00:00:00Z',
          to: '2026-05-02T00:00:00Z',
          bucket: '1d',
          aggregate: 'mean',
        });
        expect(buckets.map((b) => b.count)).toEqual([10]);
      });

      it('reports outcomes per record in order: a repeated id within one batch and a mixed replay', async () => {
        const a = fill('2026-05-01T10:00:00Z', 100, { assetId: 'c-1' });
        const b = fill('2026-05-01T11:00:00Z', 200, { assetId: 'c-1' });
        const c = fill('2026-05-01T12:00:00Z', 300, { assetId: 'c-1' });
        expect(await store.write([a, b, a])).toEqual(['stored', 'stored', 'duplicate']);
        expect(await store.write([c, b, { ...a, distanceMm: 999 } as SensorRecord])).toEqual(['stored', 'duplicate', 'duplicate']);
        const stored = await collect(store.raw({ kommune: K, from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' }));
        expect(stored).toEqual([a, b, c]);
        expect(await store.write([])).toEqual([]);
      });

      it('remembers stored ids after reopening', async () => {
        const batch = [fill('2026-05-01T10:00:00Z', 100, { assetId: 'c-1' }), meter('2026-05-01T10:00:00Z', 5, { assetId: 'm-1' })];
        expect(await store.write(batch)).toEqual(['stored', 'stored']);
        store = await harness.reopen();
        expect(await store.write(batch)).toEqual(['duplicate', 'duplicate']);
        expect(await collect(store.raw({ kommune: K, from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' }))).toHaveLength(2);
      });
    });

    describe('latest', () => {
      it('is the newest record per asset and standard, whatever order the records arrived in', async () => {
        const newest = fill('2026-05-03T10:00:00Z', 300, { assetId: 'c-1', deviceId: 'd-1' });
        const older = fill('2026-05-01T10:00:00Z', 100, { assetId: 'c-1', deviceId: 'd-1' });
        const middle = fill('2026-05-02T10:00:00Z', 200, { assetId: 'c-1', deviceId: 'd-1' });
        await store.write([newest]);
        await store.write([older, middle]);
        // an asset whose device was replaced: the new device's newest reading wins
        const oldDevice = fill('2026-05-01T12:00:00Z', 50, { assetId: 'c-2', deviceId: 'd-old' });
        const newDevice = fill('2026-05-02T12:00:00Z', 60, { assetId: 'c-2', deviceId: 'd-new' });
        // the same asset id in another standard is another entry
        const meterOfC1 = meter('2026-04-01T00:00:00Z', 10, { assetId: 'c-1', deviceId: 'm-1' });
        // devices without an asset are keyed by device
        const loose1 = fill('2026-05-01T08:00:00Z', 70, { deviceId: 'loose' });
        const loose2 = fill('2026-05-01T09:00:00Z', 80, { deviceId: 'loose' });
        await store.write([newDevice, oldDevice, meterOfC1, loose2, loose1]);

        expect(await store.latest({ kommune: K })).toEqual([newest, newDevice, loose2, meterOfC1]);
        expect(await store.latest({ kommune: K, standard: 'meter-reading/1' })).toEqual([meterOfC1]);
        expect(await store.latest({ kommune: K, assetIds: ['c-2', 'nope'] })).toEqual([newDevice]);
        expect(await store.latest({ kommune: K, assetIds: [] })).toEqual([]);
        expect(await store.latest({ kommune: K, limit: 2 })).toEqual([newest, newDevice]);
      });

      it('returns the newest record even when it is of quality bad, and includes heartbeats', async () => {
        const good = fill('2026-05-01T10:00:00Z', 100, { assetId: 'c-1' });
        const bad = fill('2026-05-01T11:00:00Z', undefined, { assetId: 'c-1', quality: 'bad' }, { qualityFlags: ['sensor-fault'] });
        const beat = heartbeat('2026-05-01T11:30:00Z', 12, 'gw-7');
        await store.write([good, bad, beat]);
        expect(await store.latest({ kommune: K })).toEqual([bad, beat]);
      });
    });

    describe('range', () => {
      it('aggregates 15m and 1h buckets with min, max, mean and last; empty buckets are left out', async () => {
        const readings: [string, number][] = [
          ['2026-05-01T10:05:00Z', 400],
          ['2026-05-01T10:20:00Z', 300],
          ['2026-05-01T10:50:00Z', 350],
          ['2026-05-01T11:10:00Z', 200],
          ['2026-05-01T13:30:00Z', 100],
        ];
        await store.write(readings.map(([at, mm]) => fill(at, mm, { assetId: 'c-1' })));
        const query = { kommune: K, standard: 'fill-level/1' as const, assetId: 'c-1', field: 'distanceMm', from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' };
        const hourly = async (aggregate: Aggregate) => store.range({ ...query, bucket: '1h', aggregate });
        const starts = ['2026-05-01T10:00:00.000Z', '2026-05-01T11:00:00.000Z', '2026-05-01T13:00:00.000Z'];
        const counts = [3, 1, 1];
        const expectHourly = async (aggregate: Aggregate, values: number[]) =>
          expectBuckets(await hourly(aggregate), starts.map((start, i) => ({ start, value: values[i]!, count: counts[i]! })));
        await expectHourly('min', [300, 200, 100]);
        await expectHourly('max', [400, 200, 100]);
        await expectHourly('mean', [350, 200, 100]);
        await expectHourly('last', [350, 200, 100]);
        expectBuckets(await store.range({ ...query, bucket: '15m', aggregate: 'max' }), [
          { start: '2026-05-01T10:00:00.000Z', value: 400, count: 1 },
          { start: '2026-05-01T10:15:00.000Z', value: 300, count: 1 },
          { start: '2026-05-01T10:45:00.000Z', value: 350, count: 1 },
          { start: '2026-05-01T11:00:00.000Z', value: 200, count: 1 },
          { start: '2026-05-01T13:30:00.000Z', value: 100, count: 1 },
        ]);
        // the range is [from, to): a partial hour counts only its readings inside
        expectBuckets(await store.range({ ...query, from: '2026-05-01T10:15:00Z', to: '2026-05-01T13:30:00Z', bucket: '1h', aggregate: 'mean' }), [
          { start: '2026-05-01T10:00:00.000Z', value: 325, count: 2 },
          { start: '2026-05-01T11:00:00.000Z', value: 200, count: 1 },
        ]);
        // no readings: no buckets
        expect(await store.range({ ...query, from: '2026-06-01T00:00:00Z', to: '2026-07-01T00:00:00Z', bucket: '1d', aggregate: 'mean' })).toEqual([]);
        expect(await store.range({ ...query, assetId: 'nobody', bucket: '1h', aggregate: 'mean' })).toEqual([]);
      });

      it('aggregates day, week and month buckets in Europe/Copenhagen', async () => {
        const readings: [string, number][] = [
          ['2026-01-31T22:30:00Z', 10], // 23:30 local, 31 January (a Saturday)
          ['2026-01-31T23:30:00Z', 20], // 00:30 local, 1 February (a Sunday)
          ['2026-02-02T06:00:00Z', 30], // Monday 2 February: a new week
          ['2026-02-15T12:00:00Z', 40],
          ['2026-06-30T21:59:00Z', 50], // 23:59 local, 30 June (summer time)
          ['2026-06-30T22:00:00Z', 60], // 00:00 local, 1 July
        ];
        await store.write(readings.map(([at, v]) => fill(at, v, { assetId: 'c-1' })));
        const query = { kommune: K, standard: 'fill-level/1' as const, assetId: 'c-1', field: 'distanceMm', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
        expectBuckets(await store.range({ ...query, bucket: '1d', aggregate: 'max' }), [
          { start: '2026-01-30T23:00:00.000Z', value: 10, count: 1 },
          { start: '2026-01-31T23:00:00.000Z', value: 20, count: 1 },
          { start: '2026-02-01T23:00:00.000Z', value: 30, count: 1 },
          { start: '2026-02-14T23:00:00.000Z', value: 40, count: 1 },
          { start: '2026-06-29T22:00:00.000Z', value: 50, count: 1 },
          { start: '2026-06-30T22:00:00.000Z', value: 60, count: 1 },
        ]);
        expectBuckets(await store.range({ ...query, bucket: '7d', aggregate: 'mean' }), [
          { start: '2026-01-25T23:00:00.000Z', value: 15, count: 2 }, // week of Monday 26 January
          { start: '2026-02-01T23:00:00.000Z', value: 30, count: 1 },
          { start: '2026-02-08T23:00:00.000Z', value: 40, count: 1 },
          { start: '2026-06-28T22:00:00.000Z', value: 55, count: 2 }, // week of Monday 29 June
        ]);
        expectBuckets(await store.range({ ...query, bucket: '30d', aggregate: 'last' }), [
          { start: '2025-12-31T23:00:00.000Z', value: 10, count: 1 },
          { start: '2026-01-31T23:00:00.000Z', value: 40, count: 3 },
          { start: '2026-05-31T22:00:00.000Z', value: 50, count: 1 },
          { start: '2026-06-30T22:00:00.000Z', value: 60, count: 1 },
        ]);
        // another time zone: UTC days
        expectBuckets(await store.range({ ...query, to: '2026-02-03T00:00:00Z', bucket: '1d', aggregate: 'min', timeZone: 'UTC' }), [
          { start: '2026-01-31T00:00:00.000Z', value: 10, count: 2 },
          { start: '2026-02-02T00:00:00.000Z', value: 30, count: 1 },
        ]);
        // a zone whose days start on a half hour
        expectBuckets(await store.range({ ...query, to: '2026-02-03T00:00:00Z', bucket: '1d', aggregate: 'min', timeZone: 'Asia/Kolkata' }), [
          { start: '2026-01-31T18:30:00.000Z', value: 10, count: 2 },
          { start: '2026-02-01T18:30:00.000Z', value: 30, count: 1 },
        ]);
      });

      it('gives day buckets of 23 and 25 hours on the days summer time begins and ends', async () => {
        const records: SensorRecord[] = [];
        let register = 1000;
        for (const [start, hours] of [
          ['2026-03-27T23:00:00Z', 96],
          ['2026-10-23T22:00:00Z', 96],
        ] as const) {
          for (let h = 0; h < hours; h++) {
            register += 1;
            records.push(meter(iso(Date.parse(start) + h * H), register, { assetId: 'm-1' }));
          }
        }
        await store.write(records);
        const query = { kommune: K, standard: 'meter-reading/1' as const, assetId: 'm-1', field: 'energyKWh', bucket: '1d' as const, aggregate: 'sum-delta' as const };
        const spring = await store.range({ ...query, from: '2026-03-28T23:00:00Z', to: '2026-03-30T22:00:00Z' });
        expectBuckets(spring, [
          { start: '2026-03-28T23:00:00.000Z', value: 23, count: 23 }, // Sunday 29 March: 23 hours
          { start: '2026-03-29T22:00:00.000Z', value: 24, count: 24 },
        ]);
        const autumn = await store.range({ ...query, from: '2026-10-24T22:00:00Z', to: '2026-10-26T23:00:00Z' });
        expectBuckets(autumn, [
          { start: '2026-10-24T22:00:00.000Z', value: 25, count: 25 }, // Sunday 25 October: 25 hours
          { start: '2026-10-25T23:00:00.000Z', value: 24, count: 24 },
        ]);
        // a month across the change still begins at local midnight
        const months = await store.range({ ...query, from: '2026-03-01T00:00:00Z', to: '2026-05-01T00:00:00Z', bucket: '30d', aggregate: 'max' });
        expect(months.map((b) => b.start)).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
      });

      it('sum-delta: the step from the last reading before a bucket counts in it, also from before `from`; gaps land in the next reading', async () => {
        const readings: [string, number][] = [
          ['2026-03-01T20:00:00Z', 100], // 21:00 local, 1 March: before `from`
          ['2026-03-02T00:00:00Z', 110], // 01:00 local, 2 March
          ['2026-03-02T12:00:00Z', 130],
          ['2026-03-04T05:00:00Z', 160], // nothing on 3 March
          ['2026-03-04T06:00:00Z', 161],
        ];
        await store.write(readings.map(([at, v]) => meter(at, v, { assetId: 'm-1' })));
        const query = { kommune: K, standard: 'meter-reading/1' as const, assetId: 'm-1', field: 'energyKWh', aggregate: 'sum-delta' as const };
        expectBuckets(await store.range({ ...query, from: '2026-03-01T23:00:00Z', to: '2026-03-05T23:00:00Z', bucket: '1d' }), [
          { start: '2026-03-01T23:00:00.000Z', value: 30, count: 2 },
          { start: '2026-03-03T23:00:00.000Z', value: 31, count: 2 },
        ]);
        expectBuckets(await store.range({ ...query, from: '2026-03-01T23:00:00Z', to: '2026-03-05T23:00:00Z', bucket: '1h' }), [
          { start: '2026-03-02T00:00:00.000Z', value: 10, count: 1 },
          { start: '2026-03-02T12:00:00.000Z', value: 20, count: 1 },
          { start: '2026-03-04T05:00:00.000Z', value: 30, count: 1 },
          { start: '2026-03-04T06:00:00.000Z', value: 1, count: 1 },
        ]);
        // from the very first reading on, the first reading has no step
        expectBuckets(await store.range({ ...query, from: '2026-02-01T00:00:00Z', to: '2026-04-01T00:00:00Z', bucket: '30d' }), [
          { start: '2026-02-28T23:00:00.000Z', value: 61, count: 5 },
        ]);
      });

      it('sum-delta ignores the negative step of a meter reset', async () => {
        const readings: [string, number][] = [
          ['2026-03-02T08:00:00Z', 1000],
          ['2026-03-02T09:00:00Z', 1010],
          ['2026-03-02T10:00:00Z', 5], // reset (or replacement)
          ['2026-03-02T11:00:00Z', 8],
          ['2026-03-02T12:00:00Z', 20],
        ];
        await store.write(readings.map(([at, v]) => meter(at, v, { assetId: 'm-1' })));
        const query = { kommune: K, standard: 'meter-reading/1' as const, assetId: 'm-1', field: 'energyKWh', aggregate: 'sum-delta' as const, from: '2026-03-01T00:00:00Z', to: '2026-03-03T00:00:00Z' };
        expectBuckets(await store.range({ ...query, bucket: '1h' }), [
          { start: '2026-03-02T08:00:00.000Z', value: 0, count: 1 },
          { start: '2026-03-02T09:00:00.000Z', value: 10, count: 1 },
          { start: '2026-03-02T10:00:00.000Z', value: 0, count: 1 },
          { start: '2026-03-02T11:00:00.000Z', value: 3, count: 1 },
          { start: '2026-03-02T12:00:00.000Z', value: 12, count: 1 },
        ]);
        expectBuckets(await store.range({ ...query, bucket: '1d' }), [{ start: '2026-03-01T23:00:00.000Z', value: 25, count: 5 }]);
      });

      it('matches the readings for every bucket and aggregate on a long, uneven series written out of order', async () => {
        const next = random(42);
        const readings: Reading[] = [];
        let ts = Date.parse('2026-02-20T00:00:00Z');
        const end = Date.parse('2026-04-20T00:00:00Z');
        let register = 5000;
        while (ts < end) {
          // mostly hourly, bursts of minutes (hours with several readings), gaps of days
          const r = next();
          ts += r < 0.15 ? Math.floor(next() * 20 + 1) * 60_000 : r < 0.97 ? H : Math.floor(next() * 3 + 1) * 24 * H;
          register = next() < 0.01 ? Math.floor(next() * 10) : register + Math.floor(next() * 50) / 10;
          readings.push({ ts, value: register });
        }
        const records = readings.map((r) => meter(iso(r.ts), r.value, { assetId: 'm-1' }));
        // written in shuffled batches: many readings arrive older than the series' newest
        const shuffled = [...records].sort(() => next() - 0.5);
        const inOrder = records.slice(0, Math.floor(records.length / 2));
        await store.write(inOrder);
        await store.write(shuffled.filter((r) => !inOrder.includes(r)).slice(0, 300));
        for (let i = 0; i < shuffled.length; i += 250) await store.write(shuffled.slice(i, i + 250));
        // bad readings carry values that must not count
        await store.write([meter('2026-03-10T10:10:00Z', 999_999, { assetId: 'm-1', quality: 'bad' })]);

        const windows: [string, string][] = [
          ['2026-02-01T00:00:00Z', '2026-05-01T00:00:00Z'],
          ['2026-03-03T07:25:00Z', '2026-04-11T13:40:00Z'],
        ];
        const cases: [BucketWidth, string][] = [
          ['15m', 'Europe/Copenhagen'],
          ['1h', 'Europe/Copenhagen'],
          ['1d', 'Europe/Copenhagen'],
          ['7d', 'Europe/Copenhagen'],
          ['30d', 'Europe/Copenhagen'],
          ['1d', 'America/New_York'],
          ['7d', 'Asia/Kolkata'],
        ];
        for (const [from, to] of windows) {
          for (const [bucket, timeZone] of cases) {
            for (const aggregate of ['min', 'max', 'mean', 'last', 'sum-delta'] as const) {
              const actual = await store.range({ kommune: K, standard: 'meter-reading/1', assetId: 'm-1', field: 'energyKWh', from, to, bucket, aggregate, timeZone });
              const expected = reference(readings, bucket, timeZone, Date.parse(from), Date.parse(to), aggregate);
              const label = `${bucket} ${timeZone} ${aggregate} ${from}…${to}`;
              expect(actual.map((b) => [b.start, b.count]), label).toEqual(expected.map((b) => [b.start, b.count]));
              actual.forEach((b, i) => expect(b.value, `${label} @ ${b.start}`).toBeCloseTo(expected[i]!.value, 6));
            }
          }
        }
      });

      it('counts booleans as 0 and 1, and device health as fields', async () => {
        const door = (at: string, doorOpen: boolean, batteryPercent: number) =>
          checked({ ...envelope(at, { assetId: 'door-1' }, 'door-lock/1'), doorOpen, device: { batteryPercent } } as SensorRecord);
        await store.write([door('2026-05-01T10:00:00Z', true, 90), door('2026-05-01T10:10:00Z', false, 89), door('2026-05-01T10:20:00Z', false, 88), door('2026-05-01T10:30:00Z', true, 87)]);
        const query = { kommune: K, standard: 'door-lock/1' as const, assetId: 'door-1', from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z', bucket: '1d' as const };
        expectBuckets(await store.range({ ...query, field: 'doorOpen', aggregate: 'mean' }), [{ start: '2026-04-30T22:00:00.000Z', value: 0.5, count: 4 }]);
        expectBuckets(await store.range({ ...query, field: 'device.batteryPercent', aggregate: 'min' }), [{ start: '2026-04-30T22:00:00.000Z', value: 87, count: 4 }]);
      });

      it('by asset, combines the asset\'s devices; by device, reads that device only', async () => {
        await store.write([
          meter('2026-03-02T08:00:00Z', 500, { assetId: 'm-1', deviceId: 'old' }),
          meter('2026-03-02T09:00:00Z', 510, { assetId: 'm-1', deviceId: 'old' }),
          meter('2026-03-02T10:00:00Z', 3, { assetId: 'm-1', deviceId: 'new' }), // replacement meter
          meter('2026-03-02T11:00:00Z', 7, { assetId: 'm-1', deviceId: 'new' }),
        ]);
        const query = { kommune: K, standard: 'meter-reading/1' as const, field: 'energyKWh', from: '2026-03-01T00:00:00Z', to: '2026-03-03T00:00:00Z', bucket: '1d' as const };
        expectBuckets(await store.range({ ...query, assetId: 'm-1', aggregate: 'sum-delta' }), [{ start: '2026-03-01T23:00:00.000Z', value: 14, count: 4 }]);
        expectBuckets(await store.range({ ...query, assetId: 'm-1', aggregate: 'last' }), [{ start: '2026-03-01T23:00:00.000Z', value: 7, count: 4 }]);
        expectBuckets(await store.range({ ...query, deviceId: 'old', aggregate: 'sum-delta' }), [{ start: '2026-03-01T23:00:00.000Z', value: 10, count: 2 }]);
      });

      it('rejects invalid queries with a RangeError', async () => {
        const query = { kommune: K, standard: 'fill-level/1' as const, assetId: 'c-1', field: 'distanceMm', from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z', bucket: '1h' as const, aggregate: 'mean' as const };
        await expect(store.range({ ...query, field: 'meterType' })).rejects.toThrow(RangeError);
        await expect(store.range({ ...query, field: 'energyKWh' })).rejects.toThrow(RangeError);
        await expect(store.range({ ...query, from: query.to })).rejects.toThrow(RangeError);
        await expect(store.range({ ...query, timeZone: 'Mars/Olympus' })).rejects.toThrow(RangeError);
        await expect(store.range({ ...query, kommune: '751' })).rejects.toThrow(RangeError);
        await expect(store.range({ kommune: K, standard: 'fill-level/1', field: 'distanceMm', from: query.from, to: query.to, bucket: '1h', aggregate: 'mean' })).rejects.toThrow(RangeError);
        await expect(store.range({ ...query, bucket: '2h' as BucketWidth })).rejects.toThrow(RangeError);
      });
    });

    describe('rangeMany', () => {
      it("gives a site's daily consumption as the sum of its meters' consumption", async () => {
        const records: SensorRecord[] = [];
        const start = Date.parse('2026-03-01T23:00:00Z');
        const meters = { 'site-a-1': 100, 'site-a-2': 5000, 'site-a-3': 20, 'site-b-1': 700 } as Record<string, number>;
        for (let h = -2; h < 72; h++) {
          for (const [asset, base] of Object.entries(meters)) {
            let value = base + (h + 2) * (asset === 'site-a-2' ? 2 : 1);
            if (asset === 'site-a-3' && h >= 30) value = h - 30; // reset to 0 in the second day
            // meter 3 reads ten minutes after the hour, so "the newest reading" is one reading
            const at = start + h * H + (asset === 'site-a-3' ? 10 * 60_000 : 0);
            records.push(meter(iso(at), value, { assetId: asset, deviceId: `dev-${asset}` }));
          }
        }
        await store.write(records);
        const query = { kommune: K, standard: 'meter-reading/1' as const, field: 'energyKWh', from: iso(start), to: iso(start + 72 * H), bucket: '1d' as const };
        const site = await store.rangeMany({ ...query, assetIds: ['site-a-1', 'site-a-2', 'site-a-3'], aggregate: 'sum-delta' });
        // per day: meter 1: 24, meter 2: 48, meter 3: 24 on day 1; on day 2 it resets after 6 hours (6 - 1 steps lost: 6 + 17)
        expectBuckets(site, [
          { start: '2026-03-01T23:00:00.000Z', value: 24 + 48 + 24, count: 72 },
          { start: '2026-03-02T23:00:00.000Z', value: 24 + 48 + 6 + 17, count: 72 },
          { start: '2026-03-03T23:00:00.000Z', value: 24 + 48 + 24, count: 72 },
        ]);
        const perAsset = await Promise.all(['site-a-1', 'site-a-2', 'site-a-3'].map((assetId) => store.range({ ...query, assetId, aggregate: 'sum-delta' })));
        site.forEach((bucket, i) => expect(bucket.value).toBeCloseTo(perAsset.reduce((sum, buckets) => sum + buckets[i]!.value!, 0), 6));
        // combining: max over all, mean over all readings, last = the newest reading of any
        const max = await store.rangeMany({ ...query, assetIds: ['site-a-1', 'site-b-1'], aggregate: 'max', bucket: '30d' });
        expectBuckets(max, [{ start: '2026-02-28T23:00:00.000Z', value: 700 + 73, count: 144 }]);
        const last = await store.rangeMany({ ...query, assetIds: ['site-a-1', 'site-a-3'], aggregate: 'last', bucket: '1h', from: iso(start + 5 * H), to: iso(start + 6 * H) });
        expectBuckets(last, [{ start: iso(start + 5 * H), value: 27, count: 2 }]);
        expect(await store.rangeMany({ ...query, assetIds: [], aggregate: 'sum-delta' })).toEqual([]);
        await expect(store.rangeMany({ ...query, field: 'nope', assetIds: ['site-a-1'], aggregate: 'sum-delta' })).rejects.toThrow(RangeError);
      });
    });

    describe('kommune isolation', () => {
      it('never answers a query for one kommune with another kommune\'s records', async () => {
        const mine = [fill('2026-05-01T10:00:00Z', 100, { assetId: 'c-1', deviceId: 'd-1' }), meter('2026-05-01T10:00:00Z', 10, { assetId: 'm-1', deviceId: 'md-1' })];
        const theirs = [
          fill('2026-05-01T11:00:00Z', 900, { kommune: OTHER, assetId: 'c-1', deviceId: 'd-1' }),
          meter('2026-05-01T09:00:00Z', 1, { kommune: OTHER, assetId: 'm-1', deviceId: 'md-1' }),
          meter('2026-05-01T11:00:00Z', 1000, { kommune: OTHER, assetId: 'm-1', deviceId: 'md-1' }),
          heartbeat('2026-05-01T11:00:00Z', 3, 'gw-1', OTHER),
        ];
        await store.write([...mine, ...theirs]);
        expect(await store.latest({ kommune: K })).toEqual([mine[0], mine[1]]);
        expect(await store.latest({ kommune: K, assetIds: ['c-1', 'm-1'] })).toEqual([mine[0], mine[1]]);
        expect(await store.latest({ kommune: '0461' })).toEqual([]);
        const window = { from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' };
        expect(await collect(store.raw({ kommune: K, ...window }))).toEqual(rawOrder(mine));
        expect(await collect(store.raw({ kommune: K, ...window, deviceId: 'd-1' }))).toEqual([mine[0]]);
        const range = { kommune: K, standard: 'fill-level/1' as const, field: 'distanceMm', ...window, bucket: '1d' as const, aggregate: 'max' as const };
        expectBuckets(await store.range({ ...range, assetId: 'c-1' }), [{ start: '2026-04-30T22:00:00.000Z', value: 100, count: 1 }]);
        expectBuckets(await store.range({ ...range, deviceId: 'd-1' }), [{ start: '2026-04-30T22:00:00.000Z', value: 100, count: 1 }]);
        const consumption = { ...range, standard: 'meter-reading/1' as const, field: 'energyKWh', aggregate: 'sum-delta' as const };
        expectBuckets(await store.range({ ...consumption, assetId: 'm-1' }), [{ start: '2026-04-30T22:00:00.000Z', value: 0, count: 1 }]);
        expectBuckets(await store.rangeMany({ ...consumption, assetIds: ['m-1'] }), [{ start: '2026-04-30T22:00:00.000Z', value: 0, count: 1 }]);
        expect(await store.range({ ...range, kommune: '0461', assetId: 'c-1' })).toEqual([]);
      });
    });

    describe('raw', () => {
      it('returns every record of the selection in time order, whatever the write order, exactly as written', async () => {
        const next = random(7);
        const records: SensorRecord[] = [];
        const base = Date.parse('2026-05-01T00:00:00Z');
        for (let i = 0; i < 300; i++) {
          const at = iso(base + Math.floor(next() * 48) * 15 * 60_000 + (i % 3) * 1000);
          const asset = `a-${i % 4}`;
          if (i % 5 === 0) records.push(meter(at, i, { assetId: asset, deviceId: `m-${asset}` }, { powerKW: 1.5, meterId: `M${i}`, device: { rssiDbm: -100, snrDb: 3.5 } }));
          else
            records.push(
              fill(at, i, { assetId: asset, deviceId: `f-${asset}`, quality: i % 17 === 0 ? 'suspect' : 'good' }, {
                fillLevel: 0.5,
                tilted: i % 2 === 0,
                qualityFlags: i % 17 === 0 ? ['out-of-range:distanceMm'] : undefined,
                undecoded: i % 50 === 0 ? [{ offset: 3, hex: 'beef' }] : undefined,
              }),
            );
        }
        // same-time readings of one series, and a sub-millisecond observedAt
        records.push(fill('2026-05-01T06:00:00.000Z', 1, { assetId: 'a-9', deviceId: 'f-a-9' }));
        records.push(fill('2026-05-01T06:00:00.000Z', 2, { assetId: 'a-9', deviceId: 'f-a-9' }));
        records.push(fill('2026-05-01T06:00:00.123456Z', 3, { assetId: 'a-9', deviceId: 'f-a-9' }));
        const shuffled = [...records].sort(() => next() - 0.5);
        for (let i = 0; i < shuffled.length; i += 37) await store.write(shuffled.slice(i, i + 37));
        const clean = (r: SensorRecord) => JSON.parse(JSON.stringify(r)) as SensorRecord;
        const all = rawOrder(records).map(clean);
        const window = { kommune: K, from: '2026-05-01T00:00:00Z', to: '2026-05-03T00:00:00Z' };
        expect(await collect(store.raw(window))).toEqual(all);
        expect(await collect(store.raw({ ...window, standard: 'meter-reading/1' }))).toEqual(all.filter((r) => r.standard === 'meter-reading/1'));
        expect(await collect(store.raw({ ...window, assetId: 'a-1' }))).toEqual(all.filter((r) => r.assetId === 'a-1'));
        expect(await collect(store.raw({ ...window, deviceId: 'f-a-2', standard: 'fill-level/1' }))).toEqual(all.filter((r) => r.deviceId === 'f-a-2'));
        // [from, to)
        const from = '2026-05-01T06:00:00.000Z';
        const to = '2026-05-01T12:00:00.000Z';
        expect(await collect(store.raw({ kommune: K, from, to }))).toEqual(all.filter((r) => Date.parse(r.observedAt) >= Date.parse(from) && Date.parse(r.observedAt) < Date.parse(to)));
        expect(await collect(store.raw({ ...window, kommune: OTHER }))).toEqual([]);
      });

      it('pages through a large selection without losing or repeating a record', async () => {
        const records: SensorRecord[] = [];
        const base = Date.parse('2026-01-01T00:00:00Z');
        for (let h = 0; h < 600; h++) {
          for (let d = 0; d < 50; d++) records.push(fill(iso(base + h * H), h, { assetId: `c-${d}`, deviceId: `d-${d}` }));
        }
        for (let i = 0; i < records.length; i += 5000) await store.write(records.slice(i, i + 5000));
        let count = 0;
        let previous: SensorRecord | undefined;
        const seen = new Set<string>();
        for await (const record of store.raw({ kommune: K, from: '2025-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' })) {
          if (previous) expect(rawOrder([record, previous])[0], `${previous.id} before ${record.id}`).toBe(previous);
          previous = record;
          seen.add(record.id);
          count++;
        }
        expect(count).toBe(30_000);
        expect(seen.size).toBe(30_000);
      });
    });

    describe('records of every kind', () => {
      it('stores gateway heartbeats like sensor records', async () => {
        const beats = [heartbeat('2026-05-01T10:00:00Z', 5, 'gw-1'), heartbeat('2026-05-01T10:01:00Z', 9, 'gw-1'), heartbeat('2026-05-01T10:00:30Z', 0, 'gw-2')];
        expect(await store.write(beats)).toEqual(['stored', 'stored', 'stored']);
        expect(await collect(store.raw({ kommune: K, from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z', standard: 'gateway-heartbeat/1' }))).toEqual(rawOrder(beats));
        expect(await store.latest({ kommune: K, standard: 'gateway-heartbeat/1' })).toEqual([beats[1], beats[2]]);
        expectBuckets(
          await store.range({ kommune: K, standard: 'gateway-heartbeat/1', deviceId: 'gw-1', field: 'queueDepth', from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z', bucket: '1h', aggregate: 'max' }),
          [{ start: '2026-05-01T10:00:00.000Z', value: 9, count: 2 }],
        );
      });

      it("stores records of quality 'bad' and without a measurement, and keeps their values out of aggregates", async () => {
        const good = fill('2026-05-01T10:00:00Z', 400, { assetId: 'c-1' });
        const badEmpty = fill('2026-05-01T10:15:00Z', undefined, { assetId: 'c-1', quality: 'bad' }, { qualityFlags: ['sensor-fault'] });
        const badValue = fill('2026-05-01T10:30:00Z', 25_000, { assetId: 'c-1', quality: 'bad' }, { qualityFlags: ['no-echo'] });
        const healthOnly = fill('2026-05-01T10:45:00Z', undefined, { assetId: 'c-1', quality: 'bad' }, { device: { batteryPercent: 3 } });
        expect(await store.write([good, badEmpty, badValue, healthOnly])).toEqual(['stored', 'stored', 'stored', 'stored']);
        expect(await collect(store.raw({ kommune: K, from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' }))).toEqual([good, badEmpty, badValue, healthOnly]);
        const query = { kommune: K, standard: 'fill-level/1' as const, assetId: 'c-1', from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' };
        expectBuckets(await store.range({ ...query, field: 'distanceMm', bucket: '1h', aggregate: 'max' }), [{ start: '2026-05-01T10:00:00.000Z', value: 400, count: 1 }]);
        expectBuckets(await store.range({ ...query, field: 'distanceMm', bucket: '1d', aggregate: 'max' }), [{ start: '2026-04-30T22:00:00.000Z', value: 400, count: 1 }]);
        expect(await store.range({ ...query, field: 'device.batteryPercent', bucket: '1d', aggregate: 'min' })).toEqual([]);
        expect(await store.latest({ kommune: K })).toEqual([healthOnly]);
      });
    });
  });
}
