import { describe, expect, it } from 'vitest';
import { exportRoutes } from '../../../cloud/src/export/routes.js';
import { startTestCloud } from '../../support/cloud-app.js';
import { fillLevel } from './export-fixtures.js';

async function start() {
  const cloud = await startTestCloud({ name: 'export', routes: ({ store, registry }) => [exportRoutes({ store, registry, limits: { maxTemporalInstances: 3 } })] });
  cloud.registry.put('0751', 'assets', { id: 'c-1', name: 'Glas, Møllevej', kind: 'waste-container', fraction: 'glas', volumeL: 2500, latitude: 56.15, longitude: 10.2 });
  return cloud;
}

const context = ['https://smartdatamodels.org/context.jsonld', 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld'];

describe('GET /api/v1/assets/:assetId/ngsi-ld', () => {
  it("answers the asset's newest record as a FIWARE WasteContainer with @context and location", async () => {
    const { call, tokens, store } = await start();
    await store.write([fillLevel('2026-03-01T10:00:00.000Z', { fillLevel: 0.2 }), fillLevel('2026-03-01T11:00:00.000Z', { fillLevel: 0.59, tilted: false })]);
    const response = await call('GET', '/api/v1/assets/c-1/ngsi-ld', tokens.affald);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/ld+json; charset=utf-8');
    expect(response.json()).toEqual({
      id: 'urn:ngsi-ld:WasteContainer:0751:c-1',
      type: 'WasteContainer',
      fillingLevel: { type: 'Property', value: 0.59, observedAt: '2026-03-01T11:00:00.000Z' },
      measuredDistance: { type: 'Property', value: 820, observedAt: '2026-03-01T11:00:00.000Z', unitCode: 'MMT' },
      status: { type: 'Property', value: 'ok', observedAt: '2026-03-01T11:00:00.000Z' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [10.2, 56.15] } },
      refDevice: { type: 'Relationship', object: 'urn:ngsi-ld:Device:0751:a84041000181c5d1' },
      '@context': context,
    });
  });

  it('answers a temporal representation of a range, capped in size', async () => {
    const { call, tokens, store } = await start();
    await store.write([fillLevel('2026-03-01T10:00:00.000Z', { fillLevel: 0.2 }), fillLevel('2026-03-01T11:00:00.000Z', { fillLevel: 0.59 })]);
    const response = await call('GET', '/api/v1/assets/c-1/ngsi-ld/temporal?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', tokens.affald);
    expect(response.statusCode).toBe(200);
    const entity = response.json();
    expect(entity.id).toBe('urn:ngsi-ld:WasteContainer:0751:c-1');
    expect(entity['@context']).toEqual(context);
    expect(entity.fillingLevel).toEqual([
      { type: 'Property', value: 0.2, observedAt: '2026-03-01T10:00:00.000Z' },
      { type: 'Property', value: 0.59, observedAt: '2026-03-01T11:00:00.000Z' },
    ]);
    expect(entity.refDevice).toEqual([{ type: 'Relationship', object: 'urn:ngsi-ld:Device:0751:a84041000181c5d1' }]);
    expect(entity.location).toHaveLength(1);

    await store.write([fillLevel('2026-03-01T12:00:00.000Z'), fillLevel('2026-03-01T13:00:00.000Z')]);
    const tooMany = await call('GET', '/api/v1/assets/c-1/ngsi-ld/temporal?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', tokens.affald);
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toMatch(/^to: more than 3 observations/);
    const tooLong = await call('GET', '/api/v1/assets/c-1/ngsi-ld/temporal?from=2026-01-01T00:00:00Z&to=2026-03-02T00:00:00Z', tokens.affald);
    expect(tooLong.json().error).toMatch(/^query\.to: must be at most 31 days after from/);
  });

  it("is 404 for another kommune's asset, an unknown asset, and an asset without observations", async () => {
    const { call, tokens, store, registry } = await start();
    await store.write([fillLevel('2026-03-01T10:00:00.000Z')]);
    expect((await call('GET', '/api/v1/assets/c-1/ngsi-ld', tokens.kbh)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/assets/c-1/ngsi-ld/temporal?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', tokens.kbh)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/assets/nope/ngsi-ld', tokens.admin)).json()).toEqual({ error: 'no asset nope' });
    registry.put('0751', 'assets', { id: 'c-9', name: 'Ny', kind: 'waste-container', fraction: 'rest', volumeL: 660 });
    expect((await call('GET', '/api/v1/assets/c-9/ngsi-ld', tokens.admin)).json()).toEqual({ error: 'asset c-9 has no observations yet' });
  });
});
