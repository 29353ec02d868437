import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayStatus } from '../../gateway/src/status/snapshot.js';

/**
 * `sensorbro gateway run <config>` as a child process of the test, so a test can kill it (SIGKILL:
 * no shutdown code runs) and start it again on the same storage folder.
 *
 * Runner: the built CLI (`node dist/cli/main.js`) when dist is at least as new as every source
 * file it is built from (CI: `npm test` builds before vitest), else the sources through tsx
 * (`node --import tsx cli/main.ts`), so a stale dist is never tested. SENSORBRO_GATEWAY_RUNNER=dist|tsx
 * forces one. Either way the child is one node process: its pid is the gateway.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const builtCli = join(repoRoot, 'dist', 'cli', 'main.js');
const sourceDirs = ['cli', 'gateway/src', 'firmware-profiles/src', 'standards/src'];

export type GatewayRunner = 'dist' | 'tsx';

function newestSourceMtime(dir: string): number {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (/\.(ts|json)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Which way the gateway is started, and why (for the test log). */
export function gatewayRunner(): { runner: GatewayRunner; why: string } {
  const forced = process.env.SENSORBRO_GATEWAY_RUNNER;
  if (forced === 'dist' || forced === 'tsx') return { runner: forced, why: 'SENSORBRO_GATEWAY_RUNNER' };
  if (!existsSync(builtCli)) return { runner: 'tsx', why: 'dist/cli/main.js not built' };
  const built = statSync(builtCli).mtimeMs;
  const newest = Math.max(...sourceDirs.map((dir) => newestSourceMtime(join(repoRoot, dir))));
  return newest <= built ? { runner: 'dist', why: 'dist is up to date' } : { runner: 'tsx', why: 'sources are newer than dist' };
}

function commandLine(runner: GatewayRunner, configFile: string): string[] {
  return runner === 'dist'
    ? [builtCli, 'gateway', 'run', configFile]
    : ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), 'gateway', 'run', configFile];
}

export interface GatewayExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GatewayProcess {
  readonly pid: number;
  readonly runner: GatewayRunner;
  /** The status server's base URL, e.g. http://127.0.0.1:41234 (a new port at each start with port 0). */
  readonly statusUrl: string;
  /** Settles when the process has exited. */
  readonly exited: Promise<GatewayExit>;
  alive(): boolean;
  /** GET /api/status. */
  status(): Promise<GatewayStatus>;
  /** SIGKILL (no shutdown code runs), resolves once the process is gone. */
  kill9(): Promise<GatewayExit>;
  /** SIGTERM (orderly stop), SIGKILL after `timeoutMs`; resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<GatewayExit>;
  /** The last 256 KiB of stdout and stderr, for failure messages. */
  output(): string;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If the test worker dies without its afterAll, its gateways must not outlive it.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export interface GatewayProcessOptions {
  /** Extra environment; LOG_LEVEL defaults to 'warn'. */
  env?: Record<string, string>;
  /** Bound on start-up (a hang guard). Default 60 s: tsx compiles the sources at the first start. */
  startTimeoutMs?: number;
  runner?: GatewayRunner;
}

/** Starts `sensorbro gateway run <configFile>` and resolves once its status server listens. */
export async function startGatewayProcess(configFile: string, options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  installExitHook();
  const runner = options.runner ?? gatewayRunner().runner;
  const child = spawn(process.execPath, commandLine(runner, configFile), {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 512 * 1024) output = output.slice(-256 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<GatewayExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;

  const statusUrl = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /status page: (\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(match[1]!.replace(/\/$/, ''));
      }
    };
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited at start (code ${code}, signal ${signal}):\n${output}`));
    });
  });

  const kill = async (signal: NodeJS.Signals, timeoutMs: number): Promise<GatewayExit> => {
    if (!alive()) return exited;
    child.kill(signal);
    const hard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const result = await exited;
    clearTimeout(hard);
    return result;
  };

  return {
    pid: child.pid!,
    runner,
    statusUrl,
    exited,
    alive,
    async status() {
      const response = await fetch(`${statusUrl}/api/status`);
      if (!response.ok) throw new Error(`GET /api/status: ${response.status}`);
      return (await response.json()) as GatewayStatus;
    },
    kill9: () => kill('SIGKILL', 5_000),
    stop: (timeoutMs = 20_000) => kill('SIGTERM', timeoutMs),
    output: () => output,
  };
}

/** SIGKILLs every gateway process still running (for afterAll, whatever happened before). */
export async function killAllGatewayProcesses(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * Polls until `condition` holds or `timeoutMs` passed; tells which. The bound is a guard against a
 * hang, never a speed assertion: callers assert on the state afterwards, with the counts.
 */
export async function pollUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface GatewayConfigOptions {
  gatewayId: string;
  /** Storage folder (queue, dead letters, admin token). */
  storageDir: string;
  mqttUrl: string;
  /** Stable MQTT client id: the broker keeps the gateway's persistent session under it. */
  clientId: string;
  cloudUrl: string;
  cloudToken?: string;
  kommune?: string;
  devices: { deviceKey: string; profile: string; assetId?: string; params?: Record<string, number | string> }[];
  batchSize?: number;
  lingerMs?: number;
  deadLetterMax?: number;
  maxPayloadBytes?: number;
}

/** A gateway configuration (YAML) with one ChirpStack source and a status server on a free loopback port. */
export function gatewayConfigYaml(options: GatewayConfigOptions): string {
  const devices = options.devices.map((device) => {
    const parts = [`deviceKey: "${device.deviceKey}"`, `profile: ${device.profile}`];
    if (device.assetId) parts.push(`assetId: ${device.assetId}`);
    if (device.params) parts.push(`params: ${JSON.stringify(device.params)}`);
    return `  - { ${parts.join(', ')} }`;
  });
  return [
    `gateway: { id: ${options.gatewayId}, kommune: "${options.kommune ?? '0751'}", name: Pålidelighedstest }`,
    `cloud: { url: "${options.cloudUrl}", token: ${options.cloudToken ?? 'test-token'}, lingerMs: ${options.lingerMs ?? 20}, batchSize: ${options.batchSize ?? 500} }`,
    `storage: { dir: ${JSON.stringify(options.storageDir)}, deadLetterMax: ${options.deadLetterMax ?? 100_000} }`,
    'status: { host: 127.0.0.1, port: 0 }',
    'sources:',
    `  - { type: chirpstack, url: "${options.mqttUrl}", clientId: ${options.clientId}, maxPayloadBytes: ${options.maxPayloadBytes ?? 64 * 1024} }`,
    'devices:',
    ...devices,
    '',
  ].join('\n');
}

/**
 * Waits until the gateway is subscribed upstream: publishes a probe uplink of an unconfigured
 * device every 250 ms until the gateway has taken one (pipeline.uplinks ≥ 1). Messages published
 * before the first subscription of a new session are dropped by the broker, so a test must not
 * start before this. The probes become dead letters of `probeDevice` (code unknown-device).
 */
export async function waitUntilSubscribed(
  gateway: GatewayProcess,
  publish: (probe: { topic: string; payload: Buffer }) => Promise<unknown>,
  timeoutMs = 30_000,
): Promise<void> {
  let sent = 0;
  const ok = await pollUntil(async () => {
    const taken = (await gateway.status()).pipeline.uplinks >= 1;
    if (!taken) {
      const time = new Date().toISOString();
      await publish({
        topic: `application/app-1/device/${probeDevice}/event/up`,
        payload: Buffer.from(JSON.stringify({ deduplicationId: `probe-${sent++}-${time}`, time, deviceInfo: { devEui: probeDevice }, fPort: 85, data: 'AXVk' })),
      });
    }
    return taken;
  }, timeoutMs, 250);
  if (!ok) throw new Error(`the gateway took no probe uplink within ${timeoutMs} ms (not subscribed upstream?):\n${gateway.output()}`);
}

/** The unconfigured device of waitUntilSubscribed's probes. */
export const probeDevice = '70b3d5e75e00beef';
