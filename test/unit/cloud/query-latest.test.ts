import { describe, expect, it } from 'vitest';
import type { SensorRecord } from '../../../standards/src/index.js';
import { hoursAfter, queryHarness, record } from './query-harness.js';

const setup = () => queryHarness({ now: '2026-03-10T12:00:00Z' });

const T = '2026-03-10T08:00:00Z';

describe('query API: latest state', () => {
  it("answers an asset's newest record per standard, its registry entry, and 404 across kommuner", async () => {
    const h = await setup();
    h.put('sites', { id: 'raadhus', name: 'Rådhuset' });
    h.put('assets', { id: 'm1', name: 'Varme', kind: 'meter', meterType: 'heat', unit: 'kWh', siteId: 'raadhus' });
    h.put('assets', { id: 'm1', name: 'Varme KBH', kind: 'meter', meterType: 'heat', unit: 'kWh' }, '0101');
    const older = record('meter-reading/1', T, { assetId: 'm1', deviceId: 'd1' }, { meterType: 'heat', energyKWh: 100 });
    const newer = record('meter-reading/1', hoursAfter(T, 1), { assetId: 'm1', deviceId: 'd1' }, { meterType: 'heat', energyKWh: 150 });
    const kbh = record('meter-reading/1', hoursAfter(T, 2), { kommune: '0101', assetId: 'm1', deviceId: 'k1' }, { meterType: 'heat', energyKWh: 9 });
    const unregistered = record('fill-level/1', T, { assetId: 'c-unreg', deviceId: 'd9' }, { distanceMm: 400 });
    await h.write([newer, older, kbh, unregistered]);

    const answer = await h.get('/api/v1/assets/m1/latest');
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({
      assetId: 'm1',
      asset: { id: 'm1', name: 'Varme', kind: 'meter', meterType: 'heat', unit: 'kWh', siteId: 'raadhus' },
      records: [newer],
    });
    expect((await h.get('/api/v1/assets/m1/latest', h.tokens.kbh)).json().records).toEqual([kbh]);
    expect((await h.get('/api/v1/assets/c-unreg/latest')).json()).toEqual({ assetId: 'c-unreg', asset: null, records: [unregistered] });
    // Copenhagen neither registered c-unreg nor has data of it: Aarhus's data stays hidden.
    const across = await h.get('/api/v1/assets/c-unreg/latest', h.tokens.kbh);
    expect(across.statusCode).toBe(404);
    expect(across.json()).toEqual({ error: 'no asset c-unreg' });
    expect((await h.get('/api/v1/assets/nothing/latest')).statusCode).toBe(404);
    // Registered without data: 200 with no records.
    h.put('assets', { id: 'door-1', name: 'Hoveddør', kind: 'door' });
    expect((await h.get('/api/v1/assets/door-1/latest')).json().records).toEqual([]);
  });

  it('is read by all four roles; 401 without a token and for a gateway token', async () => {
    const h = await setup();
    h.put('assets', { id: 'c1', name: 'Glas', kind: 'waste-container', fraction: 'glas', volumeL: 2500 });
    for (const token of [h.tokens.admin, h.tokens.technician, h.tokens.energi, h.tokens.affald]) {
      expect((await h.get('/api/v1/assets/c1/latest', token)).statusCode).toBe(200);
      expect((await h.get('/api/v1/latest', token)).statusCode).toBe(200);
    }
    for (const url of ['/api/v1/assets/c1/latest', '/api/v1/latest', '/api/v1/sites/s/latest']) {
      expect((await h.get(url, null)).statusCode).toBe(401);
      // The authentication hook takes gateway tokens on the ingest route only (cloud/src/api/auth/authenticate.ts).
      expect((await h.get(url, h.tokens.gateway)).statusCode).toBe(401);
    }
  });

  it("pages through the kommune's fleet in store order, without heartbeats, by standard and site", async () => {
    const h = await setup();
    h.put('sites', { id: 'skole', name: 'Skolen' });
    const records: SensorRecord[] = [];
    for (let i = 0; i < 23; i++) {
      const assetId = `c-${String(i).padStart(2, '0')}`;
      if (i < 3) h.put('assets', { id: assetId, name: assetId, kind: 'waste-container', fraction: 'rest', volumeL: 660, siteId: 'skole' });
      records.push(record('fill-level/1', hoursAfter(T, i / 10), { assetId, deviceId: `f-${i}` }, { distanceMm: 100 + i }));
    }
    for (let i = 0; i < 4; i++) {
      records.push(record('meter-reading/1', T, { assetId: `m-${i}`, deviceId: `e-${i}` }, { meterType: 'electricity', energyKWh: 10 * i }));
    }
    const loose = record('meter-reading/1', T, { deviceId: 'no-asset' }, { meterType: 'water', volumeM3: 3 });
    const heartbeat = record('gateway-heartbeat/1', T, { deviceId: 'gw-a' }, { queueDepth: 0 });
    const otherKommune = record('fill-level/1', T, { kommune: '0101', assetId: 'c-00', deviceId: 'k' }, { distanceMm: 1 });
    await h.write([...records, loose, heartbeat, otherKommune]);

    // Store order: standard, then assets by id, then devices without an asset.
    const expected = [...records.slice(0, 23), ...records.slice(23), loose];
    const seen: SensorRecord[] = [];
    let url = '/api/v1/latest?limit=10';
    let pages = 0;
    for (;;) {
      const page = await h.get(url);
      expect(page.statusCode).toBe(200);
      const body = page.json() as { records: SensorRecord[]; next: string | null };
      seen.push(...body.records);
      pages++;
      if (body.next === null) break;
      url = `/api/v1/latest?limit=10&after=${encodeURIComponent(body.next)}`;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);

    const meters = (await h.get('/api/v1/latest?standard=meter-reading/1&limit=4')).json();
    expect(meters.records).toEqual(records.slice(23));
    expect(meters.next).not.toBeNull();
    const rest = (await h.get(`/api/v1/latest?standard=meter-reading/1&limit=4&after=${meters.next}`)).json();
    expect(rest).toEqual({ records: [loose], next: null });

    expect((await h.get('/api/v1/latest?siteId=skole')).json()).toEqual({ records: records.slice(0, 3), next: null });
    expect((await h.get('/api/v1/latest?standard=gateway-heartbeat/1')).json().error).toMatch(/^query\.standard: /);
    expect((await h.get('/api/v1/latest', h.tokens.kbh)).json()).toEqual({ records: [otherKommune], next: null });
    expect((await h.get('/api/v1/latest?siteId=skole', h.tokens.kbh)).statusCode).toBe(404);
  });

  it('refuses bad parameters with 400 naming the parameter', async () => {
    const h = await setup();
    for (const [url, field] of [
      ['/api/v1/latest?limit=0', 'query.limit'],
      ['/api/v1/latest?limit=10001', 'query.limit'],
      ['/api/v1/latest?limit=ten', 'query.limit'],
      ['/api/v1/latest?standard=fill-level', 'query.standard'],
      ['/api/v1/latest?after=not-a-cursor', 'query.after'],
      ['/api/v1/latest?kommune=0101', 'query'],
    ] as const) {
      const answer = await h.get(url);
      expect(answer.statusCode, url).toBe(400);
      expect(answer.json().error, url).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    }
    expect((await h.get('/api/v1/latest?kommune=0101')).json().error).toMatch(/kommune/);
  });

  it("answers a site's latest state and names its assets without data", async () => {
    const h = await setup();
    h.put('sites', { id: 'raadhus', name: 'Rådhuset' });
    h.put('assets', { id: 'heat', name: 'Varme', kind: 'meter', meterType: 'heat', unit: 'kWh', siteId: 'raadhus' });
    h.put('assets', { id: 'water', name: 'Vand', kind: 'meter', meterType: 'water', unit: 'm3', siteId: 'raadhus' });
    h.put('assets', { id: 'bin', name: 'Rest', kind: 'waste-container', fraction: 'rest', volumeL: 660, siteId: 'raadhus' });
    h.put('assets', { id: 'elsewhere', name: 'Andet', kind: 'meter', meterType: 'heat', unit: 'kWh' });
    const heat = record('meter-reading/1', T, { assetId: 'heat', deviceId: 'h' }, { meterType: 'heat', energyKWh: 5 });
    const bin = record('fill-level/1', T, { assetId: 'bin', deviceId: 'b' }, { distanceMm: 500 });
    const elsewhere = record('meter-reading/1', T, { assetId: 'elsewhere', deviceId: 'x' }, { meterType: 'heat', energyKWh: 7 });
    await h.write([heat, bin, elsewhere]);

    const all = (await h.get('/api/v1/sites/raadhus/latest')).json();
    expect(all.site).toEqual({ id: 'raadhus', name: 'Rådhuset' });
    expect(all.records).toEqual([bin, heat]);
    expect(all.assetsWithoutData).toEqual(['water']);
    const meters = (await h.get('/api/v1/sites/raadhus/latest?standard=meter-reading/1')).json();
    expect(meters.records).toEqual([heat]);
    expect(meters.assetsWithoutData).toEqual(['water']);
    expect((await h.get('/api/v1/sites/raadhus/latest', h.tokens.kbh)).statusCode).toBe(404);
    expect((await h.get('/api/v1/sites/nowhere/latest')).statusCode).toBe(404);
  });
});

describe('query API: OpenAPI', () => {
  it('documents every route at /docs with tags, summaries and parameters, and no unresolvable references', async () => {
    const h = await setup();
    const answer = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).not.toContain('"$ref"');
    const paths = answer.json().paths as Record<string, { get: { tags: string[]; summary: string; parameters?: { name: string; in: string }[] } }>;
    const routes = {
      '/api/v1/assets/{assetId}/latest': 'query',
      '/api/v1/latest': 'query',
      '/api/v1/sites/{siteId}/latest': 'query',
      '/api/v1/assets/{assetId}/range': 'query',
      '/api/v1/sites/{siteId}/range': 'query',
      '/api/v1/range': 'query',
      '/api/v1/gateways/health': 'health',
      '/api/v1/gateways/{gatewayId}/health': 'health',
      '/api/v1/devices/health': 'health',
    };
    for (const [path, tag] of Object.entries(routes)) {
      expect(paths[path]?.get.tags, path).toEqual([tag]);
      expect(paths[path]!.get.summary.length, path).toBeGreaterThan(20);
    }
    const rangeParameters = paths['/api/v1/assets/{assetId}/range']!.get.parameters!.map((parameter) => `${parameter.in}:${parameter.name}`);
    expect(rangeParameters.sort()).toEqual(
      ['path:assetId', 'query:standard', 'query:field', 'query:from', 'query:to', 'query:bucket', 'query:aggregate', 'query:timeZone'].sort(),
    );
  });
});
