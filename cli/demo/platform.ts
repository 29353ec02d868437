import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { startCloud } from '../../cloud/src/cli/run.js';
import { cloudConfigSchema } from '../../cloud/src/config.js';
import { startGateway } from '../../gateway/src/app/gateway.js';
import { publishSimulation } from '../../gateway/src/simulator/publisher.js';
import { createSimulator } from '../../gateway/src/simulator/simulator.js';
import { runUntilStopped } from '../run-until-stopped.js';
import { demoRegistry, registerDemo } from './demo-registry.js';
import { startDemoBroker } from './network-server-broker.js';

export interface PlatformDemoOptions {
  dataDir: string;
  statusPort: number;
  cloudPort: number;
  ratePerSecond: number;
}

const demoKommune = '0751';
const demoAdminEmail = 'admin@demo.sensorbro.dk';
const demoGatewayId = 'demo-gateway';
const demoApiTokenDays = 7;

/** The demo admin's password: made at the first run and kept in the data dir, so logins survive restarts. */
function demoAdminPassword(dataDir: string): string {
  const file = join(dataDir, 'admin-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(12).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * `sensorbro demo`: the platform wired together on this machine on embedded defaults — simulated
 * sensors of the eight supported models → a network server's MQTT broker → the gateway (status
 * page) → the cloud (embedded SQLite store, API and OpenAPI docs).
 */
export async function runPlatformDemo(options: PlatformDemoOptions): Promise<number> {
  // Quiet by default: until the cloud exists the forwarder's retries would fill the terminal.
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'error' });
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const adminPassword = demoAdminPassword(dataDir);
  const cloud = await startCloud(
    cloudConfigSchema.parse({
      dataDir: join(dataDir, 'cloud'),
      port: options.cloudPort,
      logLevel: 'error',
      admin: { email: demoAdminEmail, password: adminPassword, kommune: demoKommune, kommuneName: 'Aarhus' },
    }),
    logger,
  );
  // A fresh gateway token at every start (rotation: older ones stay valid for the grace period).
  const gatewayToken = cloud.services.gatewayTokens.issue(demoKommune, demoGatewayId, { graceMs: 0 }).token;
  // An API token for trying the REST API (and for registering the demo's sensors below), valid a week.
  const apiToken = cloud.services.apiTokens.issue(demoKommune, {
    name: 'demo',
    roles: ['admin'],
    expiresAt: new Date(Date.now() + demoApiTokenDays * 86_400_000),
  }).token;
  const apiTokenFile = join(dataDir, 'api-token');
  writeFileSync(apiTokenFile, `${apiToken}\n`, { mode: 0o600 });
  const broker = await startDemoBroker();
  const simulator = createSimulator({
    seed: 'sensorbro-demo',
    devices: {
      'milesight-em310-udl': 12, 'dragino-ldds75': 6, 'milesight-em500-swl': 3, 'milesight-em300-di': 4,
      'milesight-ws301': 4, 'dragino-lds02': 3, 'elvaco-cmi4110': 4, 'axioma-qalcosonic-w1': 4,
    },
    networkServer: 'chirpstack',
    applicationId: '5f0c6c41-3d6b-4c2e-9d55-0b1e6a2f7d10',
    // Report far more often than real sensors do, so the demo shows movement at once.
    intervalsS: { 'milesight-em310-udl': 20, 'dragino-ldds75': 20, 'milesight-em500-swl': 15, 'milesight-em300-di': 30, 'milesight-ws301': 30, 'dragino-lds02': 30, 'elvaco-cmi4110': 30, 'axioma-qalcosonic-w1': 60 },
  });
  await registerDemo(cloud.url, apiToken, demoRegistry(simulator.devices(), demoGatewayId));
  const configFile = join(dataDir, 'gateway.yaml');
  writeFileSync(
    configFile,
    `# Written by "sensorbro demo": the demo gateway's configuration.\n${stringify({
      gateway: { id: demoGatewayId, kommune: demoKommune, name: 'Demo (simulerede sensorer)' },
      cloud: { url: cloud.url, token: { env: 'SENSORBRO_DEMO_CLOUD_TOKEN' } },
      storage: { dir: join(dataDir, 'gateway') },
      status: { host: '127.0.0.1', port: options.statusPort },
      sources: [{ type: 'chirpstack', url: broker.url, username: broker.username, password: { env: 'SENSORBRO_DEMO_BROKER_PASSWORD' } }],
      devices: simulator.devices(),
    })}`,
  );
  process.env.SENSORBRO_DEMO_BROKER_PASSWORD = broker.password;
  process.env.SENSORBRO_DEMO_CLOUD_TOKEN = gatewayToken;
  const gateway = await startGateway(configFile, { logger });
  const abort = new AbortController();
  const publishing = publishSimulation({
    simulator,
    mqttUrl: broker.url,
    username: broker.username,
    password: broker.password,
    ratePerSecond: options.ratePerSecond,
    durationS: 365 * 24 * 3600,
    signal: abort.signal,
  });
  process.stdout.write(
    [
      '',
      'sensorbro demo is running:',
      `  ${simulator.devices().length} simulated sensors (8 models) publish ChirpStack uplinks at ${options.ratePerSecond}/s`,
      `  gateway status page:   ${gateway.statusUrl}/`,
      `  gateway status (JSON): ${gateway.statusUrl}/api/status`,
      `  Prometheus metrics:    ${gateway.statusUrl}/metrics`,
      `  gateway configuration: ${configFile}`,
      `  cloud API:             ${cloud.url}/api/v1  (OpenAPI: ${cloud.url}/docs)`,
      `  log in as ${demoAdminEmail}, kommune ${demoKommune}, password in ${join(dataDir, 'admin-password')}`,
      `  API token (admin, ${demoApiTokenDays} days) in ${apiTokenFile}, e.g.`,
      `    curl -H "Authorization: Bearer $(cat ${apiTokenFile})" ${cloud.url}/api/v1/latest`,
      `    curl -H "Authorization: Bearer $(cat ${apiTokenFile})" ${cloud.url}/api/v1/gateways/health`,
      `  open data (no login):  ${cloud.url}/open/v1/${demoKommune}/catalog.jsonld`,
      `                         ${cloud.url}/open/v1/${demoKommune}/datasets/fill-level-v1/latest.csv`,
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  return runUntilStopped({
    logger,
    async stop() {
      abort.abort();
      await publishing.catch(() => undefined);
      await gateway.stop();
      await broker.close();
      await cloud.close();
    },
  });
}
