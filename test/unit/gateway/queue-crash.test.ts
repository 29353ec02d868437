import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteQueue } from '../../../gateway/src/queue/sqlite-queue.js';

/**
 * kill -9 safety: a child process appends batches in a loop and acknowledges older ones, telling
 * the parent on stdout (synchronous writes) *after* each call returned:
 *   A <ids>  appended (committed)        P <ids>  about to acknowledge
 *   K <ids>  acknowledged (committed)
 * The parent kills it with SIGKILL at an arbitrary moment, several times over the same file,
 * then checks: every id reported appended and not (about to be) acknowledged is in the queue;
 * no acknowledged id is; the counters equal the rows.
 */

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const queueModule = pathToFileURL(join(repoRoot, 'gateway/src/queue/sqlite-queue.ts')).href;
const idModule = pathToFileURL(join(repoRoot, 'firmware-profiles/src/index.ts')).href;

const childSource = `
import { writeSync } from 'node:fs';
import { openSqliteQueue } from ${JSON.stringify(queueModule)};
import { newRecordId } from ${JSON.stringify(idModule)};

const [path, synchronous] = process.argv.slice(2);
const queue = openSqliteQueue({ path, quotaBytes: 1e9, synchronous, acknowledgeSynchronous: synchronous });

function say(line) {
  const bytes = Buffer.from(line + '\\n');
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(1, bytes, done);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}

const unacknowledged = [];
let n = 0;
for (;;) {
  const batch = [];
  for (let i = 0; i < 1 + (n % 7); i++) {
    batch.push({
      id: newRecordId(), standard: 'fill-level/1', kommune: '0751', deviceId: 'em310-' + (n % 13), gatewayId: 'gw-1',
      observedAt: '2026-11-24T08:00:00Z', receivedAt: '2026-11-24T08:00:00Z', quality: 'good', distanceMm: n++,
    });
  }
  const ids = batch.map((r) => r.id);
  queue.append(batch);
  say('A ' + ids.join(' '));
  unacknowledged.push(ids);
  if (unacknowledged.length > 4) {
    const acked = unacknowledged.shift();
    say('P ' + acked.join(' '));
    queue.acknowledge(acked);
    say('K ' + acked.join(' '));
  }
}
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sensorbro-queue-crash-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Reported {
  appended: Set<string>;
  pending: Set<string>;
  acknowledged: Set<string>;
}

/** Runs the child until it reported `batches` appends, then SIGKILLs it and collects every complete line. */
function runAndKill(script: string, path: string, synchronous: 'full' | 'normal', batches: number, reported: Reported): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, path, synchronous], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let appends = 0;
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const [kind, ...ids] = buffered.slice(0, newline).split(' ');
        buffered = buffered.slice(newline + 1);
        const into = kind === 'A' ? reported.appended : kind === 'P' ? reported.pending : reported.acknowledged;
        for (const id of ids) into.add(id);
        if (kind === 'A' && ++appends >= batches && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // An incomplete last line is ignored: whatever it was about is then only checked for consistency.
      if (signal === 'SIGKILL' && killed) resolve();
      else reject(new Error(`child ended with ${code ?? signal} before it was killed:\n${stderr}`));
    });
  });
}

describe('sqlite queue: kill -9', () => {
  it('keeps every committed append and never brings back an acknowledged record', async () => {
    const script = join(dir, 'append-loop.mjs');
    writeFileSync(script, childSource);
    const path = join(dir, 'queue.db');
    const reported: Reported = { appended: new Set(), pending: new Set(), acknowledged: new Set() };

    // Killed at different points, alternating the commit durability (both must survive a process crash).
    const rounds: ['full' | 'normal', number][] = [['full', 150], ['normal', 400], ['full', 90], ['normal', 257]];
    for (const [synchronous, batches] of rounds) await runAndKill(script, path, synchronous, batches, reported);

    const queue = openSqliteQueue({ path, quotaBytes: 1e9 });
    try {
      const queued = queue.peek(100_000);
      const present = new Set(queued.map((q) => q.record.id));
      expect(present.size).toBe(queued.length);

      const missing = [...reported.appended].filter((id) => !reported.pending.has(id) && !present.has(id));
      expect(missing).toEqual([]);
      const reappeared = [...reported.acknowledged].filter((id) => present.has(id));
      expect(reappeared).toEqual([]);
      expect(reported.acknowledged.size).toBeGreaterThan(0);

      // Intact records in order, and counters that match the rows.
      const seqs = queued.map((q) => q.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      for (const { record } of queued) expect(record).toMatchObject({ standard: 'fill-level/1', kommune: '0751', gatewayId: 'gw-1' });
      const stats = queue.stats();
      const db = new Database(path, { readonly: true });
      const inFile = db.prepare('SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM records').get();
      db.close();
      expect(inFile).toEqual({ count: stats.depth, bytes: stats.bytes });
      expect(stats.depth).toBe(queued.length);

      // Still usable.
      queue.acknowledge(queued.slice(0, 10).map((q) => q.record.id));
      expect(queue.stats().depth).toBe(queued.length - 10);
    } finally {
      queue.close();
    }
  });
});
