import { describe, expect, it } from 'vitest';
import { startTestCloud } from '../../support/cloud-app.js';

const setup = (apiRatePerMinute?: number) =>
  startTestCloud({ name: 'cloud-registry', ...(apiRatePerMinute !== undefined && { app: { apiRatePerMinute } }) });

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

  it('limits each token\'s requests per minute (429 with Retry-After), one token not counting against another', async () => {
    const { call, tokens } = await setup(3);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/api/v1/registry/sites', tokens.admin)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call('GET', '/api/v1/registry/sites', tokens.admin);
    expect(limited.json()).toEqual({ error: 'too many requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await call('GET', '/api/v1/registry/sites', tokens.energi)).statusCode).toBe(200);
    // A wrong token is refused before it could use up anybody's allowance.
    expect((await call('GET', '/api/v1/registry/sites', 'sba_nonsense')).statusCode).toBe(401);
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
