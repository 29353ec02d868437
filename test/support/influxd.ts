import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable, freePort } from './local-host.js';

/**
 * A real InfluxDB 1.x server (Debian package `influxdb`, binary `influxd`) for tests and
 * benchmarks, started by the test itself: HTTP API and RPC bind address on free loopback ports, a
 * temporary directory for meta, data and WAL, a generated config with usage reporting off. Never
 * a system service.
 */


/** The influxd binary, or undefined when it is not installed (tests that need it then skip). */
export const influxdBinary: string | undefined = findExecutable('influxd');

/** For describe(): tells why a suite is skipped. */
export const influxdMissing = influxdBinary
  ? ''
  : ' [SKIPPED: influxd not installed; install it, e.g. apt-get install -y influxdb]';

export interface Influxd {
  readonly port: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly dir: string;
  /** What the server printed so far (stderr and stdout), for failure messages. */
  log(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 15 s) and removes its directory. */
  dispose(): Promise<void>;
}

export async function startInfluxd(): Promise<Influxd> {
  const binary = influxdBinary;
  if (!binary) throw new Error('influxd is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'sensorbro-influxd-'));
  const port = await freePort();
  let rpcPort = await freePort();
  while (rpcPort === port) rpcPort = await freePort();
  const config = [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${join(dir, 'meta')}"`,
    '  logging-enabled = false',
    '[data]',
    `  dir = "${join(dir, 'data')}"`,
    `  wal-dir = "${join(dir, 'wal')}"`,
    '  query-log-enabled = false',
    '  trace-logging-enabled = false',
    '[coordinator]',
    '  log-queries-after = "0s"',
    '[retention]',
    '  enabled = true',
    '[monitor]',
    '  store-enabled = false',
    '[http]',
    '  enabled = true',
    `  bind-address = "127.0.0.1:${port}"`,
    '  auth-enabled = false',
    '  log-enabled = false',
    '  max-body-size = 0',
    '[subscriber]',
    '  enabled = false',
    '[continuous_queries]',
    '  enabled = true',
    '  log-enabled = false',
    '[logging]',
    '  level = "warn"',
  ];
  const configFile = join(dir, 'influxdb.conf');
  writeFileSync(configFile, `${config.join('\n')}\n`);

  let output = '';
  const child: ChildProcess = spawn(binary, ['-config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFLUXDB_REPORTING_DISABLED: 'true' },
  });
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };

  const deadline = Date.now() + 30_000;
  while (!(await pings(url))) {
    if (exited) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`influxd exited at start:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`influxd did not answer on ${url}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url,
    dir,
    log: () => output,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pings(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return response.status === 204;
  } catch {
    return false;
  }
}

