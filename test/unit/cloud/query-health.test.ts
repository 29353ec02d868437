import { describe, expect, it } from 'vitest';
import { deviceState, gatewayState, defaultHealthThresholds } from '../../../cloud/src/query/health-state.js';
import { gatewayHealthView } from '../../../cloud/src/query/query-schemas.js';
import type { GatewayHeartbeatRecord } from '../../../standards/src/index.js';
import { hoursAfter, type QueryHarness, queryHarness, record } from './query-harness.js';

const NOW = '2026-03-10T12:00:00.000Z';
const ago = (seconds: number) => new Date(Date.parse(NOW) - seconds * 1000).toISOString();
const minutes = 60;
const hours = 3600;

/** gw-a reports through ingest now; gw-b talks but delivers a 20-minute-old heartbeat; gw-never never did; gw-x has a token and no registry entry. */
async function gateways(h: QueryHarness) {
  h.put('sites', { id: 's1', name: 'Rådhuset' });
  h.put('gateways', { id: 'gw-a', name: 'Rådhus, tag', siteId: 's1' });
  h.put('gateways', { id: 'gw-b', name: 'Skolen' });
  h.put('gateways', { id: 'gw-never', name: 'Ny gateway' });
  const heartbeat = record('gateway-heartbeat/1', ago(30), { deviceId: 'gw-a', delayS: 0 }, { uptimeS: 7200, queueDepth: 3, softwareVersion: '0.1.0' });
  const ingest = await h.app.inject({
    method: 'POST',
    url: '/api/v1/ingest',
    headers: { authorization: `Bearer ${h.tokens.gateway}`, 'content-type': 'application/json' },
    payload: { gatewayId: 'gw-a', records: [heartbeat] },
  });
  expect(ingest.statusCode).toBe(200);
  const health = h.services.repositories.gatewayHealth;
  health.recordContact('0751', 'gw-b', new Date(ago(2 * minutes)), { stored: 10, duplicate: 0, rejected: 0 });
  const backlog = record('gateway-heartbeat/1', ago(20 * minutes), { deviceId: 'gw-b', gatewayId: 'gw-b' }, { queueDepth: 5000, queueOldestAgeS: 1300 });
  health.recordHeartbeat(backlog as GatewayHeartbeatRecord, new Date(ago(2 * minutes)));
  health.recordContact('0751', 'gw-x', new Date(ago(2 * hours)), { stored: 1, duplicate: 0, rejected: 0 });
  health.recordContact('0101', 'gw-kbh', new Date(ago(10)), { stored: 1, duplicate: 0, rejected: 0 });
}

describe('query API: gateway health', () => {
  it('derives online, late, offline and never-seen, and moves with the clock', async () => {
    const h = await queryHarness({ now: NOW });
    await gateways(h);

    const list = await h.get('/api/v1/gateways/health', h.tokens.affald);
    expect(list.statusCode).toBe(200);
    const byId = Object.fromEntries((list.json() as { gatewayId: string }[]).map((view) => [view.gatewayId, view]));
    expect(Object.keys(byId)).toEqual(['gw-a', 'gw-b', 'gw-never', 'gw-x']);
    expect(byId['gw-a']).toEqual({
      gatewayId: 'gw-a',
      name: 'Rådhus, tag',
      siteId: 's1',
      registered: true,
      state: 'online',
      contactAgeS: 0,
      heartbeatAgeS: 30,
      health: {
        lastContactAt: NOW,
        recordsStoredTotal: 1,
        recordsDuplicateTotal: 0,
        recordsRejectedTotal: 0,
        lastHeartbeatAt: ago(30),
        heartbeatReceivedAt: NOW,
        uptimeS: 7200,
        queueDepth: 3,
        queueOldestAgeS: null,
        queueDroppedTotal: null,
        deadLetters: null,
        uplinksTotal: null,
        recordsTotal: null,
        sourcesConnected: null,
        sourcesTotal: null,
        devicesConfigured: null,
        softwareVersion: '0.1.0',
      },
    });
    expect(byId['gw-b']).toMatchObject({ state: 'late', contactAgeS: 120, heartbeatAgeS: 1200, health: { queueDepth: 5000 } });
    expect(byId['gw-never']).toEqual({
      gatewayId: 'gw-never', name: 'Ny gateway', siteId: null, registered: true, state: 'never-seen', contactAgeS: null, heartbeatAgeS: null, health: null,
    });
    expect(byId['gw-x']).toMatchObject({ name: null, registered: false, state: 'offline', contactAgeS: 7200 });

    h.clock.now = new Date(Date.parse(NOW) + 11 * minutes * 1000);
    expect((await h.get('/api/v1/gateways/gw-a/health')).json()).toMatchObject({ state: 'late', contactAgeS: 660 });
    h.clock.now = new Date(Date.parse(NOW) + 61 * minutes * 1000);
    expect((await h.get('/api/v1/gateways/gw-a/health')).json()).toMatchObject({ state: 'offline', contactAgeS: 3660 });
    expect((await h.get('/api/v1/gateways/gw-never/health')).json().state).toBe('never-seen');
  });

  it("shows only the caller's kommune's gateways; 404, 401 as it should", async () => {
    const h = await queryHarness({ now: NOW });
    await gateways(h);
    expect((await h.get('/api/v1/gateways/health', h.tokens.kbh)).json()).toMatchObject([{ gatewayId: 'gw-kbh', state: 'online', registered: false }]);
    expect((await h.get('/api/v1/gateways/gw-a/health', h.tokens.kbh)).statusCode).toBe(404);
    expect((await h.get('/api/v1/gateways/gw-kbh/health')).statusCode).toBe(404);
    expect((await h.get('/api/v1/gateways/nothing/health')).statusCode).toBe(404);
    for (const url of ['/api/v1/gateways/health', '/api/v1/gateways/gw-a/health', '/api/v1/devices/health']) {
      expect((await h.get(url, null)).statusCode).toBe(401);
      expect((await h.get(url, h.tokens.gateway)).statusCode).toBe(401);
      for (const token of [h.tokens.admin, h.tokens.technician, h.tokens.energi, h.tokens.affald]) expect((await h.get(url, token)).statusCode).toBe(200);
    }
  });

  it('shows, and documents, every field the gateway-health table keeps (what the removed /api/v1/gateway-health listed)', async () => {
    const h = await queryHarness({ now: NOW });
    const everyField = {
      uptimeS: 86_400, queueDepth: 12, queueOldestAgeS: 40, queueDroppedTotal: 2, deadLetters: 1, uplinksTotal: 900,
      recordsTotal: 880, sourcesConnected: 2, sourcesTotal: 3, devicesConfigured: 40, softwareVersion: '0.2.0',
    };
    const ingest = await h.app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { authorization: `Bearer ${h.tokens.gateway}`, 'content-type': 'application/json' },
      payload: { gatewayId: 'gw-a', records: [record('gateway-heartbeat/1', ago(30), { deviceId: 'gw-a', delayS: 0 }, everyField)] },
    });
    expect(ingest.statusCode).toBe(200);

    const { kommune: _kommune, gatewayId: _gatewayId, ...stored } = h.services.repositories.gatewayHealth.get('0751', 'gw-a')!;
    expect(stored).toMatchObject({ ...everyField, recordsStoredTotal: 1, lastContactAt: NOW });
    const shown = (await h.get('/api/v1/gateways/gw-a/health', h.tokens.technician)).json();
    expect(shown.health).toEqual(stored);
    expect((await h.get('/api/v1/gateways/health', h.tokens.technician)).json()).toEqual([shown]);
    expect(Object.keys(gatewayHealthView.shape.health.unwrap().shape).sort()).toEqual(Object.keys(stored).sort());
    expect((await h.get('/api/v1/gateway-health', h.tokens.admin)).statusCode).toBe(404);
  });

  it('takes other thresholds', async () => {
    const h = await queryHarness({ now: NOW, thresholds: { gatewayLateAfterS: 10, gatewayOfflineAfterS: 100 } });
    await gateways(h);
    expect((await h.get('/api/v1/gateways/gw-a/health')).json().state).toBe('late');
    expect((await h.get('/api/v1/gateways/gw-b/health')).json().state).toBe('offline');
  });

  it('judges by the documented rules', () => {
    const t = defaultHealthThresholds;
    const now = new Date(NOW);
    const health = (contact: number, heartbeat: number | null) =>
      ({ lastContactAt: ago(contact), lastHeartbeatAt: heartbeat === null ? null : ago(heartbeat) }) as Parameters<typeof gatewayState>[0];
    expect(gatewayState(undefined, now, t).state).toBe('never-seen');
    expect(gatewayState(health(600, null), now, t).state).toBe('online');
    expect(gatewayState(health(601, null), now, t).state).toBe('late');
    expect(gatewayState(health(3600, 3600), now, t).state).toBe('late');
    expect(gatewayState(health(3601, 60), now, t).state).toBe('offline');
    expect(gatewayState(health(5, 601), now, t).state).toBe('late');
    // A gateway clock ahead of the cloud's gives a negative heartbeat age, not a late gateway.
    expect(gatewayState(health(5, -120), now, t)).toEqual({ state: 'online', contactAgeS: 5, heartbeatAgeS: -120 });
    expect(deviceState(undefined, now, t)).toBe('never-seen');
    expect(deviceState(ago(25 * hours), now, t)).toBe('online');
    expect(deviceState(ago(25 * hours + 1), now, t)).toBe('late');
    expect(deviceState(ago(72 * hours + 1), now, t)).toBe('offline');
  });
});

describe('query API: device health', () => {
  /**
   * d1 on meter m1 reported an hour ago; d2 on container c1 30 h ago (suspect, heard by another
   * gateway); d3 on c2 never; d4, without an asset, 4 days ago; d5 and d6 are further sensors on
   * m1 (whose newest record is d1's): d5 reported 2 days ago, d6 5 days ago.
   */
  async function devices() {
    const h = await queryHarness({ now: NOW });
    h.put('sites', { id: 's1', name: 'Rådhuset' });
    h.put('gateways', { id: 'gw-a', name: 'Rådhus, tag', siteId: 's1' });
    h.put('gateways', { id: 'gw-b', name: 'Skolen' });
    h.put('assets', { id: 'm1', name: 'Varme', kind: 'meter', meterType: 'heat', unit: 'kWh', siteId: 's1' });
    h.put('assets', { id: 'c1', name: 'Glas', kind: 'waste-container', fraction: 'glas', volumeL: 2500 });
    h.put('assets', { id: 'c2', name: 'Rest', kind: 'waste-container', fraction: 'rest', volumeL: 660, siteId: 's1' });
    const device = (deviceKey: string, assetId: string | undefined, gatewayId: string, profile: string) =>
      h.put('devices', { deviceKey, profile, gatewayId, ...(assetId !== undefined && { assetId }) });
    device('d1', 'm1', 'gw-a', 'elvaco-cmi4110');
    device('d2', 'c1', 'gw-b', 'milesight-em310-udl');
    device('d3', 'c2', 'gw-a', 'milesight-em310-udl');
    device('d4', undefined, 'gw-b', 'dragino-ldds75');
    device('d5', 'm1', 'gw-a', 'elvaco-cmi4110');
    device('d6', 'm1', 'gw-a', 'elvaco-cmi4110');
    h.put('devices', { deviceKey: 'k1', profile: 'dragino-ldds75' }, '0101');
    const heat = (energyKWh: number) => ({ meterType: 'heat', energyKWh });
    await h.write([
      record('meter-reading/1', ago(hours + 2), { deviceId: 'd1', assetId: 'm1', device: { batteryPercent: 87, rssiDbm: -97, snrDb: 7.5 } }, heat(1200)),
      record('meter-reading/1', ago(3 * hours), { deviceId: 'd1', assetId: 'm1' }, heat(1100)),
      record('fill-level/1', ago(30 * hours + 2), { deviceId: 'd2', assetId: 'c1', gatewayId: 'gw-a', quality: 'suspect', device: { batteryV: 3.1 } }, {
        distanceMm: 90_000,
        qualityFlags: ['out-of-range:distanceMm'],
      }),
      record('fill-level/1', ago(4 * 24 * hours + 2), { deviceId: 'd4', gatewayId: 'gw-b' }, { distanceMm: 640 }),
      record('meter-reading/1', ago(48 * hours + 2), { deviceId: 'd5', assetId: 'm1', device: { rssiDbm: -110 } }, heat(900)),
      record('meter-reading/1', ago(5 * 24 * hours + 2), { deviceId: 'd6', assetId: 'm1' }, heat(800)),
      record('fill-level/1', ago(60), { kommune: '0101', deviceId: 'k1' }, { distanceMm: 10 }),
      record('gateway-heartbeat/1', ago(60), { deviceId: 'gw-a' }, { queueDepth: 0 }),
    ]);
    return h;
  }

  it('joins every registered device with its newest record; never-seen devices are listed as such', async () => {
    const h = await devices();
    const answer = await h.get('/api/v1/devices/health');
    expect(answer.statusCode).toBe(200);
    const { devices: views, next } = answer.json() as { devices: Record<string, unknown>[]; next: string | null };
    expect(next).toBeNull();
    expect(views.map((view) => [view.deviceKey, view.state, view.lastSeenAt])).toEqual([
      ['d1', 'online', ago(hours)],
      ['d2', 'late', ago(30 * hours)],
      ['d3', 'never-seen', null],
      ['d4', 'offline', ago(4 * 24 * hours)],
      ['d5', 'late', ago(48 * hours)],
      ['d6', 'offline', null],
    ]);
    expect(views[0]).toEqual({
      deviceKey: 'd1',
      profile: 'elvaco-cmi4110',
      assetId: 'm1',
      siteId: 's1',
      gatewayId: 'gw-a',
      state: 'online',
      lastSeenAt: ago(hours),
      ageS: hours,
      observedAt: ago(hours + 2),
      standard: 'meter-reading/1',
      quality: 'good',
      qualityFlags: [],
      batteryPercent: 87,
      batteryV: null,
      rssiDbm: -97,
      snrDb: 7.5,
      heardByGatewayId: 'gw-a',
    });
    expect(views[1]).toMatchObject({ quality: 'suspect', qualityFlags: ['out-of-range:distanceMm'], batteryV: 3.1, gatewayId: 'gw-b', heardByGatewayId: 'gw-a', siteId: null });
    expect(views[2]).toMatchObject({ siteId: 's1', ageS: null, standard: null, quality: null, rssiDbm: null, heardByGatewayId: null });
    expect(views[4]).toMatchObject({ rssiDbm: -110, ageS: 48 * hours });
    expect((await h.get('/api/v1/devices/health', h.tokens.kbh)).json()).toMatchObject({ devices: [{ deviceKey: 'k1', state: 'online' }], next: null });
  });

  it('filters by gateway, site and state, and pages by deviceKey', async () => {
    const h = await devices();
    const keys = async (query: string) => {
      const answer = await h.get(`/api/v1/devices/health?${query}`);
      expect(answer.statusCode, query).toBe(200);
      const body = answer.json() as { devices: { deviceKey: string }[]; next: string | null };
      return [body.devices.map((view) => view.deviceKey), body.next];
    };
    expect(await keys('gatewayId=gw-b')).toEqual([['d2', 'd4'], null]);
    expect(await keys('siteId=s1')).toEqual([['d1', 'd3', 'd5', 'd6'], null]);
    expect(await keys('state=never-seen')).toEqual([['d3'], null]);
    expect(await keys('state=offline&gatewayId=gw-a')).toEqual([['d6'], null]);
    expect(await keys('limit=2')).toEqual([['d1', 'd2'], 'd2']);
    expect(await keys('limit=2&afterId=d2')).toEqual([['d3', 'd4'], 'd4']);
    expect(await keys('limit=2&afterId=d4')).toEqual([['d5', 'd6'], null]);
    expect(await keys('state=late&limit=1')).toEqual([['d2'], 'd2']);
    expect(await keys('state=late&limit=1&afterId=d2')).toEqual([['d5'], null]);
    for (const [query, field] of [
      ['limit=0', 'query.limit'],
      ['state=dead', 'query.state'],
      ['afterId=', 'query.afterId'],
      ['gateway=gw-a', 'query'],
    ] as const) {
      const answer = await h.get(`/api/v1/devices/health?${query}`);
      expect(answer.statusCode, query).toBe(400);
      expect(answer.json().error, query).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    }
  });

  it('sees a device again once it reports', async () => {
    const h = await devices();
    await h.write([record('fill-level/1', hoursAfter(NOW, -0.5), { deviceId: 'd3', assetId: 'c2', device: { batteryPercent: 99 } }, { distanceMm: 1200 })]);
    expect((await h.get('/api/v1/devices/health?state=never-seen')).json().devices).toEqual([]);
    expect((await h.get('/api/v1/devices/health?siteId=s1&limit=2')).json().devices[1]).toMatchObject({ deviceKey: 'd3', state: 'online', batteryPercent: 99 });
  });
});
