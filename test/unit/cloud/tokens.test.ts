import { describe, expect, it } from 'vitest';
import { hashToken, parseToken } from '../../../cloud/src/auth/secret-token.js';
import { INGEST_PATH } from '../../../standards/src/index.js';
import { startEmptyTestCloud } from '../../support/cloud-app.js';

/** Gateway and API tokens: issuing (shown once), storage (hash only), rotation, revocation, over the admin API. */

async function setup() {
  const clock = { now: new Date('2026-03-02T10:00:00.000Z') };
  const { app, services, database } = await startEmptyTestCloud({ name: 'cloud-tokens', app: { clock: () => new Date(clock.now) } });
  const admin = services.apiTokens.issue('0751', { name: 'provisioning', roles: ['admin'] });
  const otherAdmin = services.apiTokens.issue('0101', { name: 'kbh', roles: ['admin'] });
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, token = admin.token) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const ingest = (token: string, gatewayId: string) =>
    app.inject({ method: 'POST', url: INGEST_PATH, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: { gatewayId, records: [] } });
  return { app, services, database, clock, admin, otherAdmin, call, ingest };
}

describe('token format and storage', () => {
  it('issues sbg_/sba_ tokens of id and 32 random bytes, and stores only their SHA-256', async () => {
    const h = await setup();
    const gateway = h.services.gatewayTokens.issue('0751', 'gw-1');
    expect(gateway.token).toMatch(/^sbg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(h.admin.token).toMatch(/^sba_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseToken(gateway.token)).toEqual({ kind: 'gateway', id: gateway.id, token: gateway.token });
    expect(parseToken(`${gateway.token}x`)).toBeUndefined();
    expect(parseToken(gateway.token.replace('sbg_', 'sbx_'))).toBeUndefined();

    const rows = h.database.db.prepare('SELECT * FROM gateway_tokens UNION ALL SELECT id, kommune, kommune, hash, created_at, created_by, expires_at, revoked_at, NULL, last_used_at FROM api_tokens').all();
    const dump = JSON.stringify(rows);
    for (const token of [gateway.token, h.admin.token]) expect(dump).not.toContain(token.slice(-43));
    expect(h.services.repositories.gatewayTokens.get(gateway.id)!.hash.equals(hashToken(gateway.token))).toBe(true);
  });
});

describe('gateway tokens over the admin API', () => {
  it('issues a token shown once, lists it without the secret, and the gateway can ingest with it', async () => {
    const h = await setup();
    const issued = await h.call('POST', '/api/v1/gateway-tokens', { gatewayId: 'gw-1' });
    expect(issued.statusCode).toBe(201);
    expect(issued.headers['cache-control']).toBe('no-store');
    const body = issued.json();
    expect(body).toMatchObject({ gatewayId: 'gw-1', rotatedFrom: null, previousValidUntil: null, token: expect.stringMatching(/^sbg_/) });
    const listed = await h.call('GET', '/api/v1/gateway-tokens');
    expect(listed.json()).toEqual([expect.objectContaining({ id: body.id, gatewayId: 'gw-1', active: true, createdBy: `api-token:${h.admin.id}` })]);
    expect(listed.body).not.toContain(body.token.slice(-43));
    expect((await h.ingest(body.token, 'gw-1')).statusCode).toBe(200);
    expect(h.services.gatewayTokens.list('0751')[0]!.lastUsedAt).toBe('2026-03-02T10:00:00.000Z');
  });

  it('rotates: a second token for the gateway, the first valid for the grace period, then revoked', async () => {
    const h = await setup();
    const first = (await h.call('POST', '/api/v1/gateway-tokens', { gatewayId: 'gw-1' })).json();
    const second = (await h.call('POST', '/api/v1/gateway-tokens', { gatewayId: 'gw-1', graceSeconds: 600 })).json();
    expect(second).toMatchObject({ rotatedFrom: first.id, previousValidUntil: '2026-03-02T10:10:00.000Z' });
    expect((await h.ingest(first.token, 'gw-1')).statusCode).toBe(200);
    expect((await h.ingest(second.token, 'gw-1')).statusCode).toBe(200);

    h.clock.now = new Date('2026-03-02T10:10:00.000Z');
    expect((await h.ingest(first.token, 'gw-1')).statusCode).toBe(401);
    expect((await h.ingest(second.token, 'gw-1')).statusCode).toBe(200);
    const listed = (await h.call('GET', '/api/v1/gateway-tokens?gatewayId=gw-1')).json();
    expect(listed).toEqual([
      expect.objectContaining({ id: first.id, active: false, expiresAt: '2026-03-02T10:10:00.000Z', revokedAt: '2026-03-02T10:10:00.000Z' }),
      expect.objectContaining({ id: second.id, active: true, rotatedFrom: first.id, revokedAt: null }),
    ]);
  });

  it('a rotation with grace 0 revokes the old token at once', async () => {
    const h = await setup();
    const first = h.services.gatewayTokens.issue('0751', 'gw-1');
    h.services.gatewayTokens.issue('0751', 'gw-1', { graceMs: 0 });
    expect((await h.ingest(first.token, 'gw-1')).statusCode).toBe(401);
  });

  it('a second rotation does not extend the grace of the first token', async () => {
    const h = await setup();
    const first = h.services.gatewayTokens.issue('0751', 'gw-1');
    h.services.gatewayTokens.issue('0751', 'gw-1', { graceMs: 600_000 });
    h.clock.now = new Date('2026-03-02T10:05:00.000Z');
    h.services.gatewayTokens.issue('0751', 'gw-1', { graceMs: 3600_000 });
    h.clock.now = new Date('2026-03-02T10:10:00.000Z');
    expect((await h.ingest(first.token, 'gw-1')).statusCode).toBe(401);
  });

  it('revokes at once; another kommune can neither see nor revoke the token', async () => {
    const h = await setup();
    const token = h.services.gatewayTokens.issue('0751', 'gw-1');
    expect((await h.call('GET', '/api/v1/gateway-tokens', undefined, h.otherAdmin.token)).json()).toEqual([]);
    expect((await h.call('DELETE', `/api/v1/gateway-tokens/${token.id}`, undefined, h.otherAdmin.token)).statusCode).toBe(404);
    expect((await h.ingest(token.token, 'gw-1')).statusCode).toBe(200);
    expect((await h.call('DELETE', `/api/v1/gateway-tokens/${token.id}`)).statusCode).toBe(204);
    expect((await h.ingest(token.token, 'gw-1')).statusCode).toBe(401);
    expect((await h.call('DELETE', `/api/v1/gateway-tokens/${token.id}`)).statusCode).toBe(404);
  });

  it('a token of a gateway of one kommune writes only that kommune', async () => {
    const h = await setup();
    const kbh = (await h.call('POST', '/api/v1/gateway-tokens', { gatewayId: 'gw-1' }, h.otherAdmin.token)).json();
    expect(h.services.gatewayTokens.verify(kbh.token)).toEqual({ kind: 'gateway', gatewayId: 'gw-1', kommune: '0101', tokenId: kbh.id });
  });

  it('answers 400 naming the field of a bad gateway id or grace', async () => {
    const h = await setup();
    expect((await h.call('POST', '/api/v1/gateway-tokens', { gatewayId: 'gw 1' })).json().error).toMatch(/^gatewayId: /);
    expect((await h.call('POST', '/api/v1/gateway-tokens', { gatewayId: 'gw-1', graceSeconds: -1 })).json().error).toMatch(/^graceSeconds: /);
    expect((await h.call('DELETE', '/api/v1/gateway-tokens/zz')).json().error).toMatch(/^params\.id: /);
  });
});

describe('API tokens over the admin API', () => {
  it('issues with roles and an expiry, lists without the secret, revokes', async () => {
    const h = await setup();
    const issued = await h.call('POST', '/api/v1/api-tokens', { name: 'Power BI', roles: ['energi', 'energi'], expiresInDays: 30 });
    expect(issued.statusCode).toBe(201);
    const body = issued.json();
    expect(body).toMatchObject({ name: 'Power BI', roles: ['energi'], expiresAt: '2026-04-01T10:00:00.000Z', active: true, token: expect.stringMatching(/^sba_/) });
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${body.token}` } });
    expect(me.json()).toMatchObject({ kind: 'api-token', roles: ['energi'] });
    const listed = await h.call('GET', '/api/v1/api-tokens');
    expect(listed.body).not.toContain(body.token.slice(-43));
    expect((await h.call('DELETE', `/api/v1/api-tokens/${body.id}`)).statusCode).toBe(204);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${body.token}` } })).statusCode).toBe(401);
  });

  it('an expired API token is refused', async () => {
    const h = await setup();
    const body = (await h.call('POST', '/api/v1/api-tokens', { name: 'short', roles: ['affald'], expiresInDays: 1 })).json();
    h.clock.now = new Date('2026-03-03T10:00:00.000Z');
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${body.token}` } })).statusCode).toBe(401);
  });

  it('only admins manage tokens', async () => {
    const h = await setup();
    const tech = h.services.apiTokens.issue('0751', { name: 'tech', roles: ['technician'] });
    expect((await h.call('POST', '/api/v1/api-tokens', { name: 'x', roles: ['admin'] }, tech.token)).statusCode).toBe(403);
    expect((await h.call('POST', '/api/v1/gateway-tokens', { gatewayId: 'gw-1' }, tech.token)).statusCode).toBe(403);
    expect((await h.call('GET', '/api/v1/api-tokens', undefined, tech.token)).statusCode).toBe(403);
  });
});
