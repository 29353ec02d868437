import { describe, expect, it } from 'vitest';
import { startTestCloud } from '../../support/cloud-app.js';

/** The audit log: what is written for logins, users and tokens, and who may read it. */

const PASSWORD = 'en lang adgangskode';

async function setup() {
  const { app, services, database } = await startTestCloud({ name: 'cloud-audit' });
  const admin = await services.users.create({ kommune: '0751', email: 'admin@aarhus.dk', name: 'Admin', password: PASSWORD, roles: ['admin'] });
  return { app, services, database, admin };
}

describe('audit log', () => {
  it('records logins, failed logins, user and token changes with actor, target and remote address, never a secret', async () => {
    const h = await setup();
    await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { email: 'admin@aarhus.dk', password: 'forkert kode!', kommune: '0751' } });
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { email: 'admin@aarhus.dk', password: PASSWORD, kommune: '0751' } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const headers = { cookie, origin: 'http://localhost' };
    const gateway = (await h.app.inject({ method: 'POST', url: '/api/v1/gateway-tokens', headers, payload: { gatewayId: 'gw-1' } })).json();
    await h.app.inject({ method: 'POST', url: '/api/v1/gateway-tokens', headers, payload: { gatewayId: 'gw-1' } });
    const api = (await h.app.inject({ method: 'POST', url: '/api/v1/api-tokens', headers, payload: { name: 'bi', roles: ['energi'] } })).json();
    await h.app.inject({ method: 'DELETE', url: `/api/v1/api-tokens/${api.id}`, headers });
    await h.app.inject({ method: 'DELETE', url: `/api/v1/gateway-tokens/${gateway.id}`, headers });
    await h.app.inject({ method: 'POST', url: '/api/v1/users', headers, payload: { email: 'ny@aarhus.dk', name: 'Ny', password: 'lang nok kode 123', roles: ['affald'] } });
    await h.app.inject({ method: 'POST', url: '/api/v1/logout', headers });

    const entries = h.services.repositories.audit.list('0751', { afterSeq: 0 });
    const actor = `user:${h.admin.id}`;
    expect(entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['login.failed', 'anonymous'],
      ['login.succeeded', actor],
      ['gateway-token.issued', actor],
      ['gateway-token.rotated', actor],
      ['api-token.created', actor],
      ['api-token.revoked', actor],
      ['gateway-token.revoked', actor],
      ['user.created', actor],
      ['logout', actor],
    ]);
    for (const entry of entries) expect(entry.remoteAddress).toBe('127.0.0.1');
    expect(entries[2]).toMatchObject({ target: 'gateway:gw-1', detail: { tokenId: gateway.id, rotatedFrom: null } });
    expect(entries[7]).toMatchObject({ detail: { email: 'ny@aarhus.dk', roles: ['affald'] } });
    const everything = JSON.stringify(h.database.db.prepare('SELECT * FROM audit_log').all());
    for (const secret of [PASSWORD, 'forkert kode', 'lang nok kode', gateway.token.slice(-43), api.token.slice(-43), cookie.split('=')[1]!.split('.')[0]!]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('is read by the kommune’s admins, newest first or following after a seq; never another kommune’s', async () => {
    const h = await setup();
    const admin = h.services.apiTokens.issue('0751', { name: 'admin', roles: ['admin'] });
    const kbh = h.services.apiTokens.issue('0101', { name: 'kbh', roles: ['admin'] });
    const tech = h.services.apiTokens.issue('0751', { name: 'tech', roles: ['technician'] });
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    for (const gatewayId of ['gw-1', 'gw-2', 'gw-3']) {
      await h.app.inject({ method: 'POST', url: '/api/v1/gateway-tokens', headers: auth(admin.token), payload: { gatewayId } });
    }
    const newest = (await h.app.inject({ url: '/api/v1/audit?limit=2', headers: auth(admin.token) })).json();
    expect(newest.map((entry: { target: string }) => entry.target)).toEqual(['gateway:gw-3', 'gateway:gw-2']);
    const following = (await h.app.inject({ url: `/api/v1/audit?after=${newest[1].seq}`, headers: auth(admin.token) })).json();
    expect(following.map((entry: { target: string }) => entry.target)).toEqual(['gateway:gw-3']);
    expect((await h.app.inject({ url: '/api/v1/audit', headers: auth(kbh.token) })).json()).toEqual([]);
    expect((await h.app.inject({ url: '/api/v1/audit', headers: auth(tech.token) })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/api/v1/audit?limit=0', headers: auth(admin.token) })).json().error).toMatch(/^query\.limit: /);
  });
});
