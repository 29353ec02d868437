import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { buildCloudApp } from '../../../cloud/src/app.js';
import { openCloudDatabase } from '../../../cloud/src/db/open-database.js';
import { queryRoutes } from '../../../cloud/src/query/query-routes.js';
import { registryRoutes } from '../../../cloud/src/registry/routes.js';
import { openStore } from '../../../cloud/src/store/open-store.js';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import type { SensorRecord } from '../../../standards/src/index.js';

/**
 * The query API over real HTTP on loopback, embedded store: a kommune of 10,000 waste containers,
 * each with a registered device and 8 readings a day for 3 days (240,000 records). Times the
 * fleet's latest state in one request, the device health of all 10,000 devices in one request,
 * and the kommune's mean fill level per day (rangeMany over 10,000 assets). Prints medians and p95.
 *
 *   flock /tmp/bench.lock npx tsx test/bench/cloud/query-bench.ts
 */

const assets = 10_000;
const readingsPerDay = 8;
const days = 3;
const runs = 30;
const kommune = '0751';
const start = Date.parse('2026-03-01T23:00:00Z');
const now = new Date(start + days * 86_400_000);

const id = (i: number) => `c-${String(i).padStart(5, '0')}`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-query-bench-'));
  const database = openCloudDatabase(join(dir, 'cloud.db'));
  const store = await openStore({ kind: 'sqlite' }, { dataDir: dir });
  try {
    const registry = registryRoutes(database);
    const { app, services } = await buildCloudApp({
      database,
      store,
      logger: pino({ level: 'silent' }),
      cookieSecret: 'bench-cookie-secret-0123456789abcdefghijklmnop',
      clock: () => now,
      docs: false,
      routes: [registry.routes, queryRoutes({ store, registry: registry.repository })],
    });
    services.repositories.kommuner.ensure(kommune, 'Aarhus', now);
    const token = services.apiTokens.issue(kommune, { name: 'bench', roles: ['affald'] }).token;

    const setupStarted = performance.now();
    registry.repository.put(kommune, 'gateways', { id: 'gw-1', name: 'Gateway' });
    registry.repository.putMany(kommune, 'assets', Array.from({ length: assets }, (_, i) => ({
      id: id(i), name: `Container ${i}`, kind: 'waste-container', fraction: i % 2 === 0 ? 'glas' : 'papir', volumeL: 2500,
    })));
    registry.repository.putMany(kommune, 'devices', Array.from({ length: assets }, (_, i) => ({
      deviceKey: `dev-${String(i).padStart(5, '0')}`, profile: 'milesight-em310-udl', assetId: id(i), gatewayId: 'gw-1',
    })));
    const stepMs = 86_400_000 / readingsPerDay;
    for (let step = 0; step < days * readingsPerDay; step++) {
      const records: SensorRecord[] = [];
      for (let i = 0; i < assets; i++) {
        const observed = start + step * stepMs + (i % 600) * 1000;
        const fillLevel = ((step + i) % 20) / 20;
        records.push({
          id: newRecordId(observed + 500),
          standard: 'fill-level/1',
          kommune,
          deviceId: `dev-${String(i).padStart(5, '0')}`,
          assetId: id(i),
          gatewayId: 'gw-1',
          observedAt: new Date(observed).toISOString(),
          receivedAt: new Date(observed + 2000).toISOString(),
          quality: 'good',
          device: { batteryPercent: 90, rssiDbm: -100, snrDb: 5 },
          distanceMm: Math.round(1500 * (1 - fillLevel)),
          fillLevel,
        } as SensorRecord);
      }
      await store.write(records);
    }
    const setupS = (performance.now() - setupStarted) / 1000;

    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const timings: string[] = [];
    const time = async (name: string, path: string, list: 'records' | 'devices' | 'buckets') => {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < runs + 5; i++) {
        const began = performance.now();
        const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await response.text();
        // Until the whole answer has arrived; the client's JSON.parse is not the API's time.
        const took = performance.now() - began;
        if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
        rows = ((JSON.parse(text) as Record<string, unknown[]>)[list] ?? []).length;
        if (i >= 5) times.push(took);
      }
      times.sort((a, b) => a - b);
      const line = `${name}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms (${rows} rows)`;
      console.log(line);
      timings.push(`${name} p50 ${percentile(times, 50).toFixed(0)} ms`);
    };
    const inProcess = async (name: string, run: () => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < runs + 5; i++) {
        const began = performance.now();
        await run();
        if (i >= 5) times.push(performance.now() - began);
      }
      times.sort((a, b) => a - b);
      console.log(`${name}, in process: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`);
    };
    await inProcess('store.latest() of 10k', () => store.latest({ kommune }));
    const all = Array.from({ length: assets }, (_, i) => id(i));
    await inProcess('store.rangeMany() of 10k assets, 3 days 1d', () =>
      store.rangeMany({ kommune, standard: 'fill-level/1', assetIds: all, field: 'fillLevel', from: '2026-03-01T23:00:00Z', to: '2026-03-04T23:00:00Z', bucket: '1d', aggregate: 'mean' }),
    );
    console.log(`dataset: ${assets} containers × ${readingsPerDay * days} readings, set up in ${setupS.toFixed(1)} s; ${runs} timed runs each over HTTP`);
    await time('latest 10k', '/api/v1/latest?limit=10000', 'records');
    await time('latest 10k fill-level', '/api/v1/latest?standard=fill-level/1&limit=10000', 'records');
    await time('device health 10k', '/api/v1/devices/health?limit=10000', 'devices');
    await time('kommune range 10k assets 3 days 1d', '/api/v1/range?standard=fill-level/1&from=2026-03-02&to=2026-03-05&bucket=1d', 'buckets');
    await time('asset range 3 days 1h', `/api/v1/assets/${id(42)}/range?from=2026-03-02&to=2026-03-05&bucket=1h`, 'buckets');
    console.log(`query: ${timings.join(', ')}`);
    await app.close();
  } finally {
    await store.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
