import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulator, publishSimulation, type SimulatedDevice, type Simulator } from '../../../gateway/src/simulator/index.js';
import { type GatewayProcess, startGatewayProcess } from '../../support/gateway-process.js';
import { type IngestEndpoint, startIngestEndpoint } from '../../support/ingest-endpoint.js';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../support/mosquitto.js';
import { type Backlog, fileBytes, fillBacklog, siteSimulator } from './backlog.js';
import { Arrivals, cpuSeconds, findPid, fmt, median, memory, mib, sleep } from './measure.js';
import { em310Flow, ensureNodeRed, type NodeRedInstall, type NodeRedProcess, startNodeRed } from './node-red.js';
import { freePort } from '../../support/local-host.js';

/**
 * Gateway benchmark (`npm run bench:gateway`): prints figures, asserts nothing, ends with
 *   gateway: durable <N> msg/s, node-red <N> msg/s, replay <N> rec/s, rss <N> MB
 *
 * 1. End to end: simulator → MQTT (a real Mosquitto) → system → loopback ingest endpoint
 *    (test/support/ingest-endpoint.ts: the cloud contract, zod validation, dedup by id). The systems:
 *    our gateway (`node dist/cli/main.js gateway run`, its own process: ChirpStack source, pipeline,
 *    SQLite queue with an fsync per commit, MQTT PUBACK only once the records are committed,
 *    batching gzip forwarder), and Node-RED 4 (its own process: mqtt in QoS 1 → function node
 *    decoding EM310-UDL → http request, one POST per message; acknowledges MQTT on receipt, keeps
 *    nothing on disk). Same broker, same devices and payloads (EM310-UDL ChirpStack uplinks of the
 *    simulator, one topic per system), each system its own endpoint instance and token.
 *    Throughput: BENCH_E2E_MESSAGES uplinks published at full speed with a window of unacknowledged
 *    QoS 1 publishes; msg/s = records acknowledged by the endpoint / (last acknowledgement − first
 *    publish). Latency: per record, the endpoint's answer time − the publish time (see Arrivals in
 *    measure.ts). In a burst the latency is mostly waiting in the broker behind the burst, so
 *    latency is also measured at a paced load both systems sustain (half the slower one's rate).
 *    BENCH_ROUNDS rounds each, the systems alternating; medians.
 * 2. Replay: BENCH_BACKLOG_RECORDS records of 10,000 simulated devices of the eight models in a
 *    queue file (backlog.ts); the gateway process started on it (those devices configured, no
 *    sources) drains it to the endpoint; records/s from the first acknowledged batch to the last.
 *    Each round on a fresh copy of the file.
 * 3. Memory: the gateway process with 10,000 configured devices, its ChirpStack source connected,
 *    the backlog queued and the cloud down (connection refused: the backlog stays); VmRSS sampled
 *    once a second just after start-up and once settled (from 45 s on, see settledAtS). Then, to show where the memory goes, the same gateway without
 *    devices and backlog, with the devices only, with the configuration written as JSON, and as the
 *    first with NODE_OPTIONS=--max-semi-space-size=2 (the memory-tight setting; see run-command.ts).
 * Big files go to a temporary folder that is removed at the end. About 6 minutes on 2 cores; other
 * work on the machine shows in the figures (the load average is printed at the start and the end).
 * Knobs (environment): BENCH_PARTS (comma-separated subset of e2e,replay,rss; default all), BENCH_ROUNDS, BENCH_E2E_MESSAGES, BENCH_E2E_DEVICES, BENCH_E2E_WINDOW,
 * BENCH_WARMUP_MESSAGES, BENCH_PACED_SECONDS, BENCH_BACKLOG_RECORDS; SENSORBRO_BENCH_NODE_RED_DIR.
 */

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const numberEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a positive number`);
  return value;
};
const rounds = numberEnv('BENCH_ROUNDS', 3);
const e2eMessages = numberEnv('BENCH_E2E_MESSAGES', 20_000);
const e2eDevices = numberEnv('BENCH_E2E_DEVICES', 1000);
/** Unacknowledged QoS 1 publishes at once (the publisher's window). */
const e2eWindow = numberEnv('BENCH_E2E_WINDOW', 500);
const warmUpMessages = numberEnv('BENCH_WARMUP_MESSAGES', 2000);
const pacedSeconds = numberEnv('BENCH_PACED_SECONDS', 6);
const backlogRecords = numberEnv('BENCH_BACKLOG_RECORDS', 1_000_000);
const rssDevices = 10_000;
const allParts = ['e2e', 'replay', 'rss'] as const;
type Part = (typeof allParts)[number];
const parts = new Set<Part>(
  (process.env.BENCH_PARTS ?? allParts.join(',')).split(',').map((name) => {
    const part = name.trim() as Part;
    if (!allParts.includes(part)) throw new Error(`BENCH_PARTS: unknown part "${name}" (known: ${allParts.join(', ')})`);
    return part;
  }),
);
const goals = { replayPerS: 50_000, rssMiB: 120 };
const kommune = '0751';

const log = (line: string) => console.log(line);
const pad = (text: string, width: number) => text.padStart(width);

// ── helpers ──────────────────────────────────────────────────────────────────────────────

interface GatewayConfigOptions {
  id: string;
  storageDir: string;
  cloudUrl: string;
  token: string;
  source?: { url: string; clientId: string; applicationId: string };
  devices: readonly SimulatedDevice[];
}

/**
 * The gateway's configuration as an operator writes it: cloud batching, queue and forwarder at
 * their defaults (batchSize 1000, lingerMs 500), heartbeat hourly (so no heartbeat record lands
 * in a measured round; the one at start comes before), status page on a free loopback port.
 * Written as YAML (one flow mapping per device, as the docs show), or as JSON for a `.json` file.
 */
function writeGatewayConfig(file: string, options: GatewayConfigOptions): void {
  const config = {
    gateway: { id: options.id, kommune, name: 'Benchmark' },
    cloud: { url: options.cloudUrl, token: options.token, heartbeatIntervalS: 3600 },
    storage: { dir: options.storageDir, queueQuotaMb: 4096 },
    status: { host: '127.0.0.1', port: 0 },
    sources: options.source ? [{ type: 'chirpstack', ...options.source }] : [],
    devices: options.devices.map(({ deviceKey, profile, assetId, params }) => ({ deviceKey, profile, assetId, params })),
  };
  if (file.endsWith('.json')) {
    writeFileSync(file, JSON.stringify(config, null, 2));
    return;
  }
  const flow = (value: object) => JSON.stringify(value); // JSON is YAML's flow style
  const lines = [
    `gateway: ${flow(config.gateway)}`,
    `cloud: ${flow(config.cloud)}`,
    `storage: ${flow(config.storage)}`,
    `status: ${flow(config.status)}`,
    `sources:${config.sources.length === 0 ? ' []' : ''}`,
    ...config.sources.map((source) => `  - ${flow(source)}`),
    `devices:${config.devices.length === 0 ? ' []' : ''}`,
    ...config.devices.map((device) => `  - { deviceKey: "${device.deviceKey}", profile: ${device.profile}, assetId: ${device.assetId}, params: ${flow(device.params)} }`),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
}


// ── 1. end to end ────────────────────────────────────────────────────────────────────────

interface System {
  name: 'gateway' | 'node-red';
  simulator: Simulator;
  endpoint: IngestEndpoint;
  arrivals: Arrivals;
  pid: number;
}

interface Round {
  sent: number;
  received: number;
  rate: number;
  p50: number;
  p99: number;
  cpuS: number;
  brokerCpuS: number;
  /** CPU of this process: publisher and ingest endpoint. */
  benchCpuS: number;
  seconds: number;
  publishS: number;
}

let publisherCount = 0;

function publish(mqttUrl: string, system: System, count: number, ratePerSecond: number, maxInFlight?: number) {
  return publishSimulation({
    simulator: system.simulator,
    mqttUrl,
    clientId: `bench-publisher-${publisherCount++}`,
    ratePerSecond,
    count,
    qos: 1,
    ...(maxInFlight !== undefined ? { maxInFlight } : {}),
    drainTimeoutMs: 60_000,
  });
}

/** Until the system takes messages (subscribed), then a warm-up burst, all of which must arrive. */
async function warmUp(mqttUrl: string, system: System): Promise<void> {
  system.arrivals.start();
  const deadline = Date.now() + 60_000;
  while (system.arrivals.count === 0) {
    if (Date.now() > deadline) throw new Error(`${system.name} took no message within 60 s (not subscribed?)`);
    await publish(mqttUrl, system, 10, 100);
    await system.arrivals.waitFor(1, 1000, 1000);
  }
  system.arrivals.start();
  await publish(mqttUrl, system, warmUpMessages, 1_000_000, e2eWindow);
  const all = await system.arrivals.waitFor(warmUpMessages, 20_000, 120_000);
  system.arrivals.stop();
  if (!all) log(`  warning: ${system.name} warm-up: ${system.arrivals.count} of ${warmUpMessages} arrived`);
}

async function measureRound(mqttUrl: string, system: System, brokerPid: number | undefined, count: number, ratePerSecond: number, window?: number): Promise<Round> {
  const cpuBefore = cpuSeconds(system.pid);
  const brokerBefore = brokerPid === undefined ? Number.NaN : cpuSeconds(brokerPid);
  const rejectedBefore = system.endpoint.counts.rejected;
  const benchBefore = process.cpuUsage();
  system.arrivals.start();
  const published = await publish(mqttUrl, system, count, ratePerSecond, window);
  const all = await system.arrivals.waitFor(published.acknowledged, 20_000, 300_000);
  system.arrivals.stop();
  const benchCpu = process.cpuUsage(benchBefore);
  const { arrivals } = system;
  const seconds = (arrivals.lastArrivalMs - arrivals.firstPublishMs) / 1000;
  const rejected = system.endpoint.counts.rejected - rejectedBefore;
  if (published.failed > 0) log(`  warning: ${published.failed} publishes not acknowledged by the broker${published.lastError ? ` (${published.lastError})` : ''}`);
  if (!all) log(`  warning: ${system.name}: ${arrivals.count} of ${published.acknowledged} published messages reached the endpoint (the rest lost or stuck)`);
  if (rejected > 0) log(`  warning: the endpoint rejected ${rejected} records of ${system.name}`);
  return {
    sent: published.acknowledged,
    received: arrivals.count,
    rate: arrivals.count / seconds,
    p50: arrivals.latency(50),
    p99: arrivals.latency(99),
    cpuS: cpuSeconds(system.pid) - cpuBefore,
    brokerCpuS: brokerPid === undefined ? Number.NaN : cpuSeconds(brokerPid) - brokerBefore,
    benchCpuS: (benchCpu.user + benchCpu.system) / 1e6,
    seconds,
    publishS: published.elapsedS,
  };
}

function roundLine(label: string, system: System['name'], round: Round): string {
  return (
    `  ${label} ${system.padEnd(8)} ${pad(fmt(round.rate), 7)} msg/s  ${fmt(round.received)}/${fmt(round.sent)} in ${round.seconds.toFixed(1)} s (published in ${round.publishS.toFixed(1)} s)  ` +
    `latency p50 ${pad(fmt(round.p50), 6)} ms p99 ${pad(fmt(round.p99), 6)} ms  ` +
    `CPU: ${system} ${round.cpuS.toFixed(1)} s (${fmt((round.cpuS / Math.max(1, round.received)) * 1e6)} µs/msg), broker ${round.brokerCpuS.toFixed(1)} s, publisher+endpoint ${round.benchCpuS.toFixed(1)} s`
  );
}

interface EndToEnd {
  gateway: Round[];
  nodeRed: Round[];
  pacedRate: number;
  pacedGateway: Round[];
  pacedNodeRed: Round[];
  /** Peak RSS (VmHWM) during part 1. */
  gatewayRss: number;
  nodeRedRss: number;
}

async function endToEnd(tmp: string, mosquitto: Mosquitto, brokerPid: number | undefined, install: NodeRedInstall, stack: (() => Promise<unknown>)[]): Promise<EndToEnd> {
  const seed = 'bench-e2e';
  const simulatorFor = (applicationId: string) =>
    createSimulator({ seed, devices: { 'milesight-em310-udl': e2eDevices }, networkServer: 'chirpstack', applicationId });
  const gatewaySimulator = simulatorFor('bench-gw');
  const nodeRedSimulator = simulatorFor('bench-nr');
  const devices = gatewaySimulator.devices();

  const gatewayEndpoint = await startIngestEndpoint({ token: 'bench-gateway-token', gatewayId: 'gw-bench', kommune, keepRecords: false });
  stack.push(() => gatewayEndpoint.close());
  const nodeRedEndpoint = await startIngestEndpoint({ token: 'bench-node-red-token', gatewayId: 'node-red-bench', kommune, keepRecords: false });
  stack.push(() => nodeRedEndpoint.close());

  const gatewayDir = join(tmp, 'e2e-gateway');
  mkdirSync(gatewayDir);
  const configFile = join(gatewayDir, 'gateway.yaml');
  writeGatewayConfig(configFile, {
    id: 'gw-bench',
    storageDir: join(gatewayDir, 'data'),
    cloudUrl: gatewayEndpoint.url,
    token: 'bench-gateway-token',
    source: { url: mosquitto.url, clientId: 'gw-bench', applicationId: 'bench-gw' },
    devices,
  });
  const gateway = await startGatewayProcess(configFile, { runner: 'dist', env: { LOG_LEVEL: 'warn' } });
  stack.push(() => gateway.stop());

  const nodeRed: NodeRedProcess = await startNodeRed(
    install,
    join(tmp, 'node-red'),
    em310Flow({
      mqttPort: mosquitto.port,
      topic: 'application/bench-nr/device/+/event/up',
      clientId: 'node-red-bench',
      ingestUrl: nodeRedEndpoint.url,
      token: 'bench-node-red-token',
      gatewayId: 'node-red-bench',
      kommune,
      devices,
    }),
  );
  stack.push(() => nodeRed.stop());

  const systems: Record<System['name'], System> = {
    gateway: { name: 'gateway', simulator: gatewaySimulator, endpoint: gatewayEndpoint, arrivals: new Arrivals(gatewayEndpoint), pid: gateway.pid },
    'node-red': { name: 'node-red', simulator: nodeRedSimulator, endpoint: nodeRedEndpoint, arrivals: new Arrivals(nodeRedEndpoint), pid: nodeRed.pid },
  };
  log(`  gateway pid ${gateway.pid} (dist/cli/main.js gateway run; batchSize 1000, lingerMs 500, fsync per commit), Node-RED ${install.version} pid ${nodeRed.pid}`);
  await warmUp(mosquitto.url, systems.gateway);
  await warmUp(mosquitto.url, systems['node-red']);
  log(`  warmed up: ${fmt(warmUpMessages)} messages each; ${fmt(e2eDevices)} EM310-UDL devices; window ${e2eWindow} unacknowledged publishes`);

  const results: Record<System['name'], Round[]> = { gateway: [], 'node-red': [] };
  for (let round = 1; round <= rounds; round++) {
    const order: System['name'][] = round % 2 === 1 ? ['gateway', 'node-red'] : ['node-red', 'gateway'];
    for (const name of order) {
      const result = await measureRound(mosquitto.url, systems[name], brokerPid, e2eMessages, 1_000_000, e2eWindow);
      results[name].push(result);
      log(roundLine(`burst ${round}/${rounds}`, name, result));
      await sleep(1000);
    }
  }

  const slower = Math.min(median(results.gateway.map((r) => r.rate)), median(results['node-red'].map((r) => r.rate)));
  const pacedRate = Math.max(20, Math.round(slower / 2 / 10) * 10);
  const paced: Record<System['name'], Round[]> = { gateway: [], 'node-red': [] };
  for (let round = 1; round <= rounds; round++) {
    const order: System['name'][] = round % 2 === 1 ? ['gateway', 'node-red'] : ['node-red', 'gateway'];
    for (const name of order) {
      const result = await measureRound(mosquitto.url, systems[name], brokerPid, Math.round(pacedRate * pacedSeconds), pacedRate);
      paced[name].push(result);
      log(roundLine(`paced ${round}/${rounds}`, name, result));
    }
  }
  const gatewayRss = memory(gateway.pid).hwm;
  const nodeRedRss = memory(nodeRed.pid).hwm;
  await nodeRed.stop();
  await gateway.stop();
  return { gateway: results.gateway, nodeRed: results['node-red'], pacedRate, pacedGateway: paced.gateway, pacedNodeRed: paced['node-red'], gatewayRss, nodeRedRss };
}

// ── 2. replay ────────────────────────────────────────────────────────────────────────────

interface Replay {
  rate: number;
  fromStartRate: number;
  seconds: number;
  /** CPU of the gateway process, start-up included. */
  cpuS: number;
  /** CPU of this process meanwhile: the ingest endpoint (gunzip, JSON, validation, dedup). */
  endpointCpuS: number;
  peakRss: number;
  requests: number;
}

async function replayRound(tmp: string, round: number, queueFile: string, backlog: Backlog, devices: readonly SimulatedDevice[]): Promise<Replay> {
  const dir = join(tmp, `replay-${round}`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  copyFileSync(queueFile, join(dir, 'data', 'queue.db'));
  const endpoint = await startIngestEndpoint({ token: 'bench-replay-token', gatewayId: 'gw-replay', kommune, keepRecords: false });
  let gateway: GatewayProcess | undefined;
  try {
    const arrivals = new Arrivals(endpoint);
    arrivals.start();
    const configFile = join(dir, 'gateway.yaml');
    writeGatewayConfig(configFile, { id: 'gw-replay', storageDir: join(dir, 'data'), cloudUrl: endpoint.url, token: 'bench-replay-token', devices });
    const spawnedAt = Date.now();
    const endpointBefore = process.cpuUsage();
    gateway = await startGatewayProcess(configFile, { runner: 'dist', env: { LOG_LEVEL: 'warn' } });
    // the backlog and the heartbeat queued at start
    const expected = backlog.records + 1;
    const all = await arrivals.waitFor(expected, 30_000, 600_000);
    const cpuS = cpuSeconds(gateway.pid);
    const endpointCpu = process.cpuUsage(endpointBefore);
    const peakRss = memory(gateway.pid).hwm;
    if (!all) log(`  warning: replay ${round}: ${arrivals.count} of ${expected} records reached the endpoint`);
    if (endpoint.counts.rejected > 0) log(`  warning: the endpoint rejected ${endpoint.counts.rejected} replayed records`);
    const seconds = (arrivals.lastArrivalMs - arrivals.firstArrivalMs) / 1000;
    return {
      rate: arrivals.count / seconds,
      fromStartRate: arrivals.count / ((arrivals.lastArrivalMs - spawnedAt) / 1000),
      seconds,
      cpuS,
      endpointCpuS: (endpointCpu.user + endpointCpu.system) / 1e6,
      peakRss,
      requests: endpoint.counts.requests,
    };
  } finally {
    await gateway?.stop();
    await endpoint.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── 3. memory ────────────────────────────────────────────────────────────────────────────

interface Rss {
  /** Settled: from settledAtS on. */
  median: number;
  max: number;
  hwm: number;
  samples: number[];
  /** Just after start-up (5 s on), before V8's memory reducer has shrunk the heap it grew while starting. */
  startUpMedian: number;
  depth: number;
  devices: number;
}

/**
 * V8 gives back what start-up made it grow (mostly the young generation: 2 × 16 MiB) only once its
 * memory reducer sees the process idle, 15–25 s after start here; so the settled figure is taken
 * from 45 s on, and the one just after start-up is printed beside it.
 */
const settledAtS = 45;

/**
 * Starts the gateway (cloud down: connection refused, so a backlog stays), looks at its status page
 * once as an operator would (the page builds its snapshot), reads VmRSS once a second just after
 * start-up, then `samples` more once a second from settledAtS on.
 */
async function rssOf(dir: string, config: GatewayConfigOptions & { format: 'yaml' | 'json'; queueFile?: string; nodeOptions?: string }, settleS: number, samples: number): Promise<Rss> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  if (config.queueFile) copyFileSync(config.queueFile, join(dir, 'data', 'queue.db'));
  const configFile = join(dir, `gateway.${config.format}`);
  writeGatewayConfig(configFile, { ...config, storageDir: join(dir, 'data') });
  const gateway = await startGatewayProcess(configFile, { runner: 'dist', env: { LOG_LEVEL: 'error', ...(config.nodeOptions ? { NODE_OPTIONS: config.nodeOptions } : {}) } });
  const startedAt = Date.now();
  const sample = async (count: number) => {
    const taken: number[] = [];
    for (let i = 0; i < count; i++) {
      await sleep(1000);
      taken.push(memory(gateway.pid).rss);
    }
    return taken;
  };
  try {
    await sleep(settleS * 1000);
    const status = await gateway.status();
    const startUp = await sample(samples);
    await sleep(Math.max(0, startedAt + settledAtS * 1000 - Date.now()));
    const taken = await sample(samples);
    return { median: median(taken), max: Math.max(...taken), hwm: memory(gateway.pid).hwm, samples: taken, startUpMedian: median(startUp), depth: status.queue.depth, devices: status.devices.length };
  } finally {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Memory {
  main: Rss;
  bare: Rss;
  devicesOnly: Rss;
  json: Rss;
  smallYoungGeneration: Rss;
}

/** A smaller young generation (2 × 2 MiB instead of up to 2 × 16 MiB); why it is not the deployment setting: gateway/src/cli/run-command.ts. */
const smallYoungGeneration = '--max-semi-space-size=2';

async function memoryRuns(tmp: string, mosquitto: Mosquitto, queueFile: string, devices: readonly SimulatedDevice[]): Promise<Memory> {
  const downPort = await freePort(); // nobody listens: connection refused, the forwarder backs off
  const base = { id: 'gw-rss', storageDir: '', cloudUrl: `http://127.0.0.1:${downPort}`, token: 'bench-rss-token' };
  const source = { url: mosquitto.url, clientId: 'gw-rss', applicationId: 'bench-site' };
  const main = await rssOf(join(tmp, 'rss'), { ...base, source, devices, queueFile, format: 'yaml' }, 5, 15);
  // Where it goes: the same gateway without devices and backlog, with devices only, and with the configuration as JSON.
  const bare = await rssOf(join(tmp, 'rss-bare'), { ...base, source, devices: [], format: 'yaml' }, 3, 5);
  const devicesOnly = await rssOf(join(tmp, 'rss-devices'), { ...base, source, devices, format: 'yaml' }, 3, 5);
  const json = await rssOf(join(tmp, 'rss-json'), { ...base, source, devices, queueFile, format: 'json' }, 3, 5);
  const smallYoung = await rssOf(join(tmp, 'rss-small-young'), { ...base, source, devices, queueFile, format: 'yaml', nodeOptions: smallYoungGeneration }, 5, 15);
  return { main, bare, devicesOnly, json, smallYoungGeneration: smallYoung };
}

// ── main ─────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const started = performance.now();
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first (npm run bench:gateway does)');
  if (!mosquittoBinary) throw new Error('mosquitto is not installed (e.g. apt-get install -y mosquitto)');
  const tmp = mkdtempSync(join(tmpdir(), 'sensorbro-gateway-bench-'));
  const stack: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    while (stack.length > 0) await stack.pop()!().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  };
  const interrupted = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const load = () => loadavg().map((value) => value.toFixed(1)).join(' ');
    log(`gateway benchmark: ${cpus().length} cores, node ${process.version}, ${rounds} rounds per figure, load average ${load()} (other work on the machine disturbs the figures), files in ${tmp}`);
    const mosquitto = await startMosquitto();
    stack.push(() => mosquitto.dispose());
    const brokerPid = findPid(join(mosquitto.dir, 'mosquitto.conf'));

    // 1.
    let e2e: EndToEnd | undefined;
    if (parts.has('e2e')) {
      const install = await ensureNodeRed(log);
      log(`Node-RED ${install.version} ${install.installed ? 'installed into' : 'from'} ${install.dir}`);
      log(`\n1. end to end: ${fmt(e2eMessages)} EM310-UDL uplinks per burst, simulator → Mosquitto → system → loopback ingest endpoint`);
      e2e = await endToEnd(tmp, mosquitto, brokerPid, install, stack);
      while (stack.length > 1) await stack.pop()!(); // endpoints and processes of part 1; Mosquitto stays
    }

    // 2.
    const startMs = Date.parse('2026-11-02T00:00:00Z');
    const site = siteSimulator('bench-site', startMs, 'bench-site');
    const devices = site.devices();
    const queueFile = join(tmp, 'backlog.db');
    const backlog = parts.has('replay') || parts.has('rss') ? await fillBacklog({ path: queueFile, count: backlogRecords, simulator: site, startMs, gatewayId: 'gw-replay', kommune }) : undefined;
    if (backlog) {
      log(`\n2. backlog replay: ${fmt(backlogRecords)} queued records of ${fmt(rssDevices)} devices → loopback ingest endpoint`);
      const mix = Object.entries(backlog.byStandard)
        .map(([standard, count]) => `${standard} ${((count / backlog.records) * 100).toFixed(0)} %`)
        .join(', ');
      log(
        `  backlog: ${fmt(backlog.records)} records (${mix}; ${fmt(backlog.spanHours)} h of device time), ` +
          `queue file ${mib(fileBytes(queueFile)).toFixed(0)} MiB, ${(backlog.jsonBytes / backlog.records).toFixed(0)} B JSON per record; made in ${backlog.seconds.toFixed(1)} s`,
      );
    }
    const replays: Replay[] = [];
    for (let round = 1; backlog && parts.has('replay') && round <= rounds; round++) {
      const result = await replayRound(tmp, round, queueFile, backlog, devices);
      replays.push(result);
      log(
        `  replay ${round}/${rounds} ${pad(fmt(result.rate), 7)} records/s (${result.seconds.toFixed(1)} s from the first acknowledged batch to the last; ` +
          `${fmt(result.fromStartRate)}/s from process start), ${fmt(result.requests)} requests; CPU: gateway ${result.cpuS.toFixed(1)} s ` +
          `(${((result.cpuS / backlog.records) * 1e6).toFixed(1)} µs/record, start-up included), endpoint ${result.endpointCpuS.toFixed(1)} s; gateway peak RSS ${mib(result.peakRss).toFixed(0)} MiB`,
      );
    }

    // 3.
    let rss: Rss | undefined;
    const mibText = (bytes: number) => mib(bytes).toFixed(1);
    if (backlog && parts.has('rss')) {
      log(`\n3. memory: gateway with ${fmt(devices.length)} configured devices (YAML), ${fmt(backlog.records)} queued records, cloud down`);
      const memoryFigures = await memoryRuns(tmp, mosquitto, queueFile, devices);
      rss = memoryFigures.main;
      log(
        `  VmRSS over ${rss.samples.length} s from ${settledAtS} s after start: median ${mibText(rss.median)} MiB, max ${mibText(rss.max)} MiB ` +
          `(first ${mibText(rss.samples[0]!)}, last ${mibText(rss.samples[rss.samples.length - 1]!)}); peak since start (VmHWM) ${mibText(rss.hwm)} MiB; ` +
          `status page: queue depth ${fmt(rss.depth)}, ${fmt(rss.devices)} devices; just after start-up (5–20 s): median ${mibText(rss.startUpMedian)} MiB`,
      );
      const line = (label: string, figures: Rss) => log(`  ${label.padEnd(46)} median ${pad(mibText(figures.median), 6)} MiB (after start-up ${pad(mibText(figures.startUpMedian), 6)}), VmHWM ${pad(mibText(figures.hwm), 6)} MiB (queue ${fmt(figures.depth)}, ${fmt(figures.devices)} devices)`);
      line('no devices, empty queue (node + modules):', memoryFigures.bare);
      line(`${fmt(devices.length)} devices (YAML), empty queue:`, memoryFigures.devicesOnly);
      line(`${fmt(devices.length)} devices as JSON, ${fmt(backlog.records)} queued:`, memoryFigures.json);
      line(`as the first, NODE_OPTIONS=${smallYoungGeneration}:`, memoryFigures.smallYoungGeneration);
    }

    // Summary.
    const gatewayRate = e2e ? median(e2e.gateway.map((r) => r.rate)) : Number.NaN;
    const nodeRedRate = e2e ? median(e2e.nodeRed.map((r) => r.rate)) : Number.NaN;
    const replayRate = replays.length > 0 ? median(replays.map((r) => r.rate)) : Number.NaN;
    const rssMiB = rss ? mib(rss.median) : Number.NaN;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    log(`\nmedians of ${rounds} rounds:`);
    if (e2e) {
      log(
        `  end to end, sustained: gateway (durable: PUBACK after fsync) ${fmt(gatewayRate)} msg/s, latency p50 ${fmt(median(e2e.gateway.map((r) => r.p50)))} ms p99 ${fmt(median(e2e.gateway.map((r) => r.p99)))} ms in the burst; ` +
          `Node-RED (not durable) ${fmt(nodeRedRate)} msg/s, p50 ${fmt(median(e2e.nodeRed.map((r) => r.p50)))} ms p99 ${fmt(median(e2e.nodeRed.map((r) => r.p99)))} ms`,
      );
      log(
        `  end to end, paced at ${fmt(e2e.pacedRate)} msg/s: gateway latency p50 ${fmt(median(e2e.pacedGateway.map((r) => r.p50)))} ms p99 ${fmt(median(e2e.pacedGateway.map((r) => r.p99)))} ms` +
          ` (lingerMs 500 by default); Node-RED p50 ${fmt(median(e2e.pacedNodeRed.map((r) => r.p50)))} ms p99 ${fmt(median(e2e.pacedNodeRed.map((r) => r.p99)))} ms`,
      );
      log(`  peak RSS in part 1 (VmHWM): gateway ${mib(e2e.gatewayRss).toFixed(0)} MiB, Node-RED ${mib(e2e.nodeRedRss).toFixed(0)} MiB`);
      log(`  goal: gateway durable ≥ Node-RED: ${verdict(gatewayRate >= nodeRedRate)} (${(gatewayRate / nodeRedRate).toFixed(2)}×)`);
    }
    if (replays.length > 0) log(`  goal: replay ≥ ${fmt(goals.replayPerS)} records/s: ${verdict(replayRate >= goals.replayPerS)} (${fmt(replayRate)})`);
    if (rss) log(`  goal: RSS < ${goals.rssMiB} MB (MiB): ${verdict(mib(rss.max) < goals.rssMiB)} (median ${rssMiB.toFixed(1)}, max ${mib(rss.max).toFixed(1)})`);
    log(`  total ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${load()}`);
    log(`gateway: durable ${Math.round(gatewayRate)} msg/s, node-red ${Math.round(nodeRedRate)} msg/s, replay ${Math.round(replayRate)} rec/s, rss ${Math.round(rssMiB)} MB`);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanUp();
  }
}

await main();
