import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCloudApp } from '../../../cloud/src/app.js';
import { openCloudDatabase } from '../../../cloud/src/db/open-database.js';
import { registryRoutes } from '../../../cloud/src/registry/routes.js';
import { openStore } from '../../../cloud/src/store/open-store.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-cloud-registry-'));
  const database = openCloudDatabase(join(dir, 'cloud.db'));
  const store = await openStore({ kind: 'sqlite' }, { dataDir: dir });
  const registry = registryRoutes(database);
  const { app, services } = await buildCloudApp({
    database, store, logger: pino({ level: 'silent' }), cookieSecret: 'test-cookie-secret-0123456789abcdefghijklmnop',
    scryptParams: { N: 1024, r: 8, p: 1, keyLength: 32 }, docs: false, routes: [registry.routes],
  });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => database.close(), () => store.close(), () => app.close());
  services.repositories.kommuner.ensure('0751', 'Aarhus', new Date());
  services.repositories.kommuner.ensure('0101', 'København', new Date());
  const tokens = {
    admin: services.apiTokens.issue('0751', { name: 'admin', roles: ['admin'] }).token,
    energi: services.apiTokens.issue('0751', { name: 'energi', roles: ['energi'] }).token,
    kbh: services.apiTokens.issue('0101', { name: 'kbh', roles: ['admin'] }).token,
  };
  const call = (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, token: string, payload?: object | string, contentType?: string) =>
    app.inject({
      method, url, headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
      ...(payload !== undefined ? { payload } : {}),
    });
  return { call, tokens, services };
}

describe('registry API', () => {
  it('creates, reads, lists and deletes, scoped to the caller\'s kommune and audited', async () => {
    const { call, tokens, services } = await setup();
    const site = { id: 'raadhus', name: 'Aarhus Rådhus', address: 'Rådhuspladsen 2', heatedAreaM2: 19500 };
    expect((await call('PUT', '/api/v1/registry/sites/raadhus', tokens.admin, site)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/registry/sites/raadhus', tokens.energi)).json()).toEqual(site);
    expect((await call('GET', '/api/v1/registry/sites/raadhus', tokens.kbh)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/registry/sites', tokens.kbh)).json()).toEqual([]);
    expect((await call('PUT', '/api/v1/registry/sites/raadhus', tokens.energi, site)).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/registry/sites', 'sba_nonsense')).statusCode).toBe(401);
    const bad = await call('PUT', '/api/v1/registry/assets/m1', tokens.admin, { id: 'm1', kind: 'meter', name: 'Varme', meterType: 'steam', unit: 'kWh' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^meterType: /);
    expect((await call('PUT', '/api/v1/registry/sites/other', tokens.admin, site)).json().error).toMatch(/must equal the id in the path/);
    expect((await call('DELETE', '/api/v1/registry/sites/raadhus', tokens.admin)).statusCode).toBe(204);
    const actions = services.repositories.audit.list('0751').map((entry) => `${entry.action} ${entry.target}`);
    expect(actions).toEqual(expect.arrayContaining(['registry.sites.put raadhus', 'registry.sites.delete raadhus']));
    expect(services.repositories.audit.list('0101').map((entry) => entry.action)).not.toContain('registry.sites.put');
  });

  it('imports a semicolon CSV from a spreadsheet, all rows or none', async () => {
    const { call, tokens } = await setup();
    const csv = 'id;name;kind;fraction;volumeL\nc-1;Glas, Møllevej;waste-container;glas;2500\nc-2;Papir, Møllevej;waste-container;papir;2500\n';
    const imported = await call('POST', '/api/v1/registry/assets/import', tokens.admin, csv, 'text/csv');
    expect(imported.json()).toEqual({ stored: 2 });
    expect((await call('GET', '/api/v1/registry/assets', tokens.admin)).json()).toHaveLength(2);
    const broken = await call('POST', '/api/v1/registry/assets/import', tokens.admin, 'id;name;kind;fraction;volumeL\nc-3;X;waste-container;guld;10\n', 'text/csv');
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatch(/row 2: fraction/);
  });
});
