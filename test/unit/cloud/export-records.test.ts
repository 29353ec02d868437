import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type SensorRecord, standardIds } from '../../../standards/src/index.js';
import { recordColumns } from '../../../cloud/src/export/record-columns.js';
import { lineStream } from '../../../cloud/src/export/text-stream.js';
import { exportRoutes } from '../../../cloud/src/export/routes.js';
import { startTestCloud } from '../../support/cloud-app.js';
import { fillLevel, uuidV7 } from './export-fixtures.js';

const start = () => startTestCloud({ name: 'export', routes: ({ store, registry }) => [exportRoutes({ store, registry })] });

const header =
  'id,standard,kommune,deviceId,assetId,gatewayId,observedAt,receivedAt,quality,qualityFlags,' +
  'device.batteryPercent,device.batteryV,device.rssiDbm,device.snrDb,distanceMm,fillLevel,tilted,lidOpen,temperatureC,fireAlarm,undecoded';

describe('GET /api/v1/export/records', () => {
  it('writes CSV with the documented columns, RFC 4180 quoting and the records of the range only', async () => {
    const { call, tokens, store } = await start();
    const first = fillLevel('2026-03-01T10:00:00.000Z', { qualityFlags: ['range:distanceMm', 'stale'], quality: 'suspect', tilted: true });
    const second = fillLevel('2026-03-01T11:00:00.000Z', { assetId: 'c-2, "Møllevej"', deviceId: '=cmd', device: { batteryV: 3.61 } });
    const outside = fillLevel('2026-03-02T00:00:00.000Z');
    const water: SensorRecord = { ...fillLevel('2026-03-01T10:30:00.000Z'), standard: 'water-level/1', waterDepthM: 1.25 } as unknown as SensorRecord;
    delete (water as Record<string, unknown>).distanceMm;
    delete (water as Record<string, unknown>).fillLevel;
    await store.write([first, second, outside, water]);

    const response = await call('GET', '/api/v1/export/records?format=csv&standard=fill-level/1&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', tokens.affald);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="sensorbro-0751-fill-level-v1-2026-03-01_2026-03-02.csv"');
    expect(response.body).toBe(
      `${header}\r\n` +
        `${first.id},fill-level/1,0751,a84041000181c5d1,c-1,gw-1,2026-03-01T10:00:00.000Z,2026-03-01T10:00:00.000Z,suspect,range:distanceMm|stale,87,,-97,7.5,820,0.59,true,,,,\r\n` +
        `${second.id},fill-level/1,0751,'=cmd,"c-2, ""Møllevej""",gw-1,2026-03-01T11:00:00.000Z,2026-03-01T11:00:00.000Z,good,,,3.61,,,820,0.59,,,,,\r\n`,
    );
  });

  it('writes semicolon CSV with decimal commas and a BOM for a Danish Excel', async () => {
    const { call, tokens, store } = await start();
    const record = fillLevel('2026-03-01T10:00:00.000Z', { temperatureC: -3.5 });
    await store.write([record]);
    const response = await call('GET', '/api/v1/export/records?standard=fill-level/1&from=2026-03-01T01:00:00%2B01:00&to=2026-03-02T00:00:00Z&sep=semicolon&decimal=comma&bom=true', tokens.affald);
    expect(response.statusCode).toBe(200);
    const lines = response.body.split('\r\n');
    expect(lines[0]).toBe(`\uFEFF${header.replaceAll(',', ';')}`);
    expect(lines[1]).toBe(`${record.id};fill-level/1;0751;a84041000181c5d1;c-1;gw-1;2026-03-01T10:00:00.000Z;2026-03-01T10:00:00.000Z;good;;87;;-97;7,5;820;0,59;;;-3,5;;`);
  });

  it('writes NDJSON of every standard: each line the record as stored', async () => {
    const { call, tokens, store } = await start();
    const records = [fillLevel('2026-03-01T10:00:00.000Z'), fillLevel('2026-03-01T12:00:00.000Z', { undecoded: [{ offset: 4, hex: 'ff00' }] })];
    await store.write(records);
    const response = await call('GET', '/api/v1/export/records?format=ndjson&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&assetId=c-1', tokens.admin);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="sensorbro-0751-records-c-1-2026-03-01_2026-03-02.ndjson"');
    expect(response.body.endsWith('\n')).toBe(true);
    expect(response.body.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual(records);
  });

  it('answers 400 naming the field', async () => {
    const { call, tokens } = await start();
    const cases: [string, RegExp][] = [
      ['format=csv&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', /^query\.standard: is required for format=csv/],
      ['format=xml&standard=fill-level/1&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', /^query\.format: /],
      ['standard=fill-level/1&from=yesterday&to=2026-03-02T00:00:00Z', /^query\.from: must be an ISO 8601 time/],
      ['standard=fill-level/1&from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', /^query\.to: must be after from/],
      ['standard=fill-level/1&from=2024-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', /^query\.to: must be at most 366 days after from/],
      ['standard=heat/1&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', /^query\.standard: /],
      ['standard=fill-level/1&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&decimal=comma', /^query\.decimal: comma needs sep=semicolon/],
      ['standard=fill-level/1&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&kommune=0101', /^query: Unrecognized key: "kommune"/],
    ];
    for (const [query, error] of cases) {
      const response = await call('GET', `/api/v1/export/records?${query}`, tokens.admin);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error, query).toMatch(error);
    }
    expect((await call('GET', '/api/v1/export/records?format=ndjson&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z')).statusCode).toBe(401);
  });

  it("never exports another kommune's records, and audits the export", async () => {
    const { call, tokens, store, services } = await start();
    await store.write([fillLevel('2026-03-01T10:00:00.000Z')]);
    const response = await call('GET', '/api/v1/export/records?format=ndjson&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&assetId=c-1', tokens.kbh);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    const csv = await call('GET', '/api/v1/export/records?standard=fill-level/1&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z', tokens.kbh);
    expect(csv.body).toBe(`${header}\r\n`);
    expect(services.repositories.audit.list('0101').map((entry) => [entry.action, entry.detail.format])).toEqual([
      ['export.records', 'csv'],
      ['export.records', 'ndjson'],
    ]);
    expect(services.repositories.audit.list('0751')).toEqual([]);
  });

  it('streams a range of 50,000 records', async () => {
    const { call, tokens, store } = await start();
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    for (let batch = 0; batch < 10; batch++) {
      const records: SensorRecord[] = [];
      for (let i = 0; i < 5_000; i++) {
        const at = new Date(t0 + (batch * 5_000 + i) * 60_000).toISOString();
        records.push(fillLevel(at, { id: uuidV7(at), distanceMm: i % 1000 }));
      }
      await store.write(records);
    }
    const response = await call('GET', '/api/v1/export/records?standard=fill-level/1&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', tokens.admin);
    expect(response.statusCode).toBe(200);
    const lines = response.body.split('\r\n');
    expect(lines).toHaveLength(50_002);
    expect(lines[50_001]).toBe('');
    expect(lines[1]).toMatch(/,2026-01-01T00:00:00.000Z,/);
    expect(lines[50_000]).toMatch(new RegExp(`,${new Date(t0 + 49_999 * 60_000).toISOString()},`));
  });
});

describe('lineStream', () => {
  it('pulls lines only as fast as the reader reads them (backpressure)', async () => {
    let produced = 0;
    let ended = false;
    async function* endless() {
      try {
        for (;;) {
          produced += 1;
          yield `${'x'.repeat(99)}\n`;
        }
      } finally {
        ended = true;
      }
    }
    const stream = lineStream(endless(), 1_000);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      if (chunks.length === 3) break;
    }
    expect(chunks[0]).toHaveLength(1_000);
    // Three chunks read, the stream's buffer (highWaterMark 1000 bytes) refilled at most once or twice more.
    expect(produced).toBeLessThan(100);
    // Breaking out destroys the stream, which ends the source (in the routes: closes the store query).
    expect(stream.destroyed).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(true);
  });
});

describe('export README', () => {
  it('lists the CSV columns of every standard as the code writes them', () => {
    const readme = readFileSync(new URL('../../../cloud/src/export/README.md', import.meta.url), 'utf8');
    for (const standard of standardIds) {
      const columns = recordColumns(standard);
      expect(columns.slice(0, 14).concat(columns.at(-1)!)).toEqual([...header.split(',').slice(0, 14), 'undecoded']);
      expect(readme, standard).toContain(`| \`${standard}\` | ${columns.slice(14, -1).join(', ')} |`);
    }
  });
});
