import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCloudApp } from '../../../cloud/src/app.js';
import { requireRole } from '../../../cloud/src/api/auth/require-role.js';
import { type RunningCloud, startCloud } from '../../../cloud/src/cli/run.js';
import { CloudConfigError, loadOrCreateCookieSecret, resolveCloudConfig, storeConfigOf } from '../../../cloud/src/config.js';
import { migrate, schemaVersion } from '../../../cloud/src/db/migrate.js';
import { openCloudDatabase } from '../../../cloud/src/db/open-database.js';
import { openStore } from '../../../cloud/src/store/open-store.js';

/** The app from its configuration: config, data dir, database and migrations, bootstrap, OpenAPI, a real listen. */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-cloud-app-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const adminEnv = { SENSORBRO_ADMIN_EMAIL: 'admin@aarhus.dk', SENSORBRO_ADMIN_PASSWORD: 'første adgangskode', SENSORBRO_ADMIN_KOMMUNE: '0751', SENSORBRO_ADMIN_KOMMUNE_NAME: 'Aarhus' };

describe('configuration', () => {
  it('takes options over environment over defaults', () => {
    const config = resolveCloudConfig(
      { port: 9000 },
      { SENSORBRO_DATA_DIR: '/var/lib/sensorbro', SENSORBRO_PORT: '8000', SENSORBRO_STORE: 'influx', SENSORBRO_INFLUX_URL: 'http://influx:8086', SENSORBRO_INFLUX_DATABASE: 'sb' },
    );
    expect(config).toMatchObject({ dataDir: '/var/lib/sensorbro', port: 9000, store: 'influx', host: '127.0.0.1', trustProxy: false, publicOrigins: [] });
    expect(config.admin).toBeUndefined();
    const defaults = resolveCloudConfig({}, {});
    expect(defaults).toMatchObject({ port: 8081, store: 'sqlite', logLevel: 'info', apiRatePerMinute: 1200, integrationRatePerMinute: 6000 });
    expect(resolveCloudConfig({}, { SENSORBRO_API_RATE_PER_MINUTE: '300', SENSORBRO_INTEGRATION_RATE_PER_MINUTE: '20000' })).toMatchObject({
      apiRatePerMinute: 300,
      integrationRatePerMinute: 20000,
    });
    expect(() => resolveCloudConfig({}, { SENSORBRO_INTEGRATION_RATE_PER_MINUTE: 'lots' })).toThrow(/^SENSORBRO_INTEGRATION_RATE_PER_MINUTE: /);
    expect(defaults.dataDir).toMatch(/sensorbro-data$/);
    expect(resolveCloudConfig({}, { SENSORBRO_PUBLIC_ORIGIN: 'https://a.dk, https://b.dk', SENSORBRO_TRUST_PROXY: 'true' })).toMatchObject({
      publicOrigins: ['https://a.dk', 'https://b.dk'],
      trustProxy: true,
    });
  });

  it('gives the store its configuration: sqlite under the data dir, or influx from SENSORBRO_INFLUX_*', () => {
    expect(storeConfigOf(resolveCloudConfig({}, {}))).toEqual({ kind: 'sqlite' });
    expect(() => resolveCloudConfig({ store: 'influx' }, {})).toThrow(/^store influx: the influx store needs SENSORBRO_INFLUX_URL and SENSORBRO_INFLUX_DATABASE/);
    const influx = resolveCloudConfig(
      { store: 'influx' },
      { SENSORBRO_INFLUX_URL: 'http://127.0.0.1:8086', SENSORBRO_INFLUX_DATABASE: 'sensorbro', SENSORBRO_INFLUX_PASSWORD: 'hemmelig' },
    );
    expect(storeConfigOf(influx)).toEqual({ kind: 'influx', url: 'http://127.0.0.1:8086', database: 'sensorbro', password: 'hemmelig' });
    expect(() => resolveCloudConfig({ store: 'influx' }, { SENSORBRO_INFLUX_URL: 'ftp://x', SENSORBRO_INFLUX_DATABASE: 'd' })).toThrow(/^SENSORBRO_INFLUX_URL: /);
  });

  it('names each problem, never echoing the admin password', () => {
    expect(() => resolveCloudConfig({ store: 'postgres' }, {})).toThrow(/^store \(--store, SENSORBRO_STORE\): /);
    expect(() => resolveCloudConfig({ port: 70000 }, {})).toThrow(/^port /);
    expect(() => resolveCloudConfig({}, { SENSORBRO_ADMIN_EMAIL: 'a@b.dk' })).toThrow(/missing: SENSORBRO_ADMIN_PASSWORD, SENSORBRO_ADMIN_KOMMUNE/);
    let message = '';
    try {
      resolveCloudConfig({}, { ...adminEnv, SENSORBRO_ADMIN_PASSWORD: 'kort' });
    } catch (error) {
      expect(error).toBeInstanceOf(CloudConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^SENSORBRO_ADMIN_PASSWORD: /);
    expect(message).not.toContain('kort');
    expect(() => resolveCloudConfig({}, { ...adminEnv, SENSORBRO_ADMIN_KOMMUNE: '751' })).toThrow(/^SENSORBRO_ADMIN_KOMMUNE: /);
  });

  it('makes the cookie secret on first start, readable by the owner only, and keeps it', () => {
    const dir = tempDir();
    const first = loadOrCreateCookieSecret(dir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'cookie-secret')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateCookieSecret(dir)).toBe(first);
    expect(readFileSync(join(dir, 'cookie-secret'), 'utf8').trim()).toBe(first);
  });
});

describe('cloud database', () => {
  it('is one WAL file with the cloud tables at their version; opening again changes nothing', () => {
    const dir = tempDir();
    const path = join(dir, 'cloud.db');
    const first = openCloudDatabase(path);
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(first.db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = first.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['kommuner', 'users', 'user_roles', 'sessions', 'api_tokens', 'gateway_tokens', 'audit_log', 'gateway_health', 'schema_versions']));
    expect(schemaVersion(first.db, 'cloud')).toBe(1);
    first.close();
    const again = openCloudDatabase(path);
    expect(schemaVersion(again.db, 'cloud')).toBe(1);
    again.close();
  });

  it('lets another part keep its tables in a namespace of its own, each step applied once', () => {
    const database = openCloudDatabase(join(tempDir(), 'cloud.db'));
    cleanups.push(() => database.close());
    const steps = ['CREATE TABLE registry_things (id TEXT PRIMARY KEY)', "INSERT INTO registry_things VALUES ('a')"];
    expect(database.migrate('registry', steps)).toEqual({ namespace: 'registry', from: 0, to: 2 });
    expect(database.migrate('registry', steps)).toEqual({ namespace: 'registry', from: 2, to: 2 });
    const more = [...steps, (db: typeof database.db) => db.prepare("INSERT INTO registry_things VALUES ('b')").run()];
    expect(database.migrate('registry', more)).toEqual({ namespace: 'registry', from: 2, to: 3 });
    expect(database.db.prepare('SELECT id FROM registry_things ORDER BY id').pluck().all()).toEqual(['a', 'b']);
    expect(schemaVersion(database.db, 'cloud')).toBe(1);
  });

  it('rolls a failed migration back whole, and refuses a database newer than the software', () => {
    const database = openCloudDatabase(join(tempDir(), 'cloud.db'));
    cleanups.push(() => database.close());
    expect(() => migrate(database.db, 'extra', ['CREATE TABLE extra_a (x)', 'CREATE TABLE extra_a (x)'])).toThrow(/extra.*version 2 failed/);
    expect(schemaVersion(database.db, 'extra')).toBe(0);
    expect(database.db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'extra_a'").pluck().get()).toBe(0);
    database.migrate('extra', ['CREATE TABLE extra_a (x)', 'CREATE TABLE extra_b (x)']);
    expect(() => database.migrate('extra', ['CREATE TABLE extra_a (x)'])).toThrow(/version 2, newer than this software knows \(1\)/);
    expect(() => database.migrate('Bad Name', [])).toThrow(/namespace/);
  });
});

describe('the app', () => {
  async function app() {
    const dir = tempDir();
    const database = openCloudDatabase(join(dir, 'cloud.db'));
    const store = await openStore({ kind: 'sqlite' }, { dataDir: dir });
    const built = await buildCloudApp({ database, store, logger: pino({ level: 'silent' }), cookieSecret: 'c'.repeat(40) });
    cleanups.push(
      () => database.close(),
      () => store.close(),
      () => built.app.close(),
    );
    return built.app;
  }

  it('publishes its OpenAPI document at /docs/json with the routes and their schemas, and Swagger UI at /docs', async () => {
    const cloud = await app();
    const document = (await cloud.inject({ url: '/docs/json' })).json();
    expect(document.openapi).toBe('3.1.0');
    const ingest = document.paths['/api/v1/ingest'].post;
    expect(ingest.security).toEqual([{ gatewayToken: [] }]);
    expect(ingest.requestBody.content['application/json'].schema.required).toEqual(['gatewayId', 'records']);
    expect(Object.keys(ingest.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '413', '429']));
    expect(document.paths['/api/v1/login'].post.requestBody.content['application/json'].schema.properties.kommune.pattern).toBe('^\\d{4}$');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/v1/logout', '/api/v1/me', '/api/v1/users', '/api/v1/api-tokens', '/api/v1/gateway-tokens', '/api/v1/gateway-tokens/{id}', '/api/v1/audit']),
    );
    const ui = await cloud.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });

  it("mounts other parts' routes behind the same authentication, with requireRole", async () => {
    const dir = tempDir();
    const database = openCloudDatabase(join(dir, 'cloud.db'));
    const store = await openStore({ kind: 'sqlite' }, { dataDir: dir });
    const { app: cloud, services } = await buildCloudApp({
      database,
      store,
      logger: pino({ level: 'silent' }),
      cookieSecret: 'c'.repeat(40),
      docs: false,
      routes: [
        (scope) => {
          scope.get('/api/v1/sites', { preHandler: requireRole('admin', 'energi') }, async (request) => ({ kommune: request.principal!.kommune }));
          scope.get('/api/v1/open-data', { config: { access: 'public' } }, async () => ({ open: true }));
        },
      ],
    });
    cleanups.push(
      () => database.close(),
      () => store.close(),
      () => cloud.close(),
    );
    services.repositories.kommuner.ensure('0751', 'Aarhus', new Date());
    const energi = services.apiTokens.issue('0751', { name: 'e', roles: ['energi'] });
    const affald = services.apiTokens.issue('0751', { name: 'a', roles: ['affald'] });
    expect((await cloud.inject({ url: '/api/v1/sites' })).statusCode).toBe(401);
    expect((await cloud.inject({ url: '/api/v1/sites', headers: { authorization: `Bearer ${affald.token}` } })).statusCode).toBe(403);
    expect((await cloud.inject({ url: '/api/v1/sites', headers: { authorization: `Bearer ${energi.token}` } })).json()).toEqual({ kommune: '0751' });
    expect((await cloud.inject({ url: '/api/v1/open-data' })).json()).toEqual({ open: true });
  });

  it('answers unknown API paths 401 before login (nothing to learn) and other unknown paths 404', async () => {
    const cloud = await app();
    expect((await cloud.inject({ url: '/api/v1/nothing' })).statusCode).toBe(401);
    expect((await cloud.inject({ url: '/nothing' })).json()).toEqual({ error: 'not found' });
  });

  it('refuses a JSON API body over 64 KiB with 413', async () => {
    const cloud = await app();
    const response = await cloud.inject({ method: 'POST', url: '/api/v1/login', payload: { email: 'a@b.dk', password: 'x'.repeat(70_000), kommune: '0751' } });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: 'body too large' });
  });
});

describe('startCloud: data dir, bootstrap, a real listen on loopback', () => {
  async function start(dataDir: string, env: Record<string, string> = {}): Promise<RunningCloud> {
    const config = resolveCloudConfig({ dataDir, port: 0 }, env);
    const cloud = await startCloud(config, pino({ level: 'silent' }));
    cleanups.push(() => cloud.close());
    return cloud;
  }

  it('creates the first admin from SENSORBRO_ADMIN_* on an empty database; the admin logs in over HTTP', async () => {
    const dataDir = tempDir();
    const cloud = await start(dataDir, adminEnv);
    expect(cloud.bootstrap).toBe('created');
    expect(cloud.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(statSync(join(dataDir, 'cloud.db')).isFile()).toBe(true);
    expect(cloud.services.repositories.kommuner.get('0751')).toMatchObject({ name: 'Aarhus' });
    expect(cloud.services.repositories.audit.list('0751')).toEqual([expect.objectContaining({ action: 'bootstrap.admin-created', actor: 'system' })]);

    const login = await fetch(`${cloud.url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@aarhus.dk', password: adminEnv.SENSORBRO_ADMIN_PASSWORD, kommune: '0751' }),
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).not.toMatch(/Secure/);
    const me = await fetch(`${cloud.url}/api/v1/me`, { headers: { cookie: setCookie.split(';')[0]! } });
    expect(await me.json()).toMatchObject({ kind: 'user', kommune: '0751', roles: ['admin'] });
  });

  it('ignores SENSORBRO_ADMIN_* once users exist, and keeps sessions across restarts', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir, adminEnv);
    const login = await fetch(`${first.url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@aarhus.dk', password: adminEnv.SENSORBRO_ADMIN_PASSWORD, kommune: '0751' }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    await first.close();
    cleanups.pop();
    const second = await start(dataDir, { ...adminEnv, SENSORBRO_ADMIN_PASSWORD: 'en helt anden kode' });
    expect(second.bootstrap).toBe('users-exist');
    expect(second.services.repositories.users.count()).toBe(1);
    expect((await fetch(`${second.url}/api/v1/me`, { headers: { cookie } })).status).toBe(200);
  });

  it('starts without users when SENSORBRO_ADMIN_* are not set (nobody can log in yet)', async () => {
    const cloud = await start(tempDir());
    expect(cloud.bootstrap).toBe('no-users');
    expect(cloud.services.repositories.users.count()).toBe(0);
  });
});
