import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import { INGEST_PATH, ingestResponse, type SensorRecord } from '../../../standards/src/index.js';
import { startEmptyTestCloud, type EmptyTestCloud, type TestCloudOptions } from '../../support/cloud-app.js';
import { makeTestRecords } from '../../support/memory-queue.js';

/** The cloud's ingest route over app.inject: real app, real database and SQLite time-series store in a temp dir. */

interface Harness extends Pick<EmptyTestCloud, 'app' | 'services' | 'store' | 'logs'> {
  clock: { now: Date };
  /** A token for gateway gw-test of kommune 0751. */
  token: string;
}

async function setup(options: NonNullable<TestCloudOptions['app']> = {}): Promise<Harness> {
  const clock = { now: new Date('2026-03-02T10:00:00.000Z') };
  const { app, services, store, logs } = await startEmptyTestCloud({ name: 'cloud-ingest', logLevel: 'debug', app: { clock: () => new Date(clock.now), ...options } });
  const { token } = services.gatewayTokens.issue('0751', 'gw-test');
  return { app, services, store, logs, clock, token };
}

function post(h: Harness, body: unknown, options: { token?: string | null; gzip?: boolean; headers?: Record<string, string> } = {}) {
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  const gzip = options.gzip ?? true;
  const token = options.token === undefined ? h.token : options.token;
  return h.app.inject({
    method: 'POST',
    url: INGEST_PATH,
    headers: {
      'content-type': 'application/json',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      ...options.headers,
    },
    payload: gzip ? gzipSync(json) : json,
  });
}

/** Every record in the store, of both kommuner, in time order. */
async function stored(h: Harness): Promise<SensorRecord[]> {
  const records: SensorRecord[] = [];
  for (const kommune of ['0751', '0101']) {
    for await (const record of h.store.raw({ kommune, from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' })) records.push(record);
  }
  return records;
}

function heartbeat(observedAt: string, fields: Record<string, unknown>): SensorRecord {
  return {
    id: newRecordId(),
    standard: 'gateway-heartbeat/1',
    kommune: '0751',
    deviceId: 'gw-test',
    gatewayId: 'gw-test',
    observedAt,
    receivedAt: observedAt,
    quality: 'good',
    ...fields,
  } as SensorRecord;
}

describe('ingest: a gateway delivers records', () => {
  it('stores a gzip batch and answers one outcome per record in the shape of the contract', async () => {
    const h = await setup();
    const records = makeTestRecords(25);
    const response = await post(h, { gatewayId: 'gw-test', records });
    expect(response.statusCode).toBe(200);
    const answer = ingestResponse.parse(response.json());
    expect(answer.results.map((r) => r.id)).toEqual(records.map((r) => r.id));
    expect(answer.results.every((r) => r.outcome === 'stored')).toBe(true);
    expect((await stored(h)).map((r) => r.id)).toEqual(records.map((r) => r.id));
  });

  it('takes an uncompressed body too', async () => {
    const h = await setup();
    const response = await post(h, { gatewayId: 'gw-test', records: makeTestRecords(2) }, { gzip: false });
    expect(response.statusCode).toBe(200);
    expect(await stored(h)).toHaveLength(2);
  });

  it('answers a replayed batch with duplicate for every record, storing nothing twice', async () => {
    const h = await setup();
    const records = makeTestRecords(10);
    await post(h, { gatewayId: 'gw-test', records });
    const replay = await post(h, { gatewayId: 'gw-test', records });
    expect(replay.statusCode).toBe(200);
    expect(ingestResponse.parse(replay.json()).results.map((r) => r.outcome)).toEqual(Array(10).fill('duplicate'));
    expect(await stored(h)).toHaveLength(10);
  });

  it('answers a second record with the same id in one request as duplicate', async () => {
    const h = await setup();
    const [record] = makeTestRecords(1);
    const response = await post(h, { gatewayId: 'gw-test', records: [record, record] });
    expect(ingestResponse.parse(response.json()).results.map((r) => r.outcome)).toEqual(['stored', 'duplicate']);
  });

  it("rejects records of another kommune than the gateway's, with the reason, and stores the rest", async () => {
    const h = await setup();
    const records = makeTestRecords(3, { overrides: (i) => (i === 1 ? { kommune: '0101' } : undefined) });
    const response = await post(h, { gatewayId: 'gw-test', records });
    expect(response.statusCode).toBe(200);
    const results = ingestResponse.parse(response.json()).results;
    expect(results.map((r) => r.outcome)).toEqual(['stored', 'rejected', 'stored']);
    expect(results[1]!.reason).toMatch(/^kommune: .*0751/);
    expect((await stored(h)).map((r) => r.kommune)).toEqual(['0751', '0751']);
  });

  it('rejects a record naming another gateway', async () => {
    const h = await setup();
    const records = makeTestRecords(1, { gatewayId: 'gw-other' });
    const results = ingestResponse.parse((await post(h, { gatewayId: 'gw-test', records })).json()).results;
    expect(results[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^gatewayId: /) });
    expect(await stored(h)).toHaveLength(0);
  });

  it('rejects records invalid for their standard with the reason naming the field', async () => {
    const h = await setup();
    const records = makeTestRecords(3, {
      overrides: (i) => (i === 0 ? { distanceMm: 'far' } : i === 1 ? { standard: 'no-such/1' } : undefined),
    });
    const results = ingestResponse.parse((await post(h, { gatewayId: 'gw-test', records })).json()).results;
    expect(results.map((r) => r.outcome)).toEqual(['rejected', 'rejected', 'stored']);
    expect(results[0]!.reason).toMatch(/^distanceMm: /);
    expect(results[1]!.reason).toMatch(/^standard: /);
    expect(results[0]!.id).toBe(records[0]!.id);
  });

  it('keeps the health of the gateway from its heartbeats; an older heartbeat arriving late does not replace a newer one', async () => {
    const h = await setup();
    const newer = heartbeat('2026-03-02T09:59:00.000Z', { queueDepth: 12, deadLetters: 1, uptimeS: 3600, softwareVersion: '0.1.0' });
    const older = heartbeat('2026-03-02T09:00:00Z', { queueDepth: 9000 });
    await post(h, { gatewayId: 'gw-test', records: [newer, ...makeTestRecords(2)] });
    await post(h, { gatewayId: 'gw-test', records: [older] });
    const health = h.services.repositories.gatewayHealth.get('0751', 'gw-test');
    expect(health).toMatchObject({
      lastContactAt: '2026-03-02T10:00:00.000Z',
      lastHeartbeatAt: '2026-03-02T09:59:00.000Z',
      heartbeatReceivedAt: '2026-03-02T10:00:00.000Z',
      queueDepth: 12,
      deadLetters: 1,
      uptimeS: 3600,
      softwareVersion: '0.1.0',
      recordsStoredTotal: 4,
      recordsDuplicateTotal: 0,
      recordsRejectedTotal: 0,
    });
    expect((await stored(h)).filter((r) => r.standard === 'gateway-heartbeat/1')).toHaveLength(2);
  });

  it('answers 503 with Retry-After when the store fails, so the gateway sends the batch again', async () => {
    const h = await setup();
    await h.store.close();
    const response = await post(h, { gatewayId: 'gw-test', records: makeTestRecords(2) });
    expect(response.statusCode).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.json()).toEqual({ error: 'store unavailable, retry later' });
  });
});

describe('ingest: gateway tokens', () => {
  it('answers 401 with nothing but "unauthorized" to a missing, malformed, unknown or wrong token', async () => {
    const h = await setup();
    const body = { gatewayId: 'gw-test', records: makeTestRecords(1) };
    const [, id] = h.token.split('_');
    const wrongSecret = `sbg_${id}_${'A'.repeat(43)}`;
    const unknownId = `sbg_0123456789abcdef_${h.token.slice(-43)}`;
    const answers = await Promise.all([
      post(h, body, { token: null }),
      post(h, body, { token: 'nonsense' }),
      post(h, body, { token: wrongSecret }),
      post(h, body, { token: unknownId }),
      post(h, body, { headers: { authorization: `Basic ${Buffer.from(`x:${h.token}`).toString('base64')}` } }),
    ]);
    for (const answer of answers) {
      expect(answer.statusCode).toBe(401);
      expect(answer.json()).toEqual({ error: 'unauthorized' });
    }
    expect(await stored(h)).toEqual([]);
    for (const line of h.logs) expect(line).not.toContain(h.token.slice(-43));
  });

  it('refuses a revoked token with the same 401', async () => {
    const h = await setup();
    const [, id] = h.token.split('_');
    expect(h.services.gatewayTokens.revoke('0751', id!)).toBe(true);
    const response = await post(h, { gatewayId: 'gw-test', records: makeTestRecords(1) });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'unauthorized' });
  });

  it('after a rotation takes the new token at once and the old one until the grace period ends', async () => {
    const h = await setup();
    const rotated = h.services.gatewayTokens.issue('0751', 'gw-test', { graceMs: 3600_000 });
    expect(rotated.rotatedFrom).toBe(h.token.split('_')[1]);
    expect(rotated.previousValidUntil).toBe('2026-03-02T11:00:00.000Z');
    const body = () => ({ gatewayId: 'gw-test', records: makeTestRecords(1) });
    expect((await post(h, body(), { token: rotated.token })).statusCode).toBe(200);
    expect((await post(h, body(), { token: h.token })).statusCode).toBe(200);

    h.clock.now = new Date('2026-03-02T11:00:00.000Z');
    expect((await post(h, body(), { token: h.token })).statusCode).toBe(401);
    expect((await post(h, body(), { token: rotated.token })).statusCode).toBe(200);
    const old = h.services.gatewayTokens.list('0751', 'gw-test').find((token) => token.id === rotated.rotatedFrom);
    expect(old).toMatchObject({ active: false, revokedAt: '2026-03-02T11:00:00.000Z' });
  });

  it('answers 403 when the body names another gateway than the token', async () => {
    const h = await setup();
    const response = await post(h, { gatewayId: 'gw-other', records: makeTestRecords(1, { gatewayId: 'gw-other' }) });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatch(/^gatewayId: /);
    expect(await stored(h)).toEqual([]);
  });

  it('takes no API token and no session on the ingest route, and no gateway token elsewhere', async () => {
    const h = await setup();
    const api = h.services.apiTokens.issue('0751', { name: 'integration', roles: ['admin'] });
    expect((await post(h, { gatewayId: 'gw-test', records: [] }, { token: api.token })).statusCode).toBe(401);
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${h.token}` } });
    expect(me.statusCode).toBe(401);
  });

  it('limits requests per token with 429 and Retry-After; other tokens are not affected', async () => {
    const h = await setup({ ingest: { requestsPerMinute: 3 } });
    const other = h.services.gatewayTokens.issue('0751', 'gw-two');
    const body = { gatewayId: 'gw-test', records: [] };
    for (let i = 0; i < 3; i++) expect((await post(h, body)).statusCode).toBe(200);
    const limited = await post(h, body);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toEqual({ error: 'too many requests' });
    expect((await post(h, { gatewayId: 'gw-two', records: [] }, { token: other.token })).statusCode).toBe(200);
  });
});

describe('ingest: the body', () => {
  it('answers 400 naming the field of a malformed envelope', async () => {
    const h = await setup();
    const noRecords = await post(h, { gatewayId: 'gw-test', records: 'none' });
    expect(noRecords.statusCode).toBe(400);
    expect(noRecords.json().error).toMatch(/^records: /);
    const noGateway = await post(h, { records: [] });
    expect(noGateway.statusCode).toBe(400);
    expect(noGateway.json().error).toMatch(/^gatewayId: /);
    const notJson = await post(h, '{"gatewayId": "gw-test", "records": [');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toEqual({ error: 'body is not JSON' });
  });

  it('answers 400 to a body that says gzip but is not', async () => {
    const h = await setup();
    const response = await post(h, '{"gatewayId":"gw-test","records":[]}', { gzip: false, headers: { 'content-encoding': 'gzip' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'body is not valid gzip' });
  });

  it('answers 415 to another content encoding or content type', async () => {
    const h = await setup();
    const brotli = await post(h, '{}', { gzip: false, headers: { 'content-encoding': 'br' } });
    expect(brotli.statusCode).toBe(415);
    const text = await post(h, '{}', { gzip: false, headers: { 'content-type': 'text/plain' } });
    expect(text.statusCode).toBe(415);
  });

  it('answers 413 to a body over the size limit on the wire', async () => {
    const h = await setup({ ingest: { maxBodyBytes: 4096 } });
    const response = await post(h, { gatewayId: 'gw-test', records: makeTestRecords(50) }, { gzip: false });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: 'body too large' });
    expect(await stored(h)).toEqual([]);
  });

  it('answers 413 to a zip bomb: a small gzip body that inflates past the limit', async () => {
    const h = await setup({ ingest: { maxJsonBytes: 1024 * 1024 } });
    const inflated = Buffer.alloc(64 * 1024 * 1024, 0x20);
    const bomb = gzipSync(inflated, { level: 9 });
    expect(bomb.length).toBeLessThan(128 * 1024);
    const response = await h.app.inject({
      method: 'POST',
      url: INGEST_PATH,
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: bomb,
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: 'body too large' });
  });

  it('answers 413 to more records than one request may carry', async () => {
    const h = await setup({ ingest: { maxRecords: 10 } });
    const response = await post(h, { gatewayId: 'gw-test', records: makeTestRecords(11) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatch(/^records: at most 10/);
  });
});
