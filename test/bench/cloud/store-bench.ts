import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InfluxDB } from 'influx';
import { openInfluxStore } from '../../../cloud/src/store/influx/influx-store.js';
import { rawPolicy } from '../../../cloud/src/store/influx/influxql.js';
import { toPoint } from '../../../cloud/src/store/influx/writer.js';
import { openSqliteStore } from '../../../cloud/src/store/sqlite/sqlite-store.js';
import type { TimeSeriesStore } from '../../../cloud/src/store/time-series-store.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { influxdBinary, startInfluxd } from '../../support/influxd.js';
import { completeDataset, timeDashboardQueries } from './dashboard-queries.js';
import { benchStart, dataDir } from './generate-year.js';
import { fleet, recordAt } from './year-data.js';

/**
 * Store benchmark (run: `npx tsx test/bench/cloud/store-bench.ts`). Prints figures, asserts nothing.
 *
 * 1. Write throughput, records/s, on the same records (1,000 devices × BENCH_WRITE_HOURS hours,
 *    in write() calls of BENCH_BATCH records): the SQLite store (default durability: fsync per
 *    commit), the InfluxDB store (points, rollups, ledger) against an influxd started here, and as
 *    the reference a plain loop of `influx.writePoints` with the same points and batches.
 * 2. Query latency on the generated year (test/bench/cloud/generate-year.ts; BENCH_DEVICES,
 *    default 1000): one asset's year at hourly buckets, the kommune's latest state, a site's
 *    daily consumption for the year (rangeMany, sum-delta), one asset's year at daily buckets;
 *    BENCH_QUERY_RUNS (default 200) each after a warm-up, p50 / p95 / max.
 *
 * The machine is shared; the CPU time of this process is printed beside wall time.
 */

const writeHours = Number(process.env.BENCH_WRITE_HOURS ?? 200);
const batchSize = Number(process.env.BENCH_BATCH ?? 5000);
const runs = Number(process.env.BENCH_QUERY_RUNS ?? 200);
const queryDevices = Number(process.env.BENCH_DEVICES ?? 1000);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function writeRecords(): SensorRecord[][] {
  const devices = fleet(1000);
  const all: SensorRecord[] = [];
  for (let hour = 0; hour < writeHours; hour++) for (const device of devices) all.push(recordAt(device, benchStart, hour));
  const batches: SensorRecord[][] = [];
  for (let i = 0; i < all.length; i += batchSize) batches.push(all.slice(i, i + batchSize));
  return batches;
}

interface Timing {
  rate: number;
  cpuRate: number;
}

async function timeWrites(batches: readonly SensorRecord[][], write: (batch: readonly SensorRecord[]) => Promise<unknown>, finish?: () => Promise<unknown>): Promise<Timing> {
  const count = batches.reduce((sum, batch) => sum + batch.length, 0);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const batch of batches) await write(batch);
  await finish?.();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: count / seconds, cpuRate: count / ((used.user + used.system) / 1e6) };
}

async function writeBench(): Promise<string> {
  const batches = writeRecords();
  const count = batches.reduce((sum, batch) => sum + batch.length, 0);
  console.log(`\n== write throughput: ${fmt(count)} records (1,000 devices × ${writeHours} h), write() calls of ${fmt(batchSize)}`);
  const figures: string[] = [];

  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-store-bench-'));
  try {
    const store = openSqliteStore({ dir });
    const sqlite = await timeWrites(batches, (batch) => store.write(batch));
    await store.close();
    console.log(`sqlite store (fsync per commit): ${fmt(sqlite.rate)} records/s (${fmt(sqlite.cpuRate)} per CPU-second of this process)`);
    figures.push(`sqlite ${fmt(sqlite.rate)}/s`);

    if (!influxdBinary) {
      console.log('influx: SKIPPED, influxd not installed (apt-get install -y influxdb)');
      return figures.join(', ');
    }
    const server = await startInfluxd();
    try {
      const influxStore = await openInfluxStore({ url: server.url, database: 'bench_store', ledgerPath: join(dir, 'ledger.db') });
      // timed until close(), which waits for the last daily rollups
      const influx = await timeWrites(batches, (batch) => influxStore.write(batch), () => influxStore.close());
      console.log(`influx store (points + ledger, daily rollups recomputed every 2 s and at close): ${fmt(influx.rate)} records/s`);

      const client = new InfluxDB({ host: '127.0.0.1', port: server.port, database: 'bench_reference' });
      await client.createDatabase('bench_reference');
      await client.createRetentionPolicy(rawPolicy, { database: 'bench_reference', duration: 'INF', replication: 1, isDefault: true });
      const pointBatches = batches.map((batch) => batch.map((record) => toPoint(record)));
      let next = 0;
      const reference = await timeWrites(batches, async () => {
        await client.writePoints(pointBatches[next++]!, { precision: 'n', retentionPolicy: rawPolicy });
      });
      console.log(`influx.writePoints loop (reference: same points, no ledger, no rollups): ${fmt(reference.rate)} records/s`);
      figures.push(`influx store ${fmt(influx.rate)}/s`, `writePoints ${fmt(reference.rate)}/s`);
    } finally {
      await server.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures.join(', ');
}

async function queryBench(): Promise<string> {
  const dir = dataDir(queryDevices);
  const manifest = completeDataset(dir);
  if (!manifest) {
    console.log(`\n== query latency: SKIPPED, no complete dataset in ${dir}; generate it: BENCH_DEVICES=${queryDevices} npx tsx test/bench/cloud/generate-year.ts`);
    return 'queries skipped';
  }
  console.log(`\n== query latency: ${fmt(manifest.records)} records (${fmt(manifest.devices)} devices × ${manifest.days} days hourly) in ${dir}; ${runs} runs each after 10 warm-up runs, each run another asset or site`);
  const store: TimeSeriesStore = openSqliteStore({ dir, cacheMiB: 256 });
  try {
    const timings = await timeDashboardQueries(store, manifest, runs);
    return timings.map((timing) => `${timing.name} p95 ${timing.p95.toFixed(1)} ms`).join(', ');
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const writes = process.env.BENCH_SKIP_WRITES ? 'writes skipped' : await writeBench();
  const queries = await queryBench();
  console.log(`\nstore bench: writes ${writes}; queries ${queries}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
