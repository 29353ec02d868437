import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { buildCloudApp } from '../../../cloud/src/app.js';
import { openCloudDatabase } from '../../../cloud/src/db/open-database.js';
import { exportRoutes } from '../../../cloud/src/export/routes.js';
import { registryRoutes } from '../../../cloud/src/registry/routes.js';
import { openSqliteStore } from '../../../cloud/src/store/sqlite/sqlite-store.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { fleet, kommune, recordAt } from './year-data.js';

/**
 * Export benchmark (run: `npx tsx test/bench/cloud/export-bench.ts`). Prints figures, asserts nothing.
 * Loads BENCH_EXPORT_DEVICES (default 200) devices × BENCH_EXPORT_HOURS (default 2000) hourly
 * records into an embedded SQLite store, serves the cloud on a loopback port and downloads over
 * real HTTP, BENCH_EXPORT_RUNS (default 3) times each: every record as NDJSON, one standard as
 * CSV, and the kommune archive (tar.gz). Per download: records/s, MiB/s of the body, and the
 * peak growth of the process's heap and RSS over the download (sampled every 100 ms, after a
 * forced GC when run with --expose-gc, which slows the downloads a little); medians. A heap that
 * stays flat while the body grows with the data is what "streamed" means; the SQLite store reads
 * up to ~80,000 rows per page, which is the largest live chunk.
 */

const deviceCount = Number(process.env.BENCH_EXPORT_DEVICES ?? 200);
const hours = Number(process.env.BENCH_EXPORT_HOURS ?? 2000);
const runs = Number(process.env.BENCH_EXPORT_RUNS ?? 3);
const start = Date.parse('2025-01-01T00:00:00Z');
const mib = (bytes: number) => bytes / (1024 * 1024);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Download {
  seconds: number;
  bytes: number;
  heapGrowth: number;
  rssGrowth: number;
}

function download(url: string, token: string): Promise<Download> {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  let heapPeak = heapBefore;
  let rssPeak = rssBefore;
  // With --expose-gc each sample collects first, so the heap figure is what the download keeps alive, not garbage.
  const sampler = setInterval(() => {
    global.gc?.();
    const usage = process.memoryUsage();
    heapPeak = Math.max(heapPeak, usage.heapUsed);
    rssPeak = Math.max(rssPeak, usage.rss);
  }, 100);
  const began = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url}: HTTP ${response.statusCode}`));
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on('end', () => {
        clearInterval(sampler);
        resolve({ seconds: (performance.now() - began) / 1000, bytes, heapGrowth: heapPeak - heapBefore, rssGrowth: rssPeak - rssBefore });
      });
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-export-bench-'));
  const database = openCloudDatabase(join(dir, 'cloud.db'));
  const store = openSqliteStore({ dir: join(dir, 'store'), synchronous: 'normal' });
  try {
    const devices = fleet(deviceCount);
    const counts: Record<string, number> = {};
    let total = 0;
    for (let hour = 0; hour < hours; hour += 25) {
      const batch: SensorRecord[] = [];
      for (let h = hour; h < Math.min(hours, hour + 25); h++) for (const device of devices) batch.push(recordAt(device, start, h));
      for (const record of batch) counts[record.standard] = (counts[record.standard] ?? 0) + 1;
      total += batch.length;
      await store.write(batch);
    }
    const registry = registryRoutes(database);
    const { app, services } = await buildCloudApp({
      database, store, logger: pino({ level: 'silent' }), cookieSecret: 'bench-cookie-secret-0123456789abcdefghijklmnop', docs: false,
      routes: [registry.routes, exportRoutes({ store, registry: registry.repository })],
    });
    services.repositories.kommuner.ensure(kommune, 'Aarhus', new Date());
    const token = services.apiTokens.issue(kommune, { name: 'bench', roles: ['admin'] }).token;
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const to = new Date(start + hours * 3_600_000).toISOString();
    const csvStandard = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]![0];
    const cases = [
      { name: 'records NDJSON, all standards', url: `/api/v1/export/records?format=ndjson&from=2025-01-01T00:00:00Z&to=${to}`, records: total },
      { name: `records CSV, ${csvStandard}`, url: `/api/v1/export/records?format=csv&standard=${csvStandard}&from=2025-01-01T00:00:00Z&to=${to}`, records: counts[csvStandard]! },
      { name: 'kommune archive tar.gz', url: '/api/v1/export/kommune', records: total },
    ];
    console.log(`== export: ${fmt(total)} records (${deviceCount} devices × ${hours} h) in ${dir}; ${runs} downloads each over loopback HTTP; node ${process.version}${global.gc ? '' : ' (without --expose-gc the heap figures include garbage)'}`);
    const summary: string[] = [];
    for (const test of cases) {
      const results: Download[] = [];
      for (let run = 0; run < runs; run++) results.push(await download(`${base}${test.url}`, token));
      const rate = median(results.map((result) => test.records / result.seconds));
      const line = `${fmt(rate)} records/s, ${fmt(median(results.map((result) => mib(result.bytes) / result.seconds)), 1)} MiB/s of ${fmt(mib(results[0]!.bytes), 1)} MiB; heap growth ${fmt(mib(median(results.map((result) => result.heapGrowth))), 1)} MiB, RSS growth ${fmt(mib(median(results.map((result) => result.rssGrowth))), 1)} MiB (medians)`;
      console.log(`${test.name}: ${line}`);
      summary.push(`${test.name.split(',')[0]} ${fmt(rate)} rec/s, heap +${fmt(mib(median(results.map((result) => result.heapGrowth))), 1)} MiB for ${fmt(mib(results[0]!.bytes), 0)} MiB`);
    }
    console.log(`\nexport bench: ${summary.join('; ')}`);
    await app.close();
  } finally {
    await store.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
