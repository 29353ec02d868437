import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../cloud/src/api/errors.js';
import { storeQuery } from '../../../cloud/src/query/route-helpers.js';
import { bucketCount, chartBucket, instantOf } from '../../../cloud/src/query/time-window.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { hoursAfter, type QueryHarness, queryHarness, record } from './query-harness.js';

/** Copenhagen midnight starting 1 March 2026 (UTC+1). */
const MARCH_1 = '2026-02-28T23:00:00Z';

/**
 * Rådhuset: heat meters m1 (1000 + 2h kWh, flow 60/61 °C alternating) and m2 (500 + h kWh), water
 * meter w1 (20 + 0.5h m³), hourly for 48 hours from Copenhagen midnight 1 March; a waste container.
 * So per Copenhagen day m1 used 46 then 48 kWh (its first reading counts nothing), m2 23 then 24,
 * w1 11.5 then 12 m³. Glass containers g1 (0.2, 0.5), g2 (0.7) and a paper one p1 (0.9) on 1 March.
 */
async function setup(): Promise<QueryHarness> {
  const h = await queryHarness({ now: '2026-03-10T12:00:00Z' });
  h.put('sites', { id: 'raadhus', name: 'Rådhuset', heatedAreaM2: 19500 });
  h.put('assets', { id: 'm1', name: 'Varme 1', kind: 'meter', meterType: 'heat', unit: 'kWh', siteId: 'raadhus' });
  h.put('assets', { id: 'm2', name: 'Varme 2', kind: 'meter', meterType: 'heat', unit: 'kWh', siteId: 'raadhus' });
  h.put('assets', { id: 'w1', name: 'Vand', kind: 'meter', meterType: 'water', unit: 'm3', siteId: 'raadhus' });
  h.put('assets', { id: 'bin', name: 'Rest', kind: 'waste-container', fraction: 'rest', volumeL: 660, siteId: 'raadhus' });
  for (const [id, fraction] of [['g1', 'glas'], ['g2', 'glas'], ['p1', 'papir']] as const) {
    h.put('assets', { id, name: id, kind: 'waste-container', fraction, volumeL: 2500 });
  }
  const records: SensorRecord[] = [];
  for (let hour = 0; hour < 48; hour++) {
    const at = hoursAfter(MARCH_1, hour);
    records.push(record('meter-reading/1', at, { assetId: 'm1', deviceId: 'd1' }, { meterType: 'heat', energyKWh: 1000 + 2 * hour, flowTempC: 60 + (hour % 2) }));
    records.push(record('meter-reading/1', at, { assetId: 'm2', deviceId: 'd2' }, { meterType: 'heat', energyKWh: 500 + hour }));
    records.push(record('meter-reading/1', at, { assetId: 'w1', deviceId: 'd3' }, { meterType: 'water', volumeM3: 20 + 0.5 * hour }));
  }
  records.push(record('fill-level/1', hoursAfter(MARCH_1, 8), { assetId: 'g1', deviceId: 'f1' }, { distanceMm: 800, fillLevel: 0.2 }));
  records.push(record('fill-level/1', hoursAfter(MARCH_1, 20), { assetId: 'g1', deviceId: 'f1' }, { distanceMm: 500, fillLevel: 0.5 }));
  records.push(record('fill-level/1', hoursAfter(MARCH_1, 9), { assetId: 'g2', deviceId: 'f2' }, { distanceMm: 300, fillLevel: 0.7 }));
  records.push(record('fill-level/1', hoursAfter(MARCH_1, 9), { assetId: 'p1', deviceId: 'f3' }, { distanceMm: 100, fillLevel: 0.9 }));
  await h.write(records);
  return h;
}

const days = (first: number, second: number, count = 24) => [
  { start: '2026-02-28T23:00:00.000Z', value: first, count },
  { start: '2026-03-01T23:00:00.000Z', value: second, count },
];

describe("query API: an asset's range", () => {
  it("defaults to the meter's register and its consumption per bucket, in Copenhagen days", async () => {
    const h = await setup();
    const answer = await h.get('/api/v1/assets/m1/range?from=2026-03-01&to=2026-03-03&bucket=1d');
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({
      assetId: 'm1',
      standard: 'meter-reading/1',
      field: 'energyKWh',
      aggregate: 'sum-delta',
      bucket: '1d',
      timeZone: 'Europe/Copenhagen',
      from: '2026-02-28T23:00:00.000Z',
      to: '2026-03-02T23:00:00.000Z',
      buckets: days(46, 48),
    });
    expect((await h.get('/api/v1/assets/m1/range?from=2026-03-01&to=2026-03-03&bucket=1d&aggregate=max')).json().buckets).toEqual(days(1046, 1094));
    const flow = (await h.get('/api/v1/assets/m1/range?field=flowTempC&from=2026-03-01&to=2026-03-03&bucket=1d')).json();
    expect(flow.aggregate).toBe('mean');
    expect(flow.buckets).toEqual(days(60.5, 60.5));
    // UTC days: 1 March holds the readings of hours 1–24 (the one before counts as the start), 2 March hours 25–47.
    const utc = (await h.get('/api/v1/assets/m1/range?from=2026-03-01&to=2026-03-03&bucket=1d&timeZone=UTC')).json();
    expect(utc.buckets.map((bucket: { start: string; value: number }) => [bucket.start, bucket.value])).toEqual([
      ['2026-03-01T00:00:00.000Z', 48],
      ['2026-03-02T00:00:00.000Z', 46],
    ]);
    const month = (await h.get('/api/v1/assets/m1/range?from=2026-01-01&to=2027-01-01&bucket=30d')).json();
    expect(month.buckets).toEqual([{ start: '2026-02-28T23:00:00.000Z', value: 94, count: 48 }]);
  });

  it('chooses a bucket for a chart when none is asked for, and ends at now by default', async () => {
    const h = await setup();
    const chart = (await h.get('/api/v1/assets/m1/range?from=2026-03-01&to=2026-03-03')).json();
    expect(chart.bucket).toBe('15m');
    expect(chart.buckets).toHaveLength(48);
    expect(chart.buckets.reduce((sum: number, bucket: { value: number }) => sum + bucket.value, 0)).toBe(94);
    const untilNow = (await h.get('/api/v1/assets/m1/range?from=2026-03-02&bucket=1d')).json();
    expect(untilNow.to).toBe('2026-03-10T12:00:00.000Z');
    expect(untilNow.buckets).toEqual([{ start: '2026-03-01T23:00:00.000Z', value: 48, count: 24 }]);
    expect((await h.get('/api/v1/assets/m1/range?from=2026-01-01&to=2027-01-01')).json().bucket).toBe('1d');
  });

  it("reads an unregistered asset's standard and meter type from its data", async () => {
    const h = await setup();
    const at = '2026-03-05T06:00:00Z';
    await h.write(
      [10, 12.5, 11, 13].map((volumeM3, hour) => record('meter-reading/1', hoursAfter(at, hour), { assetId: 'loose', deviceId: 'lx' }, { meterType: 'water', volumeM3 })),
    );
    const answer = (await h.get('/api/v1/assets/loose/range?from=2026-03-05&to=2026-03-06&bucket=1d')).json();
    // 2.5 up, a reset down (counts 0), 2 up.
    expect(answer).toMatchObject({ standard: 'meter-reading/1', field: 'volumeM3', aggregate: 'sum-delta', buckets: [{ start: '2026-03-04T23:00:00.000Z', value: 4.5, count: 4 }] });
    await h.write([record('fill-level/1', at, { assetId: 'loose', deviceId: 'lx2' }, { distanceMm: 5 })]);
    const ambiguous = await h.get('/api/v1/assets/loose/range?from=2026-03-05&to=2026-03-06');
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.json().error).toMatch(/^query\.standard: /);
    // Its fill-level data has no fillLevel (no container params), only the distance.
    expect((await h.get('/api/v1/assets/loose/range?standard=fill-level/1&from=2026-03-05&to=2026-03-06&bucket=1d')).json().buckets).toEqual([]);
    expect((await h.get('/api/v1/assets/loose/range?standard=fill-level/1&field=distanceMm&from=2026-03-05&to=2026-03-06&bucket=1d')).json().buckets).toEqual([
      { start: '2026-03-04T23:00:00.000Z', value: 5, count: 1 },
    ]);
  });

  it('refuses bad parameters with 400 naming the parameter, and other kommuners\' assets with 404', async () => {
    const h = await setup();
    for (const [query, field] of [
      ['from=2026-01-01&to=2027-01-01&bucket=15m', 'query.bucket'],
      ['from=2026-03-01&bucket=2h', 'query.bucket'],
      ['from=2026-03-01&field=nope', 'query.field'],
      ['from=2026-03-01&aggregate=median', 'query.aggregate'],
      ['from=2026-03-01&timeZone=Mars/Olympus', 'query.timeZone'],
      ['from=2026-03-03&to=2026-03-01', 'query.from'],
      ['from=yesterday', 'query.from'],
      ['from=2026-03-01T00:00:00', 'query.from'],
      ['to=2026-03-01', 'query.from'],
      ['from=0050-01-01', 'query.from'],
      ['from=2026-03-01&standard=door-lock', 'query.standard'],
    ] as const) {
      const answer = await h.get(`/api/v1/assets/m1/range?${query}`);
      expect(answer.statusCode, query).toBe(400);
      expect(answer.json().error, query).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    }
    expect((await h.get('/api/v1/assets/m1/range?from=2026-03-01&field=nope')).json().error).toMatch(/meter-reading\/1 has no numeric field "nope"; it has: energyKWh, /);
    // Hourly buckets over a leap year are allowed (8,784).
    expect((await h.get('/api/v1/assets/m1/range?from=2028-01-01&to=2029-01-01&bucket=1h')).statusCode).toBe(200);
    expect((await h.get('/api/v1/assets/m1/range?from=2026-03-01', h.tokens.kbh)).statusCode).toBe(404);
    expect((await h.get('/api/v1/assets/ghost/range?from=2026-03-01')).statusCode).toBe(404);
    expect((await h.get('/api/v1/assets/m1/range?from=2026-03-01', null)).statusCode).toBe(401);
    expect((await h.get('/api/v1/assets/m1/range?from=2026-03-01', h.tokens.gateway)).statusCode).toBe(401);
  });
});

describe('query API: site and kommune ranges', () => {
  it("adds up a site's meters of one type; mixed types need a field", async () => {
    const h = await setup();
    const heat = (await h.get('/api/v1/sites/raadhus/range?meterType=heat&from=2026-03-01&to=2026-03-03&bucket=1d')).json();
    expect(heat).toEqual({
      siteId: 'raadhus',
      standard: 'meter-reading/1',
      field: 'energyKWh',
      aggregate: 'sum-delta',
      bucket: '1d',
      timeZone: 'Europe/Copenhagen',
      from: '2026-02-28T23:00:00.000Z',
      to: '2026-03-02T23:00:00.000Z',
      assetIds: ['m1', 'm2'],
      buckets: days(46 + 23, 48 + 24, 48),
    });
    const mixed = await h.get('/api/v1/sites/raadhus/range?standard=meter-reading/1&from=2026-03-01&to=2026-03-03');
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().error).toMatch(/^query\.field: /);
    const water = (await h.get('/api/v1/sites/raadhus/range?standard=meter-reading/1&field=volumeM3&from=2026-03-01&to=2026-03-03&bucket=1d')).json();
    expect(water.assetIds).toEqual(['m1', 'm2', 'w1']);
    expect(water.buckets).toEqual(days(11.5, 12));
    expect((await h.get('/api/v1/sites/raadhus/range?meterType=water&from=2026-03-01&to=2026-03-03&bucket=1d')).json().buckets).toEqual(days(11.5, 12));
    for (const [query, field] of [
      ['standard=fill-level/1&meterType=heat&from=2026-03-01', 'query.meterType'],
      ['standard=meter-reading/1&fraction=glas&from=2026-03-01', 'query.fraction'],
      ['from=2026-03-01', 'query.standard'],
      ['meterType=steam&from=2026-03-01', 'query.meterType'],
    ] as const) {
      const answer = await h.get(`/api/v1/sites/raadhus/range?${query}`);
      expect(answer.statusCode, query).toBe(400);
      expect(answer.json().error, query).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    }
    expect((await h.get('/api/v1/sites/raadhus/range?meterType=heat&from=2026-03-01', h.tokens.kbh)).statusCode).toBe(404);
    expect((await h.get('/api/v1/sites/nowhere/range?meterType=heat&from=2026-03-01')).statusCode).toBe(404);
  });

  it("combines the kommune's assets of a fraction or meter type; another kommune sees none of them", async () => {
    const h = await setup();
    const glass = (await h.get('/api/v1/range?fraction=glas&from=2026-03-01&to=2026-03-02&bucket=1d')).json();
    expect(glass).toMatchObject({ standard: 'fill-level/1', field: 'fillLevel', aggregate: 'mean', assetCount: 2 });
    expect(glass.buckets).toHaveLength(1);
    expect(glass.buckets[0].value).toBeCloseTo((0.2 + 0.5 + 0.7) / 3, 12);
    expect((await h.get('/api/v1/range?fraction=glas&from=2026-03-01&to=2026-03-02&bucket=1d&aggregate=max')).json().buckets[0].value).toBe(0.7);
    const heat = (await h.get('/api/v1/range?meterType=heat&from=2026-03-01&to=2026-03-03&bucket=1d')).json();
    expect(heat.assetCount).toBe(2);
    expect(heat.buckets).toEqual(days(69, 72, 48));
    expect((await h.get('/api/v1/range?standard=fill-level/1&from=2026-03-01&to=2026-03-02&bucket=1d&aggregate=max')).json()).toMatchObject({
      assetCount: 4,
      buckets: [{ value: 0.9, count: 4 }],
    });
    expect((await h.get('/api/v1/range?meterType=heat&from=2026-03-01&to=2026-03-03&bucket=1d', h.tokens.kbh)).json()).toMatchObject({ assetCount: 0, buckets: [] });
  });
});

describe('query API: time windows', () => {
  it('reads dates as local midnight, across DST', () => {
    const cph = 'Europe/Copenhagen';
    expect(new Date(instantOf('2026-03-29', cph)).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(instantOf('2026-03-30', cph)).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(new Date(instantOf('2026-10-26', cph)).toISOString()).toBe('2026-10-25T23:00:00.000Z');
    expect(new Date(instantOf('2026-03-29', 'America/Santiago')).toISOString()).toBe('2026-03-29T03:00:00.000Z');
    expect(instantOf('2026-03-29T12:00:00+02:00', cph)).toBe(Date.parse('2026-03-29T10:00:00Z'));
  });

  it('counts buckets exactly and picks the finest width with at most 500', () => {
    const cph = 'Europe/Copenhagen';
    const dstDay = [instantOf('2026-03-29', cph), instantOf('2026-03-30', cph)] as const;
    expect(bucketCount('15m', cph, ...dstDay)).toBe(92);
    expect(bucketCount('1d', cph, ...dstDay)).toBe(1);
    expect(bucketCount('1h', 'UTC', Date.parse('2028-01-01T00:00:00Z'), Date.parse('2029-01-01T00:00:00Z'))).toBe(8784);
    expect(bucketCount('30d', cph, instantOf('2026-01-15', cph), instantOf('2026-03-02', cph))).toBe(3);
    expect(chartBucket(cph, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-06T00:00:00Z'))).toBe('15m');
    expect(chartBucket(cph, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-08T00:00:00Z'))).toBe('1h');
    expect(chartBucket(cph, Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'))).toBe('1d');
    expect(chartBucket(cph, Date.parse('2020-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'))).toBe('7d');
  });

  it("turns the store's RangeError into a 400 with its message", async () => {
    await expect(storeQuery(() => Promise.reject(new RangeError('from must be before to')))).rejects.toEqual(new HttpError(400, 'from must be before to'));
    await expect(storeQuery(() => Promise.reject(new Error('disk on fire')))).rejects.toThrow('disk on fire');
  });
});
