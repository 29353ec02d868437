import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SensorRecord } from '../../../standards/src/index.js';
import { exportRoutes } from '../../../cloud/src/export/routes.js';
import { openDataExportTable, openDataRoutes } from '../../../cloud/src/opendata/routes.js';
import { startTestCloud, type TestCloud, type TestCloudParts } from '../../support/cloud-app.js';
import { type Influxd, influxdBinary, influxdMissing, startInfluxd } from '../../support/influxd.js';
import { fillLevel, uuidV7 } from '../../unit/cloud/export-fixtures.js';

/**
 * The exports (cloud/src/export) and open-data ranges (cloud/src/opendata) over HTTP on the
 * InfluxDB store, against a real influxd started here (one for the file, a new database per
 * test). Each test builds the same cloud twice, on the embedded SQLite store and on InfluxDB,
 * writes the same records to both, and expects the same answers, checked against the fixture too.
 */

let server: Influxd | undefined;
let databases = 0;

// Aarhus (0751): the records of the sqlite export tests (test/unit/cloud/export-*.test.ts).
const first = fillLevel('2026-03-01T10:00:00.000Z', { qualityFlags: ['range:distanceMm', 'stale'], quality: 'suspect', tilted: true, fillLevel: 0.2 });
const second = fillLevel('2026-03-01T11:00:00.000Z', { assetId: 'c-2, "Møllevej"', deviceId: '=cmd', device: { batteryV: 3.61 } });
const cold = fillLevel('2026-03-01T12:00:00.000Z', { temperatureC: -3.5, lidOpen: false, undecoded: [{ offset: 4, hex: 'ff00' }] });
const loose = fillLevel('2026-03-01T10:45:00.000Z', { assetId: undefined, deviceId: 'loose-1' });
/** Exactly at the end of the day's range: never in it. */
const outside = fillLevel('2026-03-02T00:00:00.000Z');
const water = {
  id: uuidV7('2026-03-01T10:30:00.000Z'), standard: 'water-level/1', kommune: '0751', deviceId: 'w-1', assetId: 'w-1', gatewayId: 'gw-1',
  observedAt: '2026-03-01T10:30:00.000Z', receivedAt: '2026-03-01T10:30:00.000Z', quality: 'good', waterDepthM: 1.25,
} as SensorRecord;
const door = {
  id: uuidV7('2026-03-01T10:50:00.000Z'), standard: 'door-lock/1', kommune: '0751', deviceId: 'door-7', assetId: 'd-7', gatewayId: 'gw-1',
  observedAt: '2026-03-01T10:50:00.000Z', receivedAt: '2026-03-01T10:50:01.000Z', quality: 'good', doorOpen: true, locked: false,
} as SensorRecord;
const heartbeat = {
  id: uuidV7('2026-03-01T09:00:00.000Z'), standard: 'gateway-heartbeat/1', kommune: '0751', deviceId: 'gw-1', gatewayId: 'gw-1',
  observedAt: '2026-03-01T09:00:00.000Z', receivedAt: '2026-03-01T09:00:00.000Z', quality: 'good', queueDepth: 0,
} as SensorRecord;
// Two days later: what InfluxDB stores differently (no float fields for 'bad'; tags of odd ids escaped; one point per series and time).
const bad = fillLevel('2026-03-03T08:00:00.000Z', { assetId: 'c-5', deviceId: 'twin', quality: 'bad', distanceMm: 0 });
const twin = fillLevel('2026-03-03T08:00:00.000Z', { assetId: 'c-5', deviceId: 'twin', distanceMm: 500 });
const odd = fillLevel('2026-03-03T09:00:00.000Z', { assetId: 'c-3\\nord 100%', deviceId: 'dev\t"x",y=z', qualityFlags: ['line\nbreak'] });
/** Every 30 days from 2020: years of history, several parts in the archive. */
const history: SensorRecord[] = [];
for (let i = 0; i < 60; i++) history.push(fillLevel(new Date(Date.parse('2020-01-01T00:00:00Z') + i * 86_400_000 * 30).toISOString()));

// København (0101): the same device and asset ids, in the same hours: only the kommune tells them apart.
const foreignFill = fillLevel('2026-03-01T10:15:00.000Z', { kommune: '0101', fillLevel: 0.99, distanceMm: 111, gatewayId: 'kbh-gw' });
const foreignDoor = { ...door, id: uuidV7('2026-03-01T10:55:00.000Z'), kommune: '0101', gatewayId: 'kbh-gw', observedAt: '2026-03-01T10:55:00.000Z' } as SensorRecord;

const aarhus = [first, second, cold, loose, outside, water, door, heartbeat, bad, twin, odd, ...history];
const foreign = [foreignFill, foreignDoor];
/** The stores' order: observedAt, then id. */
const byTime = (a: SensorRecord, b: SensorRecord) => Date.parse(a.observedAt) - Date.parse(b.observedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const day = 'from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z';

const header =
  'id,standard,kommune,deviceId,assetId,gatewayId,observedAt,receivedAt,quality,qualityFlags,' +
  'device.batteryPercent,device.batteryV,device.rssiDbm,device.snrDb,distanceMm,fillLevel,tilted,lidOpen,temperatureC,fireAlarm,undecoded';

type Role = keyof TestCloud['tokens'];

interface Pair {
  sqlite: TestCloud;
  influx: TestCloud;
  /** The same request to both clouds (each with its own token of `role`; null: no token). */
  get(url: string, role: Role | null): Promise<{ sqlite: LightMyRequestResponse; influx: LightMyRequestResponse }>;
}

/** The same cloud on SQLite and on InfluxDB (a new database), with the export and open-data routes, the registry and the records above. */
async function start(): Promise<Pair> {
  const routes = ({ database, store, registry }: TestCloudParts) => {
    const opendata = openDataRoutes(database, { store, registry, publicBaseUrl: 'https://data.example.dk/', limits: { ratePerMinute: 1000 } });
    return [
      exportRoutes({ store, registry, tables: [openDataExportTable(opendata.repository)], limits: { archivePartBytes: 4096 } }),
      opendata.routes,
    ];
  };
  const sqlite = await startTestCloud({ name: 'export-sqlite', routes });
  const influx = await startTestCloud({
    name: 'export-influx',
    routes,
    store: { kind: 'influx', url: server!.url, database: `export_${++databases}` },
  });
  expect(influx.store.kind).toBe('influx');
  for (const cloud of [sqlite, influx]) {
    const { registry, store } = cloud;
    registry.put('0751', 'sites', { id: 'genbrug', name: 'Genbrugsstation Nord' });
    registry.put('0751', 'assets', { id: 'c-1', name: 'Glas, Møllevej', kind: 'waste-container', fraction: 'glas', volumeL: 2500, latitude: 56.15, longitude: 10.2, siteId: 'genbrug' });
    registry.put('0751', 'gateways', { id: 'gw-1', name: 'Nord', siteId: 'genbrug' });
    registry.put('0751', 'devices', { deviceKey: 'a84041000181c5d1', profile: 'milesight-em310-udl', assetId: 'c-1', gatewayId: 'gw-1', params: { emptyDistanceMm: 2000 } });
    registry.put('0101', 'sites', { id: 'kbh-site', name: 'Rådhuset' });
    registry.put('0101', 'assets', { id: 'c-1', name: 'Rådhuspladsen', kind: 'waste-container', fraction: 'rest', volumeL: 660, latitude: 55.68, longitude: 12.57 });
    const records = [...aarhus, ...foreign];
    expect(await store.write(records)).toEqual(records.map(() => 'stored'));
  }
  return {
    sqlite,
    influx,
    get: async (url, role) => {
      const call = (cloud: TestCloud) => cloud.call('GET', url, role === null ? null : cloud.tokens[role]);
      const [onSqlite, onInflux] = await Promise.all([call(sqlite), call(influx)]);
      return { sqlite: onSqlite, influx: onInflux };
    },
  };
}

const ndjson = (text: string) => (text === '' ? [] : text.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown));

/** The files of a tar.gz (ustar, plain files), each header's checksum checked. */
function untar(gzipped: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(gzipped);
  const files = new Map<string, Buffer>();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('latin1').replace(/\0.*$/s, '').trim();
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    expect(parseInt(field(148, 8), 8), `checksum at ${offset}`).toBe(sum);
    expect(field(257, 6)).toBe('ustar');
    expect(field(156, 1)).toBe('0');
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12), 8);
    files.set(name, tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  expect(tar.subarray(offset).length).toBeGreaterThanOrEqual(1024);
  expect(tar.subarray(offset).every((byte) => byte === 0)).toBe(true);
  return files;
}

describe.skipIf(!influxdBinary)(`exports on the InfluxDB store${influxdMissing}`, () => {
  beforeAll(async () => {
    server = await startInfluxd();
  }, 60_000);

  afterAll(async () => {
    await server?.dispose();
  });

  it('CSV of a range: the same rows as on SQLite, RFC 4180 quoting, the range only', async () => {
    const { get } = await start();
    const { sqlite, influx } = await get(`/api/v1/export/records?format=csv&standard=fill-level/1&${day}`, 'affald');
    expect(influx.statusCode).toBe(200);
    expect(influx.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(influx.headers['content-disposition']).toBe(sqlite.headers['content-disposition']);
    expect(influx.body).toBe(sqlite.body);
    expect(influx.body).toBe(
      `${header}\r\n` +
        `${first.id},fill-level/1,0751,a84041000181c5d1,c-1,gw-1,2026-03-01T10:00:00.000Z,2026-03-01T10:00:00.000Z,suspect,range:distanceMm|stale,87,,-97,7.5,820,0.2,true,,,,\r\n` +
        `${loose.id},fill-level/1,0751,loose-1,,gw-1,2026-03-01T10:45:00.000Z,2026-03-01T10:45:00.000Z,good,,87,,-97,7.5,820,0.59,,,,,\r\n` +
        `${second.id},fill-level/1,0751,'=cmd,"c-2, ""Møllevej""",gw-1,2026-03-01T11:00:00.000Z,2026-03-01T11:00:00.000Z,good,,,3.61,,,820,0.59,,,,,\r\n` +
        `${cold.id},fill-level/1,0751,a84041000181c5d1,c-1,gw-1,2026-03-01T12:00:00.000Z,2026-03-01T12:00:00.000Z,good,,87,,-97,7.5,820,0.59,,false,-3.5,,4:ff00\r\n`,
    );

    // One asset and one device, by ids that need quoting in InfluxQL and escaping in line protocol.
    const asset = await get(`/api/v1/export/records?format=csv&standard=fill-level/1&${day}&assetId=${encodeURIComponent('c-2, "Møllevej"')}`, 'affald');
    expect(asset.influx.body).toBe(asset.sqlite.body);
    expect(asset.influx.body.split('\r\n').slice(1, -1).map((row) => row.slice(0, 36))).toEqual([second.id]);
    const device = await get(`/api/v1/export/records?format=csv&standard=fill-level/1&${day}&deviceId=${encodeURIComponent('=cmd')}`, 'affald');
    expect(device.influx.body).toBe(asset.influx.body);
    expect(device.influx.body).toBe(device.sqlite.body);
  });

  it('CSV for a Danish Excel: semicolons, decimal commas and a BOM, the range given with an offset', async () => {
    const { get } = await start();
    const url = '/api/v1/export/records?standard=fill-level/1&from=2026-03-01T12:00:00%2B01:00&to=2026-03-01T13:00:00%2B01:00&sep=semicolon&decimal=comma&bom=true';
    const { sqlite, influx } = await get(url, 'affald');
    expect(influx.statusCode).toBe(200);
    expect(influx.body).toBe(sqlite.body);
    const lines = influx.body.split('\r\n');
    expect(lines).toEqual([
      `\uFEFF${header.replaceAll(',', ';')}`,
      `${second.id};fill-level/1;0751;'=cmd;"c-2, ""Møllevej""";gw-1;2026-03-01T11:00:00.000Z;2026-03-01T11:00:00.000Z;good;;;3,61;;;820;0,59;;;;;`,
      '',
    ]);
    const later = await get('/api/v1/export/records?standard=fill-level/1&from=2026-03-01T13:00:00%2B01:00&to=2026-03-01T14:00:00%2B01:00&sep=semicolon&decimal=comma', 'affald');
    expect(later.influx.body).toBe(later.sqlite.body);
    expect(later.influx.body.split('\r\n')[1]).toMatch(/;820;0,59;;false;-3,5;;4:ff00$/);
  });

  it('NDJSON of every standard: the records as stored, in time order, the same as on SQLite', async () => {
    const { get } = await start();
    const { sqlite, influx } = await get(`/api/v1/export/records?format=ndjson&${day}`, 'admin');
    expect(influx.statusCode).toBe(200);
    expect(influx.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(ndjson(influx.body)).toEqual([first, second, cold, loose, water, door, heartbeat].sort(byTime));
    expect(ndjson(influx.body)).toEqual(ndjson(sqlite.body));

    const asset = await get(`/api/v1/export/records?format=ndjson&${day}&assetId=c-1`, 'technician');
    expect(ndjson(asset.influx.body)).toEqual([first, cold]);
    expect(ndjson(asset.influx.body)).toEqual(ndjson(asset.sqlite.body));
    // Years at once: the reader's windows skip the empty months between the records.
    const years = await get('/api/v1/export/records?format=ndjson&standard=fill-level/1&from=2020-01-01T00:00:00Z&to=2020-12-31T00:00:00Z', 'admin');
    expect(ndjson(years.influx.body)).toEqual(history.filter((record) => record.observedAt < '2020-12-31'));
    expect(years.influx.body).toBe(years.sqlite.body);
  });

  it('NDJSON over several days with bad readings, records in one millisecond and ids that need escaping, the same as on SQLite', async () => {
    const { get } = await start();
    const range = 'from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z';
    const { sqlite, influx } = await get(`/api/v1/export/records?format=ndjson&${range}`, 'admin');
    expect(ndjson(influx.body)).toEqual([first, second, cold, loose, water, door, heartbeat, outside, bad, twin, odd].sort(byTime));
    expect(influx.body).toBe(sqlite.body);
    for (const filter of [`assetId=${encodeURIComponent(odd.assetId!)}`, `deviceId=${encodeURIComponent(odd.deviceId)}`, 'deviceId=twin']) {
      const one = await get(`/api/v1/export/records?format=ndjson&${range}&${filter}`, 'admin');
      expect(ndjson(one.influx.body), filter).toEqual(filter === 'deviceId=twin' ? [bad, twin].sort(byTime) : [odd]);
      expect(one.influx.body, filter).toBe(one.sqlite.body);
    }
    const csv = await get(`/api/v1/export/records?standard=fill-level/1&${range}`, 'admin');
    expect(csv.influx.body).toBe(csv.sqlite.body);
    expect(csv.influx.body.split('\r\n')).toHaveLength(2 + 8);
  });

  it('NGSI-LD: newest state and temporal representation of an asset, the same as on SQLite', async () => {
    const { get } = await start();
    const latest = await get('/api/v1/assets/c-1/ngsi-ld', 'affald');
    expect(latest.influx.statusCode).toBe(200);
    expect(latest.influx.json()).toEqual(latest.sqlite.json());
    expect(latest.influx.json()).toMatchObject({ id: 'urn:ngsi-ld:WasteContainer:0751:c-1', fillingLevel: { value: 0.59, observedAt: outside.observedAt } });

    const temporal = await get(`/api/v1/assets/c-1/ngsi-ld/temporal?${day}`, 'affald');
    expect(temporal.influx.statusCode).toBe(200);
    expect(temporal.influx.headers['content-type']).toBe('application/ld+json; charset=utf-8');
    expect(temporal.influx.json()).toEqual(temporal.sqlite.json());
    const entity = temporal.influx.json();
    expect(entity.id).toBe('urn:ngsi-ld:WasteContainer:0751:c-1');
    expect(entity.fillingLevel).toEqual([
      { type: 'Property', value: 0.2, observedAt: first.observedAt },
      { type: 'Property', value: 0.59, observedAt: cold.observedAt },
    ]);
    expect(entity.location).toEqual([{ type: 'GeoProperty', value: { type: 'Point', coordinates: [10.2, 56.15] } }]);
  });

  it('kommune archive: manifest hashes and counts match the files, the records match SQLite and the fixture', async () => {
    const { get, influx: cloud } = await start();
    await cloud.call('PUT', '/api/v1/opendata/datasets/fill-level-v1', cloud.tokens.admin, {});
    expect((await cloud.call('GET', '/api/v1/export/kommune', cloud.tokens.affald)).statusCode).toBe(403);
    const { sqlite, influx } = await get('/api/v1/export/kommune', 'admin');
    expect(influx.statusCode).toBe(200);
    expect(influx.headers['content-type']).toBe('application/gzip');
    const files = untar(influx.rawPayload);
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8'));
    expect(manifest).toMatchObject({ format: 'sensorbro-kommune-export/1', kommune: '0751', kommuneName: 'Aarhus' });
    const counted = (standard: string) => aarhus.filter((record) => record.standard === standard).length;
    expect(manifest.records).toEqual({
      'fill-level/1': counted('fill-level/1'),
      'water-level/1': 1,
      'meter-reading/1': 0,
      'door-lock/1': 1,
      'gateway-heartbeat/1': 1,
    });
    expect(manifest.records['fill-level/1']).toBe(68);
    const listed: string[] = manifest.files.map((file: { path: string }) => file.path);
    expect([...listed, 'manifest.json'].sort()).toEqual([...files.keys()].sort());
    for (const file of manifest.files.slice(1)) {
      const data = files.get(file.path)!;
      expect(createHash('sha256').update(data).digest('hex'), file.path).toBe(file.sha256);
      expect(data.length, file.path).toBe(file.bytes);
      expect(ndjson(data.toString('utf8')), file.path).toHaveLength(file.lines);
    }
    const records = (slug: string) =>
      listed.filter((path) => path.startsWith(`records/${slug}/`)).sort().flatMap((path) => ndjson(files.get(path)!.toString('utf8')));
    expect(listed.filter((path) => path.startsWith('records/fill-level-v1/')).length).toBeGreaterThan(1);
    expect(records('fill-level-v1')).toEqual(aarhus.filter((record) => record.standard === 'fill-level/1').sort(byTime));
    expect(records('water-level-v1')).toEqual([water]);
    expect(records('door-lock-v1')).toEqual([door]);
    expect(records('gateway-heartbeat-v1')).toEqual([heartbeat]);
    expect(ndjson(files.get('registry/sites/part-00001.ndjson')!.toString('utf8'))).toEqual([{ id: 'genbrug', name: 'Genbrugsstation Nord' }]);
    expect(ndjson(files.get('opendata/datasets/part-00001.ndjson')!.toString('utf8'))).toMatchObject([{ dataset: 'fill-level-v1' }]);

    // Byte for byte as on SQLite, but for the audit log (its times and the publication above).
    const onSqlite = untar(sqlite.rawPayload);
    const data = (archive: Map<string, Buffer>) => [...archive].filter(([path]) => /^(records|registry)\//.test(path));
    expect(data(files)).toEqual(data(onSqlite));
    expect(manifest.records).toEqual(JSON.parse(onSqlite.get('manifest.json')!.toString('utf8')).records);
  });

  it('open data: a range as CSV and NDJSON, the same as on SQLite, assets only and only the public fields', async () => {
    const { sqlite: onSqlite, influx: onInflux, get } = await start();
    for (const cloud of [onSqlite, onInflux]) expect((await cloud.call('PUT', '/api/v1/opendata/datasets/fill-level-v1', cloud.tokens.admin, {})).statusCode).toBe(200);
    const csv = await get(`/open/v1/0751/datasets/fill-level-v1/records.csv?${day}`, null);
    expect(csv.influx.statusCode).toBe(200);
    expect(csv.influx.body).toBe(csv.sqlite.body);
    expect(csv.influx.body).toBe(
      'assetId,latitude,longitude,observedAt,quality,fillLevel,distanceMm,tilted,lidOpen,temperatureC,fireAlarm\r\n' +
        'c-1,56.15,10.2,2026-03-01T10:00:00.000Z,suspect,0.2,820,true,,,\r\n' +
        '"c-2, ""Møllevej""",,,2026-03-01T11:00:00.000Z,good,0.59,820,,,,\r\n' +
        'c-1,56.15,10.2,2026-03-01T12:00:00.000Z,good,0.59,820,,false,-3.5,\r\n',
    );
    const json = await get(`/open/v1/0751/datasets/fill-level-v1/records.ndjson?${day}`, null);
    expect(json.influx.body).toBe(json.sqlite.body);
    expect(ndjson(json.influx.body)).toHaveLength(3);
    // The catalogue's time span reads the first record of all time.
    const catalog = await get('/open/v1/0751/catalog.jsonld', null);
    expect(catalog.influx.json()['dcat:dataset']['dct:temporal']).toEqual(catalog.sqlite.json()['dcat:dataset']['dct:temporal']);
    expect(catalog.influx.json()['dcat:dataset']['dct:temporal']['dcat:startDate']['@value']).toBe(history[0]!.observedAt);
  });

  it("never shows another kommune's records in any export, though they share device and asset ids", async () => {
    const { get, sqlite: onSqlite, influx: onInflux } = await start();
    /** What only Aarhus's records and registry hold. */
    const leaks = /\bgw-1\b|loose-1|=cmd|[Gg]enbrug|Møllevej/;
    const aarhusIds = aarhus.map((record) => record.id);

    // København sees its own records only.
    const all = await get(`/api/v1/export/records?format=ndjson&${day}`, 'kbh');
    expect(ndjson(all.influx.body)).toEqual(foreign);
    expect(all.influx.body).toBe(all.sqlite.body);
    const csv = await get(`/api/v1/export/records?standard=fill-level/1&${day}&assetId=c-1`, 'kbh');
    expect(csv.influx.body.split('\r\n').slice(1, -1).map((row) => row.slice(0, 36))).toEqual([foreignFill.id]);
    expect(csv.influx.body).toBe(csv.sqlite.body);
    const temporal = await get(`/api/v1/assets/c-1/ngsi-ld/temporal?${day}`, 'kbh');
    expect(temporal.influx.json().fillingLevel).toEqual([{ type: 'Property', value: 0.99, observedAt: foreignFill.observedAt }]);
    expect(temporal.influx.json()).toEqual(temporal.sqlite.json());
    const archive = await get('/api/v1/export/kommune', 'kbh');
    const files = untar(archive.influx.rawPayload);
    expect(JSON.parse(files.get('manifest.json')!.toString('utf8')).records).toMatchObject({ 'fill-level/1': 1, 'door-lock/1': 1 });
    expect(ndjson(files.get('records/fill-level-v1/part-00001.ndjson')!.toString('utf8'))).toEqual([foreignFill]);
    for (const [path, data] of files) {
      expect(data.toString('utf8'), path).not.toMatch(leaks);
      for (const id of aarhusIds) expect(data.toString('utf8'), path).not.toContain(id);
    }

    // Aarhus never sees København's.
    for (const url of [`/api/v1/export/records?format=ndjson&${day}`, `/api/v1/export/records?standard=fill-level/1&${day}`, `/api/v1/assets/c-1/ngsi-ld/temporal?${day}`, '/api/v1/export/kommune']) {
      const { influx } = await get(url, 'admin');
      expect(influx.statusCode, url).toBe(200);
      const text = url.endsWith('kommune') ? [...untar(influx.rawPayload).values()].map((data) => data.toString('utf8')).join('\n') : influx.body;
      expect(text, url).not.toMatch(/kbh-gw|0\.99|"0101"|,0101,|Rådhus/);
      expect(text, url).not.toContain(foreignFill.id);
      expect(text, url).not.toContain(foreignDoor.id);
    }
    for (const cloud of [onSqlite, onInflux]) await cloud.call('PUT', '/api/v1/opendata/datasets/fill-level-v1', cloud.tokens.kbh, {});
    const open = await get(`/open/v1/0101/datasets/fill-level-v1/records.csv?${day}`, null);
    expect(open.influx.body).toBe(open.sqlite.body);
    expect(open.influx.body.split('\r\n').slice(1, -1)).toEqual(['c-1,55.68,12.57,2026-03-01T10:15:00.000Z,good,0.99,111,,,,']);
    expect(open.influx.body).not.toMatch(leaks);
    expect((await get(`/open/v1/0751/datasets/fill-level-v1/records.csv?${day}`, null)).influx.statusCode).toBe(404);
  });
});
