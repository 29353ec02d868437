import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InfluxDB, type IPoint } from 'influx';
import pino from 'pino';
import { openInfluxStore } from '../../../cloud/src/store/influx/influx-store.js';
import { rawPolicy } from '../../../cloud/src/store/influx/influxql.js';
import { toPoint } from '../../../cloud/src/store/influx/writer.js';
import { openSqliteStore } from '../../../cloud/src/store/sqlite/sqlite-store.js';
import type { TimeSeriesStore } from '../../../cloud/src/store/time-series-store.js';
import { influxdBinary, startInfluxd } from '../../support/influxd.js';
import { completeDataset, dropPageCache, timeColdSiteQuery, timeDashboardQueries } from './dashboard-queries.js';
import { dataDir } from './generate-year.js';
import { cpuSeconds, findProcess, type IngestShape, makeRound, postRound, type Round, startCloud } from './ingest-load.js';
import { kommune } from './year-data.js';

/**
 * Cloud benchmark (`npm run bench:cloud`). Prints figures, asserts nothing; ends with
 * `cloud: ingest sqlite <N>/s, influx <N>/s, raw-influx <N>/s, query p95 <N> ms`.
 *
 * 1. Ingest through the real HTTP endpoint: a cloud app on a loopback port, BENCH_GATEWAYS (8)
 *    gateways posting gzip batches of BENCH_INGEST_BATCH (500) records at once, each one request
 *    at a time; BENCH_ROUNDS (5) rounds of BENCH_INGEST_DEVICES (2,000) devices × BENCH_ROUND_HOURS
 *    (25) hours after a warm-up round; records/s per round and the median. First the SQLite store,
 *    then the InfluxDB store against an influxd started here, each of its rounds followed by a
 *    round of the reference: a plain `influx.writePoints` loop writing the same points (built
 *    beforehand with the store's own toPoint) in requests of the same size to another database.
 *    The InfluxDB store's daily rollups (brought up to date every 2 s while writing) are caught up
 *    after each of its rounds, outside the round's time, so they never run during a reference
 *    round; that time is printed, and the rate counting it too. CPU µs per record of this process
 *    and of influxd (from /proc) are printed per round: the machine is shared, rates vary.
 * 2. Query latency of the dashboard queries on a generated year (BENCH_DEVICES, default 10,000,
 *    in ~/.cache/sensorbro-bench/year-<devices> or BENCH_DATA; generate-year.ts makes it), on the
 *    embedded store, BENCH_QUERY_RUNS (100) runs each after a warm-up: p50 / p95; the summary
 *    names the worst p95.
 */

const shape: IngestShape = {
  devices: Number(process.env.BENCH_INGEST_DEVICES ?? 2000),
  gateways: Number(process.env.BENCH_GATEWAYS ?? 8),
  batch: Number(process.env.BENCH_INGEST_BATCH ?? 500),
  hoursPerRound: Number(process.env.BENCH_ROUND_HOURS ?? 25),
};
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const queryRuns = Number(process.env.BENCH_QUERY_RUNS ?? 100);
const queryDevices = Number(process.env.BENCH_DEVICES ?? 10_000);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const plain = (n: number) => String(Math.round(n));

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds 1 … rounds timed, round 0 a warm-up; records/s of each timed round. */
async function ingestRounds(label: string, all: readonly Round[], post: (round: Round, index: number) => Promise<number>, after?: (index: number) => Promise<void>): Promise<number[]> {
  const rates: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const seconds = await post(all[i]!, i);
    const rate = all[i]!.records.length / seconds;
    if (i > 0) rates.push(rate);
    console.log(`${label} ${i === 0 ? 'warm-up' : `round ${i}`}: ${fmt(rate)} records/s (${fmt(all[i]!.records.length)} in ${seconds.toFixed(2)} s)`);
    await after?.(i);
  }
  return rates;
}

async function sqliteIngest(all: readonly Round[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-cloud-bench-sqlite-'));
  const store = openSqliteStore({ dir: join(dir, 'store') });
  const cloud = await startCloud(store, dir, shape.gateways);
  try {
    let cpu = 0;
    const rates = await ingestRounds(
      'sqlite store via HTTP',
      all,
      async (round) => {
        const before = process.cpuUsage();
        const seconds = await postRound(cloud, round);
        const used = process.cpuUsage(before);
        cpu = (used.user + used.system) / round.records.length;
        return seconds;
      },
      async () => console.log(`  CPU per record: this process ${fmt(cpu)} µs`),
    );
    const result = median(rates);
    console.log(`sqlite store via HTTP: median ${fmt(result)} records/s`);
    return result;
  } finally {
    await cloud.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits for the store's daily rollups: a range query recomputes the pending ones first. */
async function catchUpRollups(store: TimeSeriesStore): Promise<void> {
  await store.range({ kommune, standard: 'fill-level/1', assetId: 'container-00000', field: 'distanceMm', from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z', bucket: '1d', aggregate: 'max' });
}

async function influxIngest(all: readonly Round[]): Promise<{ store: number; raw: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-cloud-bench-influx-'));
  const server = await startInfluxd();
  try {
    const influxd = findProcess(join(server.dir, 'influxdb.conf'));
    /** CPU µs per record of this process and of influxd while `task` runs. */
    const cpuOf = async <T>(records: number, task: () => Promise<T>): Promise<{ result: T; text: string }> => {
      const node = process.cpuUsage();
      const influxdBefore = cpuSeconds(influxd);
      const result = await task();
      const used = process.cpuUsage(node);
      const perRecord = (seconds: number) => fmt((seconds * 1e6) / records);
      return { result, text: `CPU per record: this process ${perRecord((used.user + used.system) / 1e6)} µs, influxd ${perRecord(cpuSeconds(influxd) - influxdBefore)} µs` };
    };
    const store = await openInfluxStore({ url: server.url, database: 'bench_store', ledgerPath: join(dir, 'influx-ledger.db') });
    const cloud = await startCloud(store, dir, shape.gateways);
    const client = new InfluxDB({ host: '127.0.0.1', port: server.port, database: 'bench_raw' });
    await client.createDatabase('bench_raw');
    await client.createRetentionPolicy(rawPolicy, { database: 'bench_raw', duration: 'INF', replication: 1, isDefault: true });
    const rawRates: number[] = [];
    /** Records/s counting the round and the rollups' catch-up after it. */
    const withRollups: number[] = [];
    let roundCpu = '';
    let roundSeconds = 0;
    let storeRates: number[];
    try {
      storeRates = await ingestRounds(
        'influx store via HTTP',
        all,
        async (round) => {
          const { result, text } = await cpuOf(round.records.length, () => postRound(cloud, round));
          roundCpu = text;
          roundSeconds = result;
          return result;
        },
        async (index) => {
          console.log(`  ${roundCpu}`);
          const records = all[index]!.records.length;
          const start = performance.now();
          const rollups = await cpuOf(records, () => catchUpRollups(store));
          const catchUp = (performance.now() - start) / 1000;
          if (index > 0) withRollups.push(records / (roundSeconds + catchUp));
          console.log(`  daily rollups caught up in ${catchUp.toFixed(2)} s; ${rollups.text}`);
          const points: IPoint[] = all[index]!.records.map((record) => toPoint(record));
          const began = performance.now();
          const raw = await cpuOf(records, async () => {
            for (let i = 0; i < points.length; i += shape.batch) {
              await client.writePoints(points.slice(i, i + shape.batch), { retentionPolicy: rawPolicy, precision: 'n' });
            }
          });
          const rate = points.length / ((performance.now() - began) / 1000);
          if (index > 0) rawRates.push(rate);
          console.log(`  raw influx.writePoints loop ${index === 0 ? 'warm-up' : `round ${index}`}: ${fmt(rate)} records/s; ${raw.text}`);
        },
      );
    } finally {
      await cloud.close();
      await store.close();
    }
    const result = { store: median(storeRates), raw: median(rawRates) };
    const ratios = storeRates.map((rate, i) => rate / rawRates[i]!);
    console.log(
      `influx store via HTTP: median ${fmt(result.store)} records/s; raw writePoints loop: median ${fmt(result.raw)} records/s; ` +
        `ratio of medians ${(result.store / result.raw).toFixed(2)}× (per round ${ratios.map((r) => r.toFixed(2)).join(', ')}; goal ≥ 0.80)`,
    );
    console.log(
      `influx store counting the rollups' catch-up after each round too: median ${fmt(median(withRollups))} records/s, ${(median(withRollups) / result.raw).toFixed(2)}× the raw loop`,
    );
    return result;
  } finally {
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const datasetDir = dataDir(queryDevices);
  const manifest = completeDataset(datasetDir);
  if (!manifest) {
    console.error(
      `no complete dataset in ${datasetDir} (a ${fmt(queryDevices)}-device year); generate it once (hours for 10,000 devices): ` +
        `BENCH_DEVICES=${queryDevices} npx tsx test/bench/cloud/generate-year.ts, or choose another with BENCH_DEVICES=1000 / BENCH_DATA=<dir>`,
    );
    process.exitCode = 1;
    return;
  }
  if (!influxdBinary) {
    console.error('influxd is not installed (apt-get install -y influxdb); the InfluxDB figures need it');
    process.exitCode = 1;
    return;
  }

  console.log(
    `== ingest through POST /api/v1/ingest: ${shape.gateways} gateways at once, gzip batches of ${fmt(shape.batch)}; ` +
      `rounds of ${fmt(shape.devices)} devices × ${shape.hoursPerRound} h = ${fmt(shape.devices * shape.hoursPerRound)} records; warm-up + ${rounds} rounds`,
  );
  const all = Array.from({ length: rounds + 1 }, (_, i) => makeRound(shape, i));
  const sqlite = await sqliteIngest(all);
  const influx = await influxIngest(all);

  console.log(`\n== query latency on the embedded store: ${fmt(manifest.records)} records (${fmt(manifest.devices)} devices × ${manifest.days} days hourly) in ${datasetDir}; ${queryRuns} runs each after 10 warm-up runs, each run another asset or site`);
  // an older store format is upgraded at open (minutes on this dataset)
  const store = openSqliteStore({ dir: datasetDir, cacheMiB: 256, logger: pino() });
  console.log(dropPageCache());
  let worst: number;
  try {
    const timings = await timeDashboardQueries(store, manifest, queryRuns);
    worst = Math.max(...timings.map((timing) => timing.p95));
  } finally {
    await store.close();
  }
  // For comparison (not in the summary): the site query with nothing cached at all.
  const coldStore = openSqliteStore({ dir: datasetDir, cacheMiB: 256 });
  try {
    await timeColdSiteQuery(coldStore, manifest, 30);
  } finally {
    await coldStore.close();
  }
  console.log(`\ncloud: ingest sqlite ${plain(sqlite)}/s, influx ${plain(influx.store)}/s, raw-influx ${plain(influx.raw)}/s, query p95 ${plain(worst)} ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
