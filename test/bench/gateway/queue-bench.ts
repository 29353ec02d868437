import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import ts from 'typescript';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import { openSqliteQueue, type SqliteQueueOptions } from '../../../gateway/src/queue/sqlite-queue.js';
import type { SyncLevel } from '../../../gateway/src/queue/sqlite-file.js';
import type { SensorRecord } from '../../../standards/src/index.js';

/**
 * Durable queue micro-benchmark (run: `npx tsx test/bench/gateway/queue-bench.ts`).
 *  1. append BENCH_RECORDS (default 1,000,000) records in batches of 100, and again of 1000
 *     (default durability: fsync per append commit), timing only the append calls;
 *  2. file size and process RSS with them queued (in a fresh process as the gateway would be
 *     after a restart, and in this one);
 *  3. drain by peek(n) + acknowledge(ids) (n = 2000, and 500 / 5000), and by peekJson(2000) +
 *     acknowledge, the forwarder's loop (records as JSON text straight from their rows), against
 *     peek(2000) + JSON.stringify of each record on the same 200,000 records;
 *  4. what durability costs: appends of 1 / 10 / 100 records per commit and acknowledgements
 *     of 2000, with synchronous=FULL against NORMAL.
 * Prints figures only; no assertions. Ends with one summary line.
 */

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const total = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const silent = { info() {}, warn() {}, error() {} } as unknown as NonNullable<SqliteQueueOptions['logger']>;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

const startMs = Date.parse('2026-11-17T08:00:00Z');
let made = 0;
/** A realistic fill-level record: 2000 devices, one reading every 15 minutes each. */
function record(): SensorRecord {
  const n = made++;
  const observedMs = startMs + Math.floor(n / 2000) * 900_000 + (n % 2000) * 400;
  const observedAt = new Date(observedMs).toISOString();
  return {
    id: newRecordId(observedMs + 1200),
    standard: 'fill-level/1',
    kommune: '0751',
    deviceId: `em310-udl-${String(n % 2000).padStart(4, '0')}`,
    gatewayId: 'gw-0751-aarhus-01',
    observedAt,
    receivedAt: new Date(observedMs + 1200).toISOString(),
    quality: 'good',
    distanceMm: 200 + ((n * 37) % 1800),
    device: { batteryPercent: 100 - (n % 60) },
  } as SensorRecord;
}

function fileBytes(path: string): number {
  let size = 0;
  for (const suffix of ['', '-wal', '-shm']) size += statSync(path + suffix, { throwIfNoEntry: false })?.size ?? 0;
  return size;
}

function fill(path: string, count: number, batchSize: number, synchronous: SyncLevel = 'full') {
  const queue = openSqliteQueue({ path, quotaBytes: 8 * 1024 ** 3, logger: silent, synchronous });
  let appendMs = 0;
  for (let done = 0; done < count; done += batchSize) {
    const batch: SensorRecord[] = new Array(Math.min(batchSize, count - done));
    for (let i = 0; i < batch.length; i++) batch[i] = record();
    const t = performance.now();
    queue.append(batch);
    appendMs += performance.now() - t;
  }
  const stats = queue.stats();
  return { queue, rate: rate(count, appendMs), msPerCommit: appendMs / Math.ceil(count / batchSize), stats };
}

/** records: peek; json: peekJson (the forwarder's read); stringify: peek, then JSON.stringify of each record. */
type DrainForm = 'records' | 'json' | 'stringify';

function peekIds(queue: ReturnType<typeof openSqliteQueue>, peekSize: number, form: DrainForm): string[] {
  if (form === 'json') return queue.peekJson(peekSize).map((q) => q.id);
  const batch = queue.peek(peekSize);
  if (form === 'stringify') for (const q of batch) JSON.stringify(q.record);
  return batch.map((q) => q.record.id);
}

function drain(path: string, peekSize: number, acknowledgeSynchronous: SyncLevel = 'normal', form: DrainForm = 'records') {
  const queue = openSqliteQueue({ path, quotaBytes: 8 * 1024 ** 3, logger: silent, acknowledgeSynchronous });
  let drained = 0;
  let peekMs = 0;
  let ackMs = 0;
  for (;;) {
    const t0 = performance.now();
    const batch = peekIds(queue, peekSize, form);
    const t1 = performance.now();
    if (batch.length === 0) break;
    queue.acknowledge(batch);
    ackMs += performance.now() - t1;
    peekMs += t1 - t0;
    drained += batch.length;
  }
  const after = fileBytes(path);
  queue.close();
  return { drained, rate: rate(drained, peekMs + ackMs), peekRate: rate(drained, peekMs), ackRate: rate(drained, ackMs), fileAfter: after };
}

/**
 * RSS of a fresh plain-node process (the gateway runs compiled JavaScript; tsx alone would add
 * ~45 MB): the queue's TypeScript is transpiled into a scratch folder, then a probe measures RSS
 * with better-sqlite3 and pino loaded, then with the queue of `path` open, its stats read and
 * its first 50,000 records forwarded in batches of 2000 (peek + acknowledge) — and at its peak.
 */
function probeFreshProcess(dir: string, path: string): Promise<{ baseline: number; open: number; peak: number; depth: number }> {
  const out = join(dir, 'probe');
  for (const file of ['sqlite-queue', 'record-codec', 'sqlite-file']) {
    const source = readFileSync(join(repoRoot, 'gateway/src/queue', `${file}.ts`), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    mkdirSync(join(out, 'queue'), { recursive: true });
    writeFileSync(join(out, 'queue', `${file}.js`), js);
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }');
  symlinkSync(join(repoRoot, 'node_modules'), join(out, 'node_modules'), 'dir');
  writeFileSync(
    join(out, 'probe.js'),
    `import 'better-sqlite3';
import 'pino';
import { openSqliteQueue } from './queue/sqlite-queue.js';
const silent = { info() {}, warn() {}, error() {} };
const baseline = process.memoryUsage().rss;
const queue = openSqliteQueue({ path: process.argv[2], quotaBytes: 8 * 1024 ** 3, logger: silent });
const depth = queue.stats().depth;
for (let i = 0; i < 25; i++) queue.acknowledge(queue.peek(2000).map((q) => q.record.id));
const open = process.memoryUsage().rss;
queue.close();
process.stdout.write(JSON.stringify({ baseline, open, peak: process.resourceUsage().maxRSS * 1024, depth }));
`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(out, 'probe.js'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`probe exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-queue-bench-'));
  const pathA = join(dir, 'batches-100.db');
  const pathB = join(dir, 'batches-1000.db');
  try {
    console.log(`queue bench: ${fmt(total)} fill-level records, node ${process.version}, files in ${dir}`);

    // 1. Appends.
    const a = fill(pathA, total, 100);
    a.queue.close();
    console.log(`append, batches of 100:   ${fmt(a.rate)} records/s (${a.msPerCommit.toFixed(3)} ms per commit, synchronous=FULL)`);
    const b = fill(pathB, total, 1000);
    console.log(`append, batches of 1000:  ${fmt(b.rate)} records/s (${b.msPerCommit.toFixed(3)} ms per commit, synchronous=FULL)`);
    const payload = b.stats.bytes;

    // 2. Size and memory with them queued.
    gc();
    const rssHere = process.memoryUsage().rss;
    b.queue.close();
    const size = fileBytes(pathB);
    console.log(
      `queued: ${fmt(b.stats.depth)} records, payload ${mb(payload)} MiB (${(payload / b.stats.depth).toFixed(0)} B/record), ` +
        `file ${mb(size)} MiB (${(size / b.stats.depth).toFixed(0)} B/record, ${(size / payload).toFixed(2)}× payload)`,
    );
    const fresh = await probeFreshProcess(dir, pathB);
    console.log(
      `RSS with ${fmt(fresh.depth)} queued, fresh node process: ${mb(fresh.open)} MiB, peak ${mb(fresh.peak)} MiB ` +
        `(node + better-sqlite3 + pino alone ${mb(fresh.baseline)} MiB); ` +
        `this process after appending them: ${mb(rssHere)} MiB`,
    );

    // 3. Drain.
    const d2000 = drain(pathB, 2000);
    console.log(
      `drain peek(2000)+acknowledge: ${fmt(d2000.rate)} records/s over ${fmt(d2000.drained)} (peek ${fmt(d2000.peekRate)}/s, acknowledge ${fmt(d2000.ackRate)}/s); ` +
        `file after ${mb(d2000.fileAfter)} MiB`,
    );
    const d500 = drain(pathA, 500);
    console.log(`drain peek(500)+acknowledge:  ${fmt(d500.rate)} records/s over ${fmt(d500.drained)}; file after ${mb(d500.fileAfter)} MiB`);
    const c = fill(pathA, Math.min(total, 200_000), 1000, 'normal');
    c.queue.close();
    const d5000 = drain(pathA, 5000);
    console.log(`drain peek(5000)+acknowledge: ${fmt(d5000.rate)} records/s over ${fmt(d5000.drained)}`);
    const forms: Partial<Record<DrainForm, ReturnType<typeof drain>>> = {};
    for (const form of ['stringify', 'json'] as const) {
      fill(pathA, Math.min(total, 200_000), 1000, 'normal').queue.close();
      forms[form] = drain(pathA, 2000, 'normal', form);
    }
    const [viaStringify, viaJson] = [forms.stringify!, forms.json!];
    console.log(
      `drain as JSON text, 2000 at a time: peekJson ${fmt(viaJson.rate)} records/s (peek ${fmt(viaJson.peekRate)}/s) ` +
        `vs peek + JSON.stringify ${fmt(viaStringify.rate)} records/s (peek ${fmt(viaStringify.peekRate)}/s) over ${fmt(viaJson.drained)}`,
    );
    const peakRss = process.resourceUsage().maxRSS * 1024;

    // 4. Durability cost.
    const sync: Record<string, number> = {};
    for (const batchSize of [1, 10, 100]) {
      const cells: string[] = [];
      for (const level of ['full', 'normal'] as const) {
        const path = join(dir, `sync-${level}-${batchSize}.db`);
        const count = batchSize === 1 ? 5000 : 20_000;
        const r = fill(path, count, batchSize, level);
        r.queue.close();
        sync[`${level}${batchSize}`] = r.msPerCommit;
        cells.push(`${level.toUpperCase()} ${fmt(r.rate)} records/s (${r.msPerCommit.toFixed(3)} ms/commit)`);
      }
      console.log(`durability, appends of ${String(batchSize).padStart(3)}: ${cells.join(' | ')}`);
    }
    const ackCells: string[] = [];
    for (const level of ['full', 'normal'] as const) {
      const path = join(dir, `ack-${level}.db`);
      fill(path, 200_000, 1000, 'normal').queue.close();
      const r = drain(path, 2000, level);
      sync[`ack-${level}`] = r.rate;
      ackCells.push(`${level.toUpperCase()} ${fmt(r.rate)} records/s`);
    }
    console.log(`durability, drain peek(2000)+acknowledge: ${ackCells.join(' | ')}`);
    const fsyncMs = sync.full1! - sync.normal1!;

    console.log(
      `summary: append100=${a.rate}/s append1000=${b.rate}/s drain2000=${d2000.rate}/s drainJson2000=${viaJson.rate}/s drainStringify2000=${viaStringify.rate}/s ` +
        `file=${mb(size)}MiB@${b.stats.depth} rssFresh=${mb(fresh.open)}MiB rssFreshPeak=${mb(fresh.peak)}MiB peakRss=${mb(peakRss)}MiB fsyncPerCommit=${fsyncMs.toFixed(3)}ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
