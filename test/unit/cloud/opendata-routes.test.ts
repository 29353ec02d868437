import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { SensorRecord } from '../../../standards/src/index.js';
import { exportRoutes } from '../../../cloud/src/export/routes.js';
import { openDataExportTable, openDataRoutes } from '../../../cloud/src/opendata/routes.js';
import { startTestCloud, type TestCloud } from '../../support/cloud-app.js';
import { fillLevel, uuidV7 } from './export-fixtures.js';

let cloud: TestCloud | undefined;

async function start(ratePerMinute = 1000) {
  cloud = await startTestCloud({
    name: 'opendata',
    routes: ({ database, store, registry }) => [
      openDataRoutes(database, { store, registry, publicBaseUrl: 'https://data.example.dk/', limits: { ratePerMinute } }).routes,
    ],
  });
  const { registry, store } = cloud;
  registry.put('0751', 'assets', { id: 'c-1', name: 'Glas, Møllevej', kind: 'waste-container', fraction: 'glas', volumeL: 2500, latitude: 56.15, longitude: 10.2 });
  registry.put('0751', 'assets', { id: 'c-2', name: 'Papir, Møllevej', kind: 'waste-container', fraction: 'papir', volumeL: 2500, latitude: 56.17, longitude: 10.21 });
  await store.write([
    fillLevel('2026-03-01T10:00:00.000Z', { fillLevel: 0.2 }),
    fillLevel('2026-03-01T11:00:00.000Z', { fillLevel: 0.59, qualityFlags: ['stale'], lidOpen: false }),
    fillLevel('2026-03-01T10:30:00.000Z', { assetId: 'c-2', deviceId: 'dev-2', fillLevel: 1, quality: 'suspect', device: { rssiDbm: -120 } }),
    // A device without an asset is never published (only its deviceId would name it).
    fillLevel('2026-03-01T10:45:00.000Z', { assetId: undefined, deviceId: 'loose-1' }),
    {
      id: uuidV7('2026-03-01T10:50:00.000Z'), standard: 'door-lock/1', kommune: '0751', deviceId: 'door-7', assetId: 'd-7', gatewayId: 'gw-1',
      observedAt: '2026-03-01T10:50:00.000Z', receivedAt: '2026-03-01T10:50:01.000Z', quality: 'good', doorOpen: true,
    } as SensorRecord,
    { ...fillLevel('2026-03-01T10:00:00.000Z'), kommune: '0101', assetId: 'kbh-c', deviceId: 'kbh-dev' } as SensorRecord,
  ]);
  return cloud;
}

const public_ = (url: string) => cloud!.app.inject({ method: 'GET', url });

describe('open data: admin API', () => {
  it('publishes with default title and CC BY 4.0, changes and unpublishes, audited; admin only', async () => {
    const { call, tokens, services } = await start();
    expect((await call('PUT', '/api/v1/opendata/datasets/fill-level-v1', tokens.affald, {})).statusCode).toBe(403);
    const published = await call('PUT', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin, {});
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({
      kommune: '0751',
      dataset: 'fill-level-v1',
      standard: 'fill-level/1',
      title: 'Fyldningsgrad i affaldscontainere',
      license: 'https://creativecommons.org/licenses/by/4.0/',
      links: { catalog: '/open/v1/0751/catalog.jsonld', latest: ['/open/v1/0751/datasets/fill-level-v1/latest.json', '/open/v1/0751/datasets/fill-level-v1/latest.csv'] },
    });
    const changed = await call('PUT', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin, { title: 'Affald i Aarhus', license: 'https://creativecommons.org/publicdomain/zero/1.0/' });
    expect(changed.json()).toMatchObject({ title: 'Affald i Aarhus', license: 'https://creativecommons.org/publicdomain/zero/1.0/', publishedAt: published.json().publishedAt });
    expect((await call('GET', '/api/v1/opendata/datasets', tokens.admin)).json().map((dataset: { dataset: string }) => dataset.dataset)).toEqual(['fill-level-v1']);
    expect((await call('GET', '/api/v1/opendata/datasets', tokens.kbh)).json()).toEqual([]);
    expect((await call('DELETE', '/api/v1/opendata/datasets/fill-level-v1', tokens.kbh)).statusCode).toBe(404);
    expect((await call('DELETE', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin)).statusCode).toBe(204);
    expect((await call('DELETE', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin)).statusCode).toBe(404);
    const audit = services.repositories.audit.list('0751', { afterSeq: 0 }).map((entry) => `${entry.action} ${entry.target}`);
    expect(audit).toEqual(['opendata.publish fill-level-v1', 'opendata.publish fill-level-v1', 'opendata.unpublish fill-level-v1']);
    expect(services.repositories.audit.list('0101')).toEqual([]);
  });

  it('refuses standards with personal data, saying why, and names the field of a bad body', async () => {
    const { call, tokens } = await start();
    const door = await call('PUT', '/api/v1/opendata/datasets/door-lock-v1', tokens.admin, {});
    expect(door.statusCode).toBe(400);
    expect(door.json().error).toMatch(/^dataset: door-lock\/1 door and lock events show when people come and go: personal data/);
    expect((await call('PUT', '/api/v1/opendata/datasets/meter-reading-v1', tokens.admin, {})).json().error).toMatch(/^dataset: meter-reading\/1 .*personal data/);
    expect((await call('PUT', '/api/v1/opendata/datasets/nonsense', tokens.admin, {})).json().error).toBe('dataset: unknown dataset; open datasets are fill-level-v1, water-level-v1');
    const badLicense = await call('PUT', '/api/v1/opendata/datasets/water-level-v1', tokens.admin, { license: 'CC BY' });
    expect(badLicense.statusCode).toBe(400);
    expect(badLicense.json().error).toMatch(/^license: must be the http\(s\) URL of the license/);
    expect((await call('PUT', '/api/v1/opendata/datasets/water-level-v1', tokens.admin, { contactEmail: 'nobody' })).json().error).toMatch(/^contactEmail: /);
    expect((await call('GET', '/api/v1/opendata/datasets', tokens.admin)).json()).toEqual([]);
  });
});

describe('open data: public routes', () => {
  it('serves latest and range distributions without login, with only the promised fields', async () => {
    const { call, tokens } = await start();
    await call('PUT', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin, {});

    const latest = await public_('/open/v1/0751/datasets/fill-level-v1/latest.json');
    expect(latest.statusCode).toBe(200);
    expect(latest.headers['access-control-allow-origin']).toBe('*');
    expect(latest.json()).toEqual({
      dataset: 'https://data.example.dk/open/v1/0751/datasets/fill-level-v1',
      title: 'Fyldningsgrad i affaldscontainere',
      license: 'https://creativecommons.org/licenses/by/4.0/',
      records: [
        { assetId: 'c-1', latitude: 56.15, longitude: 10.2, observedAt: '2026-03-01T11:00:00.000Z', quality: 'good', fillLevel: 0.59, distanceMm: 820, lidOpen: false },
        { assetId: 'c-2', latitude: 56.17, longitude: 10.21, observedAt: '2026-03-01T10:30:00.000Z', quality: 'suspect', fillLevel: 1, distanceMm: 820 },
      ],
    });
    const header = 'assetId,latitude,longitude,observedAt,quality,fillLevel,distanceMm,tilted,lidOpen,temperatureC,fireAlarm';
    expect((await public_('/open/v1/0751/datasets/fill-level-v1/latest.csv')).body).toBe(
      `${header}\r\nc-1,56.15,10.2,2026-03-01T11:00:00.000Z,good,0.59,820,,false,,\r\nc-2,56.17,10.21,2026-03-01T10:30:00.000Z,suspect,1,820,,,,\r\n`,
    );
    const csv = await public_('/open/v1/0751/datasets/fill-level-v1/records.csv?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z');
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toBe(
      `${header}\r\n` +
        'c-1,56.15,10.2,2026-03-01T10:00:00.000Z,good,0.2,820,,,,\r\n' +
        'c-2,56.17,10.21,2026-03-01T10:30:00.000Z,suspect,1,820,,,,\r\n' +
        'c-1,56.15,10.2,2026-03-01T11:00:00.000Z,good,0.59,820,,false,,\r\n',
    );
    const ndjson = await public_('/open/v1/0751/datasets/fill-level-v1/records.ndjson?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z');
    expect(ndjson.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(ndjson.body.trimEnd().split('\n').map((line) => JSON.parse(line).observedAt)).toEqual([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:30:00.000Z',
      '2026-03-01T11:00:00.000Z',
    ]);
    for (const body of [latest.body, csv.body, ndjson.body]) expect(body).not.toMatch(/a84041000181c5d1|dev-2|loose-1|gw-1|rssi|battery|stale|kbh/);

    const tooLong = await public_('/open/v1/0751/datasets/fill-level-v1/records.csv?from=2026-01-01T00:00:00Z&to=2026-03-02T00:00:00Z');
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error).toBe('query.to: must be at most 31 days after from');
  });

  it('answers 404 alike for unpublished, refused, unknown datasets and other kommuner', async () => {
    const { call, tokens } = await start();
    const paths = [
      '/open/v1/0751/datasets/fill-level-v1/latest.json',
      '/open/v1/0751/datasets/water-level-v1/latest.json',
      '/open/v1/0751/datasets/door-lock-v1/records.csv',
      '/open/v1/0751/datasets/nonsense/latest.csv',
      '/open/v1/9999/datasets/fill-level-v1/latest.json',
      '/open/v1/0751/catalog.jsonld',
      '/open/v1/0751/catalog.ttl',
      '/open/v1/9999/catalog.jsonld',
    ];
    for (const path of paths) {
      const response = await public_(path);
      expect([path, response.statusCode, response.json()]).toEqual([path, 404, { error: 'not found' }]);
    }
    await call('PUT', '/api/v1/opendata/datasets/fill-level-v1', tokens.kbh, {});
    expect((await public_('/open/v1/0751/datasets/fill-level-v1/latest.json')).statusCode).toBe(404);
    const kbh = await public_('/open/v1/0101/datasets/fill-level-v1/latest.json');
    expect(kbh.json().records).toEqual([{ assetId: 'kbh-c', observedAt: '2026-03-01T10:00:00.000Z', quality: 'good', fillLevel: 0.59, distanceMm: 820 }]);
    await call('PUT', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin, {});
    expect((await public_('/open/v1/0751/datasets/fill-level-v1/latest.json')).statusCode).toBe(200);
    await call('DELETE', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin);
    expect((await public_('/open/v1/0751/datasets/fill-level-v1/records.ndjson')).statusCode).toBe(404);
  });

  it('publishes a DCAT-AP catalogue as JSON-LD and Turtle', async () => {
    const { call, tokens } = await start();
    await call('PUT', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin, { keywords: ['affald', 'Aarhus "C"'], contactEmail: 'opendata@aarhus.dk' });
    const response = await public_('/open/v1/0751/catalog.jsonld');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/ld+json; charset=utf-8');
    const catalog = response.json();
    expect(catalog['@context']).toMatchObject({ dcat: 'http://www.w3.org/ns/dcat#', dct: 'http://purl.org/dc/terms/', foaf: 'http://xmlns.com/foaf/0.1/' });
    expect(catalog['@id']).toBe('https://data.example.dk/open/v1/0751/catalog');
    expect(catalog['@type']).toBe('dcat:Catalog');
    expect(catalog['dct:publisher']['foaf:name']).toEqual({ '@value': 'Aarhus', '@language': 'da' });
    const dataset = catalog['dcat:dataset'];
    expect(dataset).toMatchObject({
      '@id': 'https://data.example.dk/open/v1/0751/datasets/fill-level-v1',
      '@type': 'dcat:Dataset',
      'dct:identifier': 'https://data.example.dk/open/v1/0751/datasets/fill-level-v1',
      'dct:title': { '@value': 'Fyldningsgrad i affaldscontainere', '@language': 'da' },
      'dcat:keyword': [{ '@value': 'affald', '@language': 'da' }, { '@value': 'Aarhus "C"', '@language': 'da' }],
      'dct:temporal': {
        '@type': 'dct:PeriodOfTime',
        'dcat:startDate': { '@value': '2026-03-01T10:00:00.000Z', '@type': 'xsd:dateTime' },
        'dcat:endDate': { '@value': '2026-03-01T11:00:00.000Z', '@type': 'xsd:dateTime' },
      },
      'dcat:contactPoint': {
        '@type': 'vcard:Organization',
        'vcard:fn': { '@value': 'Aarhus', '@language': 'da' },
        'vcard:hasEmail': { '@id': 'mailto:opendata@aarhus.dk' },
      },
      'dct:spatial': {
        '@type': 'dct:Location',
        'dcat:bbox': { '@value': 'POLYGON((10.2 56.15, 10.21 56.15, 10.21 56.17, 10.2 56.17, 10.2 56.15))', '@type': 'gsp:wktLiteral' },
      },
    });
    const distributions = dataset['dcat:distribution'] as Record<string, { '@id': string }>[];
    expect(distributions.map((distribution) => distribution['dcat:downloadURL']!['@id'])).toEqual([
      'https://data.example.dk/open/v1/0751/datasets/fill-level-v1/latest.json',
      'https://data.example.dk/open/v1/0751/datasets/fill-level-v1/latest.csv',
      'https://data.example.dk/open/v1/0751/datasets/fill-level-v1/records.csv',
      'https://data.example.dk/open/v1/0751/datasets/fill-level-v1/records.ndjson',
    ]);
    expect(distributions[1]).toMatchObject({
      '@type': 'dcat:Distribution',
      'dcat:accessURL': { '@id': 'https://data.example.dk/open/v1/0751/datasets/fill-level-v1/latest.csv' },
      'dcat:mediaType': { '@id': 'https://www.iana.org/assignments/media-types/text/csv' },
      'dct:license': { '@id': 'https://creativecommons.org/licenses/by/4.0/' },
    });
    // Each distribution answers without login.
    for (const distribution of distributions) {
      expect((await public_(new URL(distribution['dcat:downloadURL']!['@id']).pathname)).statusCode).toBe(200);
    }

    const turtle = await public_('/open/v1/0751/catalog.ttl');
    expect(turtle.headers['content-type']).toBe('text/turtle; charset=utf-8');
    const ttl = turtle.body;
    for (const prefix of ['@prefix dcat: <http://www.w3.org/ns/dcat#> .', '@prefix dct: <http://purl.org/dc/terms/> .', '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .']) {
      expect(ttl).toContain(prefix);
    }
    expect(ttl).toContain('<https://data.example.dk/open/v1/0751/catalog>\n    a dcat:Catalog ;');
    expect(ttl).toContain('dcat:dataset <https://data.example.dk/open/v1/0751/datasets/fill-level-v1>');
    expect(ttl).toContain('<https://data.example.dk/open/v1/0751/datasets/fill-level-v1>\n    a dcat:Dataset ;');
    expect(ttl).toContain('dcat:keyword "affald"@da, "Aarhus \\"C\\""@da ;');
    expect(ttl).toContain('dcat:startDate "2026-03-01T10:00:00.000Z"^^xsd:dateTime');
    expect(ttl).toContain('<https://data.example.dk/open/v1/0751/datasets/fill-level-v1#latest-csv>\n    a dcat:Distribution ;');
    expect(ttl).toContain('dcat:downloadURL <https://data.example.dk/open/v1/0751/datasets/fill-level-v1/latest.csv>');
    expect(ttl).toContain('dct:license <https://creativecommons.org/licenses/by/4.0/>');
    expect(ttl).toContain('vcard:hasEmail <mailto:opendata@aarhus.dk>');
    // Every statement block ends with ' .' and every subject written once.
    expect(ttl.match(/ a dcat:Distribution ;/g)).toHaveLength(4);
    expect(ttl.trimEnd().endsWith(' .')).toBe(true);
  });

  it('rate-limits the public routes per client address', async () => {
    const { call, tokens } = await start(3);
    await call('PUT', '/api/v1/opendata/datasets/fill-level-v1', tokens.admin, {});
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await public_('/open/v1/0751/datasets/fill-level-v1/latest.json')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('export and open data wired together', () => {
  it('builds with the OpenAPI document, which lists every route, and puts the published datasets in the kommune archive', async () => {
    cloud = await startTestCloud({
      name: 'opendata',
      app: { docs: true },
      routes: ({ database, store, registry }) => {
        const opendata = openDataRoutes(database, { store, registry });
        return [exportRoutes({ store, registry, tables: [openDataExportTable(opendata.repository)] }), opendata.routes];
      },
    });
    const paths = Object.keys((await cloud.app.inject({ method: 'GET', url: '/docs/json' })).json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/export/records',
        '/api/v1/export/kommune',
        '/api/v1/assets/{assetId}/ngsi-ld',
        '/api/v1/assets/{assetId}/ngsi-ld/temporal',
        '/api/v1/opendata/datasets',
        '/api/v1/opendata/datasets/{dataset}',
        '/open/v1/{kommune}/catalog.jsonld',
        '/open/v1/{kommune}/catalog.ttl',
        '/open/v1/{kommune}/datasets/{dataset}/latest.json',
        '/open/v1/{kommune}/datasets/{dataset}/records.ndjson',
      ]),
    );
    await cloud.call('PUT', '/api/v1/opendata/datasets/water-level-v1', cloud.tokens.admin, {});
    const archive = await cloud.call('GET', '/api/v1/export/kommune', cloud.tokens.admin);
    const tar = gunzipSync(archive.rawPayload).toString('utf8');
    expect(tar).toContain('opendata/datasets/part-00001.ndjson');
    expect(tar).toMatch(/"dataset":"water-level-v1"/);
  });
});
