import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../../../cloud/src/store/sqlite/sqlite-store.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { fleet, kommune, recordAt, sites } from './year-data.js';

/**
 * Generates a year of hourly readings for the query benchmark into an embedded store outside the
 * repository (run: `npx tsx test/bench/cloud/generate-year.ts`; a few minutes for 1,000 devices,
 * see the printed estimate for 10,000).
 *
 *   BENCH_DEVICES   devices (default 1000; the target dataset is 10000 ≈ 87.6 million records)
 *   BENCH_DAYS      days from 2025-01-01 00:00 UTC (default 365)
 *   BENCH_DATA      folder (default ~/.cache/sensorbro-bench/year-<devices>)
 *
 * Written hour by hour, all devices' readings of an hour in batches of 5,000, as live ingest
 * would. Reusable: a finished folder is left alone; an interrupted one resumes at the hour it had
 * reached (the ids are deterministic, so the hour written twice is taken as duplicates).
 * The folder's manifest.json names the sites and their meters for the query benchmark.
 */

export interface Manifest {
  kommune: string;
  devices: number;
  days: number;
  start: string;
  end: string;
  records: number;
  /** Hours written so far (all of them when done). */
  hoursDone: number;
  done: boolean;
  writeSeconds: number;
  sites: Record<string, string[]>;
  fillAssets: string[];
}

export const benchStart = Date.parse('2025-01-01T00:00:00Z');

export function dataDir(devices: number): string {
  return process.env.BENCH_DATA ?? join(homedir(), '.cache', 'sensorbro-bench', `year-${devices}`);
}

function fileBytes(path: string): number {
  let size = 0;
  for (const suffix of ['', '-wal', '-shm']) size += statSync(path + suffix, { throwIfNoEntry: false })?.size ?? 0;
  return size;
}

async function main(): Promise<void> {
  const devicesCount = Number(process.env.BENCH_DEVICES ?? 1000);
  const days = Number(process.env.BENCH_DAYS ?? 365);
  const dir = dataDir(devicesCount);
  const manifestPath = join(dir, 'manifest.json');
  const devices = fleet(devicesCount);
  const hours = days * 24;
  let manifest: Manifest = {
    kommune,
    devices: devicesCount,
    days,
    start: new Date(benchStart).toISOString(),
    end: new Date(benchStart + hours * 3_600_000).toISOString(),
    records: 0,
    hoursDone: 0,
    done: false,
    writeSeconds: 0,
    sites: sites(devices),
    fillAssets: devices.filter((d) => d.kind === 'fill').map((d) => d.assetId),
  };
  if (existsSync(manifestPath)) {
    const found = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (found.devices !== devicesCount || found.days !== days) throw new Error(`${dir} holds another dataset (${found.devices} devices, ${found.days} days); set BENCH_DATA`);
    if (found.done) {
      console.log(`${dir}: complete (${found.records.toLocaleString('en-US')} records); nothing to do`);
      return;
    }
    manifest = found;
    console.log(`${dir}: resuming at hour ${found.hoursDone} of ${hours}`);
  }
  mkdirSync(dir, { recursive: true });
  const store = openSqliteStore({ dir, synchronous: 'normal', cacheMiB: 512 });
  const save = () => writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
  save();
  const began = performance.now();
  const secondsBefore = manifest.writeSeconds;
  let lastReport = began;
  let writtenNow = 0;
  // Several hours per transaction: each commit then writes a series' pages once for several readings.
  const batchSize = Math.max(5000, devicesCount * 4);
  let batch: SensorRecord[] = [];
  const flush = async (hoursDone: number) => {
    if (batch.length > 0) {
      const outcomes = await store.write(batch);
      writtenNow += outcomes.filter((o) => o === 'stored').length;
      batch = [];
    }
    manifest.hoursDone = hoursDone;
    manifest.records = hoursDone * devicesCount;
  };
  for (let hour = manifest.hoursDone; hour < hours; hour++) {
    for (const device of devices) batch.push(recordAt(device, benchStart, hour));
    if (batch.length < batchSize && hour < hours - 1) continue;
    await flush(hour + 1);
    const now = performance.now();
    if (now - lastReport > 30_000 || hour === hours - 1) {
      lastReport = now;
      manifest.writeSeconds = secondsBefore + (now - began) / 1000;
      save();
      const rate = writtenNow / ((now - began) / 1000);
      const left = (hours - hour - 1) * devicesCount;
      console.log(
        `hour ${hour + 1}/${hours}: ${manifest.records.toLocaleString('en-US')} records, ${Math.round(rate).toLocaleString('en-US')} records/s, ` +
          `${(fileBytes(join(dir, 'store.db')) / 1024 ** 3).toFixed(2)} GiB, ~${Math.round(left / rate / 60)} min left`,
      );
    }
  }
  await store.close();
  manifest.done = true;
  manifest.writeSeconds = secondsBefore + (performance.now() - began) / 1000;
  save();
  const bytes = fileBytes(join(dir, 'store.db'));
  const rate = manifest.records / manifest.writeSeconds;
  const full = 10_000 * 8760;
  console.log(
    `generated ${manifest.records.toLocaleString('en-US')} records in ${Math.round(manifest.writeSeconds)} s (${Math.round(rate).toLocaleString('en-US')} records/s), ` +
      `${(bytes / 1024 ** 3).toFixed(2)} GiB (${Math.round(bytes / manifest.records)} bytes/record) in ${dir}; ` +
      `at this rate the full 10,000-device year (${full.toLocaleString('en-US')} records) takes ~${(full / rate / 3600).toFixed(1)} h and ~${((bytes / manifest.records) * full / 1024 ** 3).toFixed(0)} GiB`,
  );
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('generate-year.ts') || process.argv[1]?.endsWith('generate-year.js')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
