import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Node-RED as the peer of the gateway in the end-to-end benchmark: the flow people build for the
 * same job (mqtt in → function node decoding the EM310-UDL payload → http request), run by a real
 * Node-RED 4 in a process of its own.
 *
 * Node-RED is not a dependency of the project (it is large): it is installed on first use with npm
 * into a cache folder outside the repository (default ~/.cache/sensorbro-bench/node-red, or
 * SENSORBRO_BENCH_NODE_RED_DIR) and reused from there.
 */

export const nodeRedPackage = 'node-red@4';

export function nodeRedDir(): string {
  return process.env.SENSORBRO_BENCH_NODE_RED_DIR ?? join(homedir(), '.cache', 'sensorbro-bench', 'node-red');
}

export interface NodeRedInstall {
  /** node-red/red.js, run with node. */
  redJs: string;
  version: string;
  /** Installed by this call (else found in the cache). */
  installed: boolean;
  dir: string;
}

function installedVersion(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', 'node-red', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** Node-RED 4.x from the cache folder, installed there with `npm install --prefix` if missing. */
export async function ensureNodeRed(log: (line: string) => void): Promise<NodeRedInstall> {
  const dir = nodeRedDir();
  const redJs = join(dir, 'node_modules', 'node-red', 'red.js');
  const found = installedVersion(dir);
  if (found?.startsWith('4.') && existsSync(redJs)) return { redJs, version: found, installed: false, dir };

  mkdirSync(dir, { recursive: true });
  // A package.json of its own, so npm installs here and never walks up to another project.
  if (!existsSync(join(dir, 'package.json'))) {
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'sensorbro-bench-node-red', private: true, description: 'Node-RED for npm run bench:gateway' }, null, 2)}\n`);
  }
  log(`installing ${nodeRedPackage} into ${dir} (first use; not a dependency of the project)…`);
  // npm run sets npm_config_prefix and friends for the project; this install has a prefix of its own.
  const env = { ...process.env };
  for (const key of ['npm_config_prefix', 'npm_config_local_prefix', 'npm_config_global_prefix']) delete env[key];
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', nodeRedPackage], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(text);
      else reject(new Error(`npm install ${nodeRedPackage} failed (code ${code}, signal ${signal}):\n${text.slice(-4000)}`));
    });
  });
  const version = installedVersion(dir);
  if (!version?.startsWith('4.') || !existsSync(redJs)) throw new Error(`npm install ${nodeRedPackage} left no Node-RED 4 in ${dir}:\n${output.slice(-4000)}`);
  return { redJs, version, installed: true, dir };
}

export interface Em310FlowOptions {
  mqttPort: number;
  /** Subscription, e.g. application/bench-nr/device/+/event/up. */
  topic: string;
  clientId: string;
  /** Ingest endpoint base URL (http://127.0.0.1:port). */
  ingestUrl: string;
  token: string;
  gatewayId: string;
  kommune: string;
  /** The registry the function node looks devices up in (asset and container geometry), as the gateway's config has it. */
  devices: readonly { deviceKey: string; assetId: string; params: Record<string, number | string> }[];
}

/**
 * The function node: decodes the EM310-UDL channel records (01 75 battery %, 03 82 distance mm
 * u16 LE, 04 00 tilt) of a ChirpStack v4 up event and builds the same fill-level/1 record as the
 * gateway: id a UUIDv7 of the network-server time and the deduplicationId (stable across
 * redeliveries, as ours), fillLevel from the device's empty/full distances, quality suspect outside
 * the sensor's 20–5000 mm, battery and the best reception's RSSI/SNR. One POST per message.
 */
const decodeFunction = String.raw`
const up = msg.payload;
if (!up || typeof up !== 'object' || up.fPort !== 85 || typeof up.data !== 'string') return null;
const bytes = Buffer.from(up.data, 'base64');
let battery, distance, tilted;
for (let i = 0; i + 2 <= bytes.length; ) {
    const channel = bytes[i], type = bytes[i + 1];
    i += 2;
    if (channel === 0x01 && type === 0x75 && i + 1 <= bytes.length) { battery = bytes[i]; i += 1; }
    else if (channel === 0x03 && type === 0x82 && i + 2 <= bytes.length) { distance = bytes.readUInt16LE(i); i += 2; }
    else if (channel === 0x04 && type === 0x00 && i + 1 <= bytes.length) { tilted = bytes[i] !== 0; i += 1; }
    else break;
}
if (distance === undefined) return null;
const devEui = up.deviceInfo.devEui.toLowerCase();
const ms = Date.parse(up.time);
const at = new Date(ms).toISOString();
const t = ms.toString(16).padStart(12, '0');
const d = up.deduplicationId.replace(/-/g, '');
const id = t.slice(0, 8) + '-' + t.slice(8, 12) + '-7' + d.slice(13, 16) + '-' + ((parseInt(d[16], 16) & 3) | 8).toString(16) + d.slice(17, 20) + '-' + d.slice(20, 32);
const record = { id, standard: 'fill-level/1', kommune: KOMMUNE, deviceId: devEui, gatewayId: GATEWAY_ID, observedAt: at, receivedAt: at, quality: 'good', distanceMm: distance };
if (distance < 20 || distance > 5000) { record.quality = 'suspect'; record.qualityFlags = ['out-of-range:distanceMm']; }
if (tilted !== undefined) record.tilted = tilted;
const device = context.get('devices')[devEui];
if (device) {
    record.assetId = device.assetId;
    if (device.empty !== undefined && device.empty !== device.full) {
        record.fillLevel = Math.min(1, Math.max(0, (device.empty - distance) / (device.empty - device.full)));
    }
}
const health = {};
if (battery !== undefined) health.batteryPercent = battery;
let best;
for (const rx of up.rxInfo || []) if (typeof rx.rssi === 'number' && (!best || rx.rssi > best.rssi)) best = rx;
if (best) { health.rssiDbm = best.rssi; health.snrDb = best.snr || 0; }
record.device = health;
msg.payload = { gatewayId: GATEWAY_ID, records: [record] };
msg.headers = { authorization: 'Bearer ' + TOKEN, 'content-type': 'application/json' };
return msg;
`;

/** The flow file: one tab, an MQTT broker config node and mqtt in → function → http request. */
export function em310Flow(options: Em310FlowOptions): object[] {
  const registry: Record<string, { assetId: string; empty?: number; full: number }> = {};
  for (const device of options.devices) {
    const empty = Number(device.params.emptyDistanceMm);
    const full = Number(device.params.fullDistanceMm ?? 0);
    registry[device.deviceKey.toLowerCase()] = { assetId: device.assetId, ...(Number.isFinite(empty) ? { empty } : {}), full: Number.isFinite(full) ? full : 0 };
  }
  const func = decodeFunction
    .replaceAll('KOMMUNE', JSON.stringify(options.kommune))
    .replaceAll('GATEWAY_ID', JSON.stringify(options.gatewayId))
    .replaceAll('TOKEN', JSON.stringify(options.token));
  return [
    { id: 'bench-tab', type: 'tab', label: 'sensorbro bench', disabled: false, info: '' },
    {
      id: 'bench-broker',
      type: 'mqtt-broker',
      name: 'bench mosquitto',
      broker: '127.0.0.1',
      port: String(options.mqttPort),
      clientid: options.clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      birthQos: '0',
      birthPayload: '',
      birthMsg: {},
      closeTopic: '',
      closeQos: '0',
      closePayload: '',
      closeMsg: {},
      willTopic: '',
      willQos: '0',
      willPayload: '',
      willMsg: {},
      userProps: '',
      sessionExpiry: '',
    },
    {
      id: 'bench-mqtt-in',
      type: 'mqtt in',
      z: 'bench-tab',
      name: 'ChirpStack uplinks',
      topic: options.topic,
      qos: '1',
      datatype: 'json',
      broker: 'bench-broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      x: 140,
      y: 80,
      wires: [['bench-decode']],
    },
    {
      id: 'bench-decode',
      type: 'function',
      z: 'bench-tab',
      name: 'EM310-UDL → fill-level/1',
      func,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: `context.set('devices', ${JSON.stringify(registry)});`,
      finalize: '',
      libs: [],
      x: 380,
      y: 80,
      wires: [['bench-post']],
    },
    {
      id: 'bench-post',
      type: 'http request',
      z: 'bench-tab',
      name: 'POST /api/v1/ingest',
      method: 'POST',
      ret: 'txt',
      paytoqs: 'ignore',
      url: `${options.ingestUrl.replace(/\/$/, '')}/api/v1/ingest`,
      tls: '',
      persist: true,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      x: 620,
      y: 80,
      wires: [[]],
    },
  ];
}

export interface NodeRedProcess {
  readonly pid: number;
  alive(): boolean;
  /** SIGTERM (Node-RED stops its flows), SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  output(): string;
}

/**
 * Starts Node-RED with a generated settings file: no HTTP server at all (httpAdminRoot and
 * httpNodeRoot false, so no editor and nothing to authenticate), userDir and flow file in `userDir`,
 * no telemetry, no palette installs. Resolves once the flows started and the MQTT node connected.
 */
export async function startNodeRed(install: NodeRedInstall, userDir: string, flow: object[], options: { startTimeoutMs?: number } = {}): Promise<NodeRedProcess> {
  mkdirSync(userDir, { recursive: true });
  const flowFile = join(userDir, 'flows.json');
  writeFileSync(flowFile, JSON.stringify(flow, null, 2));
  const settingsFile = join(userDir, 'settings.js');
  const settings = {
    userDir,
    flowFile,
    credentialSecret: false,
    uiHost: '127.0.0.1',
    uiPort: 0,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false } },
    functionExternalModules: false,
    exportGlobalContextKeys: false,
    editorTheme: { projects: { enabled: false } },
  };
  writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);

  const child: ChildProcess = spawn(process.execPath, [install.redJs, '--settings', settingsFile, '--userDir', userDir], {
    cwd: userDir,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 256 * 1024) output = output.slice(-128 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (!(/Started flows/.test(output) && /Connected to broker/.test(output))) {
    if (!alive()) throw new Error(`Node-RED exited at start:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Node-RED did not start its flows and connect to the broker within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    pid: child.pid!,
    alive,
    async stop(stopTimeoutMs = 10_000) {
      if (alive()) {
        child.kill('SIGTERM');
        const hard = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
        await exited;
        clearTimeout(hard);
      }
      process.off('exit', killOnExit);
    },
    output: () => output,
  };
}
