import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SensorRecord } from '../../../standards/src/index.js';
import { exportRoutes } from '../../../cloud/src/export/routes.js';
import { startTestCloud } from '../../support/cloud-app.js';
import { fillLevel, uuidV7 } from './export-fixtures.js';

const table = { path: 'opendata/datasets', description: 'the published open datasets', rows: (kommune: string) => [{ kommune, dataset: 'fill-level-v1' }] };

/** Unpacks with the system's tar (an independent reader of the format); fails on any warning. */
function unpack(archive: Buffer, dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, '..', `${Math.random().toString(36).slice(2)}.tar.gz`);
  writeFileSync(file, archive);
  execFileSync('tar', ['-xzf', file, '-C', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  const files: Record<string, string> = {};
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(folder, entry.name), `${prefix}${entry.name}/`);
      else files[`${prefix}${entry.name}`] = readFileSync(join(folder, entry.name), 'utf8');
    }
  };
  walk(dir, '');
  return files;
}

const ndjson = (text: string) => text.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);

describe('GET /api/v1/export/kommune', () => {
  it('streams a tar.gz of the registry, every record of every standard, the audit log and a manifest', async () => {
    const cloud = await startTestCloud({
      name: 'export',
      routes: ({ store, registry }) => [exportRoutes({ store, registry, tables: [table], limits: { archivePartBytes: 4096 } })],
    });
    const { call, tokens, store, registry, services, dir } = cloud;
    registry.put('0751', 'sites', { id: 'genbrug', name: 'Genbrugsstation Nord' });
    registry.put('0751', 'assets', { id: 'c-1', name: 'Glas', kind: 'waste-container', fraction: 'glas', volumeL: 2500, siteId: 'genbrug' });
    registry.put('0751', 'gateways', { id: 'gw-1', name: 'Nord', siteId: 'genbrug' });
    registry.put('0751', 'devices', { deviceKey: 'a84041000181c5d1', profile: 'milesight-em310-udl', assetId: 'c-1', gatewayId: 'gw-1', params: { emptyDistanceMm: 2000 } });
    registry.put('0101', 'sites', { id: 'kbh-site', name: 'Rådhuset' });
    const fills: SensorRecord[] = [];
    for (let i = 0; i < 60; i++) fills.push(fillLevel(new Date(Date.parse('2020-01-01T00:00:00Z') + i * 86_400_000 * 30).toISOString()));
    const door = {
      id: uuidV7('2026-02-01T08:00:00.000Z'), standard: 'door-lock/1', kommune: '0751', deviceId: 'door-7', assetId: 'd-7', gatewayId: 'gw-1',
      observedAt: '2026-02-01T08:00:00.000Z', receivedAt: '2026-02-01T08:00:01.000Z', quality: 'good', doorOpen: true, locked: false,
    } as SensorRecord;
    const heartbeat = {
      id: uuidV7('2026-02-01T09:00:00.000Z'), standard: 'gateway-heartbeat/1', kommune: '0751', deviceId: 'gw-1', gatewayId: 'gw-1',
      observedAt: '2026-02-01T09:00:00.000Z', receivedAt: '2026-02-01T09:00:00.000Z', quality: 'good', queueDepth: 0,
    } as SensorRecord;
    const foreign = { ...fillLevel('2026-02-01T10:00:00.000Z'), kommune: '0101', deviceId: 'kbh-1', assetId: 'kbh-c' } as SensorRecord;
    await store.write([...fills, door, heartbeat, foreign]);
    services.auditor.system('test.marker', { kommune: '0751' });

    expect((await call('GET', '/api/v1/export/kommune', tokens.affald)).statusCode).toBe(403);
    const response = await call('GET', '/api/v1/export/kommune', tokens.admin);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/gzip');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="sensorbro-0751-export-\d{8}T\d{4}Z\.tar\.gz"$/);
    const files = unpack(response.rawPayload, join(dir, 'unpacked-0751'));

    expect(files['README.md']).toMatch(/Kommune 0751 \(Aarhus\)/);
    const manifest = JSON.parse(files['manifest.json']!);
    expect(manifest).toMatchObject({ format: 'sensorbro-kommune-export/1', kommune: '0751', kommuneName: 'Aarhus' });
    expect(manifest.records).toEqual({ 'fill-level/1': 60, 'water-level/1': 0, 'meter-reading/1': 0, 'door-lock/1': 1, 'gateway-heartbeat/1': 1 });
    const listed = manifest.files.map((file: { path: string }) => file.path);
    expect([...listed, 'manifest.json'].sort()).toEqual(Object.keys(files).sort());
    for (const file of manifest.files.slice(1)) {
      expect(createHash('sha256').update(files[file.path]!).digest('hex'), file.path).toBe(file.sha256);
      expect(ndjson(files[file.path]!), file.path).toHaveLength(file.lines);
    }

    const fillParts = listed.filter((path: string) => path.startsWith('records/fill-level-v1/')).sort();
    expect(fillParts.length).toBeGreaterThan(1);
    expect(fillParts.flatMap((path: string) => ndjson(files[path]!))).toEqual(fills);
    expect(ndjson(files['records/door-lock-v1/part-00001.ndjson']!)).toEqual([door]);
    expect(ndjson(files['records/gateway-heartbeat-v1/part-00001.ndjson']!)).toEqual([heartbeat]);
    expect(ndjson(files['registry/sites/part-00001.ndjson']!)).toEqual([{ id: 'genbrug', name: 'Genbrugsstation Nord' }]);
    expect(ndjson(files['registry/devices/part-00001.ndjson']!)).toEqual([registry.get('0751', 'devices', 'a84041000181c5d1')]);
    expect(ndjson(files['registry/assets/part-00001.ndjson']!)).toHaveLength(1);
    expect(ndjson(files['registry/gateways/part-00001.ndjson']!)).toHaveLength(1);
    expect(ndjson(files['opendata/datasets/part-00001.ndjson']!)).toEqual([{ kommune: '0751', dataset: 'fill-level-v1' }]);
    const audit = ndjson(files['audit/part-00001.ndjson']!) as { action: string }[];
    expect(audit.map((entry) => entry.action)).toEqual(['test.marker', 'export.kommune']);
    expect(JSON.stringify(files)).not.toMatch(/kbh-/);

    const other = unpack((await call('GET', '/api/v1/export/kommune', tokens.kbh)).rawPayload, join(dir, 'unpacked-0101'));
    expect(JSON.parse(other['manifest.json']!).records['fill-level/1']).toBe(1);
    expect(ndjson(other['records/fill-level-v1/part-00001.ndjson']!)).toEqual([foreign]);
    expect(ndjson(other['registry/sites/part-00001.ndjson']!)).toEqual([{ id: 'kbh-site', name: 'Rådhuset' }]);
    expect(JSON.stringify(other)).not.toMatch(/a84041000181c5d1|genbrug/);
  });
});
