import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { requireRole } from '../../../cloud/src/api/auth/require-role.js';
import { hashPassword, needsRehash, verifyPassword } from '../../../cloud/src/auth/password-hash.js';
import { startEmptyTestCloud, type TestCloudOptions } from '../../support/cloud-app.js';

/** Login, sessions, the session cookie, CSRF, requireRole: the real app over app.inject. */

const PASSWORD = 'korrekt hest batteri hæfteklamme';
const fastScrypt = { N: 1024, r: 8, p: 1, keyLength: 32 };

async function setup(options: NonNullable<TestCloudOptions['app']> = {}) {
  const clock = { now: new Date('2026-03-02T10:00:00.000Z') };
  const { app, services, logs } = await startEmptyTestCloud({ name: 'cloud-auth', logLevel: 'debug', app: { clock: () => new Date(clock.now), ...options } });
  const admin = await services.users.create({ kommune: '0751', email: 'Admin@Aarhus.dk', name: 'Anne Admin', password: PASSWORD, roles: ['admin'] });
  const tech = await services.users.create({ kommune: '0751', email: 'tekniker@aarhus.dk', name: 'Tom Tekniker', password: PASSWORD, roles: ['technician'] });
  return { app, services, logs, clock, admin, tech };
}

type Harness = Awaited<ReturnType<typeof setup>>;

function login(h: Harness, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return h.app.inject({ method: 'POST', url: '/api/v1/login', payload: body, headers });
}

function sessionCookieOf(response: { headers: Record<string, unknown> }): string {
  const header = response.headers['set-cookie'];
  const first = Array.isArray(header) ? String(header[0]) : String(header);
  return first.split(';')[0]!;
}

async function loggedIn(h: Harness, email = 'admin@aarhus.dk') {
  const response = await login(h, { email, password: PASSWORD, kommune: '0751' });
  expect(response.statusCode).toBe(200);
  return sessionCookieOf(response);
}

const audit = (h: Harness, action: string) => h.services.repositories.audit.list('0751', { afterSeq: 0, limit: 1000 }).filter((entry) => entry.action === action);

describe('login, me, logout', () => {
  it('logs in with e-mail (any case), password and kommune; /me answers the user, kommune and roles', async () => {
    const h = await setup();
    const response = await login(h, { email: ' ADMIN@aarhus.dk ', password: PASSWORD, kommune: '0751' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ kind: 'user', kommune: '0751', roles: ['admin'], user: { id: h.admin.id, email: 'admin@aarhus.dk', name: 'Anne Admin' } });
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: sessionCookieOf(response) } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'user', kommune: '0751', roles: ['admin'], user: { id: h.admin.id } });
    expect(audit(h, 'login.succeeded')).toEqual([expect.objectContaining({ actor: `user:${h.admin.id}`, remoteAddress: '127.0.0.1' })]);
  });

  it('answers the same generic 401 to a wrong password, an unknown e-mail and a kommune without a role, and audits each', async () => {
    const h = await setup();
    const answers = [
      await login(h, { email: 'admin@aarhus.dk', password: 'wrong password!', kommune: '0751' }),
      await login(h, { email: 'nobody@aarhus.dk', password: PASSWORD, kommune: '0751' }),
      await login(h, { email: 'admin@aarhus.dk', password: PASSWORD, kommune: '0101' }),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(401);
      expect(answer.json()).toEqual({ error: 'invalid credentials' });
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
    const failed = audit(h, 'login.failed');
    expect(failed.map((entry) => entry.target)).toEqual(['email:admin@aarhus.dk', 'email:nobody@aarhus.dk']);
    expect(failed[0]).toMatchObject({ actor: 'anonymous', remoteAddress: '127.0.0.1', detail: { provider: 'password' } });
    expect(h.services.repositories.audit.list('0101')).toEqual([expect.objectContaining({ action: 'login.failed', target: 'email:admin@aarhus.dk' })]);
    for (const entry of [...failed, ...h.services.repositories.audit.list('0101')]) expect(JSON.stringify(entry)).not.toContain('wrong password');
    for (const line of h.logs) expect(line).not.toContain(PASSWORD);
  });

  it('answers 400 naming the field of a malformed login', async () => {
    const h = await setup();
    const response = await login(h, { email: 'admin@aarhus.dk', password: PASSWORD, kommune: '751' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/^kommune: /);
  });

  it('rate-limits login attempts per client address with 429', async () => {
    const h = await setup({ loginRatePerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await login(h, { email: 'x@y.dk', password: 'wrong password', kommune: '0751' })).statusCode).toBe(401);
    const limited = await login(h, { email: 'admin@aarhus.dk', password: PASSWORD, kommune: '0751' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('logout ends the session: the cookie no longer works and is cleared', async () => {
    const h = await setup();
    const cookie = await loggedIn(h);
    const logout = await h.app.inject({ method: 'POST', url: '/api/v1/logout', headers: { cookie, origin: 'http://localhost' } });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/sensorbro_session=;.*Expires=Thu, 01 Jan 1970/);
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.statusCode).toBe(401);
    expect(audit(h, 'logout')).toHaveLength(1);
  });

  it('a login starts a new session and ends the one the browser still had; no session secret is logged', async () => {
    const h = await setup();
    const before = await loggedIn(h);
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { email: 'admin@aarhus.dk', password: PASSWORD, kommune: '0751' }, headers: { cookie: before, origin: 'http://localhost' } });
    const after = sessionCookieOf(again);
    expect(after).not.toBe(before);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: before } })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: after } })).statusCode).toBe(200);
    for (const cookie of [before, after]) {
      const secret = cookie.split('=')[1]!.split('.')[0]!;
      for (const line of h.logs) expect(line).not.toContain(secret);
    }
  });

  it('/me without a session is 401; with an API token it answers the token and its roles', async () => {
    const h = await setup();
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    const api = h.services.apiTokens.issue('0751', { name: 'bi', roles: ['energi'] });
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${api.token}` } });
    expect(me.json()).toEqual({ kind: 'api-token', kommune: '0751', roles: ['energi'], tokenId: api.id });
  });
});

describe('sessions', () => {
  it('the cookie is HttpOnly, SameSite=Lax, signed, Path=/, and Secure except on plain-http localhost', async () => {
    const h = await setup();
    const local = await login(h, { email: 'admin@aarhus.dk', password: PASSWORD, kommune: '0751' });
    const localCookie = String(local.headers['set-cookie']);
    expect(localCookie).toMatch(/^sensorbro_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/_-]+;/);
    expect(localCookie).toContain('HttpOnly');
    expect(localCookie).toContain('SameSite=Lax');
    expect(localCookie).toContain('Path=/');
    expect(localCookie).toContain('Max-Age=43200');
    expect(localCookie).not.toContain('Secure');

    const remote = await login(h, { email: 'admin@aarhus.dk', password: PASSWORD, kommune: '0751' }, { host: 'sensorbro.aarhus.dk' });
    const remoteCookie = String(remote.headers['set-cookie']);
    expect(remoteCookie).toContain('Secure');
    expect(remoteCookie).toContain('HttpOnly');
    expect(remoteCookie).toContain('SameSite=Lax');
  });

  it('a cookie with a forged signature or a made-up session gives no session', async () => {
    const h = await setup();
    const cookie = await loggedIn(h);
    const [name, value] = cookie.split('=') as [string, string];
    const [secret] = value.split('.');
    for (const forged of [`${name}=${secret}`, `${name}=${secret}.AAAA`, `${name}=${'A'.repeat(43)}.${value.split('.')[1]}`]) {
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: forged } })).statusCode).toBe(401);
    }
  });

  it('a session ends after the idle time and after its absolute lifetime', async () => {
    const h = await setup({ session: { idleMs: 30 * 60_000, ttlMs: 3 * 3600_000 } });
    const cookie = await loggedIn(h);
    const me = () => h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    for (let minutes = 20; minutes <= 160; minutes += 20) {
      h.clock.now = new Date(Date.parse('2026-03-02T10:00:00.000Z') + minutes * 60_000);
      expect((await me()).statusCode).toBe(200);
    }
    h.clock.now = new Date('2026-03-02T13:00:00.000Z');
    expect((await me()).statusCode).toBe(401);

    h.clock.now = new Date('2026-03-02T14:00:00.000Z');
    const idle = await loggedIn(h);
    h.clock.now = new Date('2026-03-02T14:31:00.000Z');
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: idle } })).statusCode).toBe(401);
  });

  it('roles are read at each request: a role taken away applies at once', async () => {
    const h = await setup();
    const cookie = await loggedIn(h, 'tekniker@aarhus.dk');
    h.services.repositories.users.setRoles(h.tech.id, '0751', ['affald']);
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.json().roles).toEqual(['affald']);
    h.services.repositories.users.setRoles(h.tech.id, '0751', []);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('stores sessions by the hash of their id only', async () => {
    const h = await setup();
    const cookie = await loggedIn(h);
    const secret = cookie.split('=')[1]!.split('.')[0]!;
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(h.services.repositories.sessions.get(secret)).toBeUndefined();
    const stored = h.services.repositories.sessions.get(createHash('sha256').update(secret).digest('hex'));
    expect(stored).toMatchObject({ userId: h.admin.id, kommune: '0751', provider: 'password', expiresAt: '2026-03-02T22:00:00.000Z' });
  });
});

describe('CSRF: same-origin check on cookie-authenticated changes', () => {
  const issue = (h: Harness, headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/gateway-tokens', payload: { gatewayId: 'gw-1' }, headers });

  it('refuses a cookie-authenticated POST without Origin or from another origin with 403; takes the own origin', async () => {
    const h = await setup();
    const cookie = await loggedIn(h);
    const missing = await issue(h, { cookie });
    expect(missing.statusCode).toBe(403);
    expect(missing.json()).toEqual({ error: 'cross-origin request refused' });
    expect((await issue(h, { cookie, origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await issue(h, { cookie, origin: 'null' })).statusCode).toBe(403);
    expect((await issue(h, { cookie, origin: 'http://localhost:8081' })).statusCode).toBe(403);
    expect((await issue(h, { cookie, origin: 'http://localhost' })).statusCode).toBe(201);
    expect(h.services.gatewayTokens.list('0751')).toHaveLength(1);
  });

  it('with configured public origins, takes only those (behind a proxy that rewrites Host)', async () => {
    const h = await setup({ publicOrigins: ['https://sensorbro.aarhus.dk/'] });
    const cookie = await loggedIn(h);
    expect((await issue(h, { cookie, origin: 'http://localhost' })).statusCode).toBe(403);
    expect((await issue(h, { cookie, origin: 'https://sensorbro.aarhus.dk' })).statusCode).toBe(201);
  });

  it('needs no Origin for a GET, nor for a request authenticated by an API token', async () => {
    const h = await setup();
    const cookie = await loggedIn(h);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/gateway-tokens', headers: { cookie } })).statusCode).toBe(200);
    const api = h.services.apiTokens.issue('0751', { name: 'provisioning', roles: ['admin'] });
    expect((await issue(h, { authorization: `Bearer ${api.token}` })).statusCode).toBe(201);
  });

  it('refuses a login posted from another origin (login CSRF)', async () => {
    const h = await setup();
    const response = await login(h, { email: 'admin@aarhus.dk', password: PASSWORD, kommune: '0751' }, { origin: 'https://evil.example' });
    expect(response.statusCode).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a logout from another origin (the session stays)', async () => {
    const h = await setup();
    const cookie = await loggedIn(h);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/logout', headers: { cookie, origin: 'https://evil.example' } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);
  });
});

describe('requireRole', () => {
  it('answers 401 without a principal, 403 without the role, and lets the role through (cookie or API token)', async () => {
    const h = await setup();
    const get = (headers: Record<string, string>) => h.app.inject({ method: 'GET', url: '/api/v1/audit', headers });
    expect((await get({})).statusCode).toBe(401);
    expect((await get({ cookie: await loggedIn(h, 'tekniker@aarhus.dk') })).statusCode).toBe(403);
    expect((await get({ cookie: await loggedIn(h) })).statusCode).toBe(200);
    const energi = h.services.apiTokens.issue('0751', { name: 'energi', roles: ['energi'] });
    const admin = h.services.apiTokens.issue('0751', { name: 'admin', roles: ['admin'] });
    expect((await get({ authorization: `Bearer ${energi.token}` })).statusCode).toBe(403);
    expect((await get({ authorization: `Bearer ${admin.token}` })).statusCode).toBe(200);
  });

  it('as a preHandler on any route: any of the named roles passes; a gateway never does', async () => {
    const app = Fastify();
    onTestFinished(() => app.close());
    app.addHook('onRequest', async (request) => {
      const who = request.headers['x-who'];
      if (who === 'gateway') request.principal = { kind: 'gateway', gatewayId: 'gw', kommune: '0751', tokenId: 't' };
      else if (typeof who === 'string') request.principal = { kind: 'user', userId: 'u', kommune: '0751', roles: who.split(',') as never, sessionId: 's' };
    });
    app.get('/energy', { preHandler: requireRole('energi', 'admin') }, async () => ({ ok: true }));
    const status = async (who?: string) => (await app.inject({ url: '/energy', headers: who ? { 'x-who': who } : {} })).statusCode;
    expect(await status()).toBe(401);
    expect(await status('gateway')).toBe(403);
    expect(await status('affald,technician')).toBe(403);
    expect(await status('energi')).toBe(200);
    expect(await status('technician,admin')).toBe(200);
  });
});

describe('password hashes', () => {
  it('are scrypt with a salt per hash and the parameters stored; a weaker hash is replaced at login', async () => {
    const first = await hashPassword(PASSWORD, fastScrypt);
    const second = await hashPassword(PASSWORD, fastScrypt);
    expect(first).toMatch(/^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword(PASSWORD, first)).toBe(true);
    expect(await verifyPassword(`${PASSWORD} `, first)).toBe(false);
    expect(await verifyPassword(PASSWORD, 'scrypt$garbage')).toBe(false);
    expect(needsRehash(first, { ...fastScrypt, N: 2048 })).toBe(true);
    expect(needsRehash(first, fastScrypt)).toBe(false);

    const h = await setup({ scryptParams: { ...fastScrypt, N: 2048 } });
    h.services.repositories.users.setPasswordHash(h.admin.id, first);
    await loggedIn(h);
    expect(h.services.repositories.users.getById(h.admin.id)!.passwordHash).toMatch(/^scrypt\$N=2048,/);
  });
});
