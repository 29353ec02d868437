import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { type LoadedProfiles, loadProfiles, parseChirpstackEvent, parseTtsUp } from '../../../firmware-profiles/src/index.js';
import { INGEST_PATH } from '../../../standards/src/index.js';
import { loadGatewayConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../config/schema.js';
import type { IngestSource } from '../core/uplink.js';
import { openDeadLetterStore } from '../dead-letter/sqlite-dead-letters.js';
import { createForwarder } from '../forward/forwarder.js';
import { brokerEnvelopeParser } from '../ingest/broker/replay-parser.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { replayDeadLetters } from '../pipeline/replay.js';
import { openSqliteQueue } from '../queue/sqlite-queue.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createAdminToken } from '../status/admin-token.js';
import { DeviceStatusBook } from '../status/device-status.js';
import { startStatusServer } from '../status/server.js';
import { startHeartbeat } from './heartbeat.js';
import { buildSnapshot } from './snapshot.js';
import { createSources } from './sources.js';

export interface RunningGateway {
  statusUrl: string;
  storageDir: string;
  /** Re-reads the configuration: devices and sources change, the queue and its records stay. */
  reload(): Promise<void>;
  /** Stops taking messages, lets the cloud answer what is in flight, closes the stores. */
  stop(): Promise<void>;
}

export class ConfigError extends Error {}

async function readConfig(file: string, logger: Logger) {
  const profiles = await loadProfiles();
  for (const error of profiles.errors) logger.error({ err: error.message }, 'profile refused');
  const result = loadGatewayConfig(file, profiles);
  if (!result.ok) {
    for (const profile of profiles.profiles.values()) profile.dispose();
    throw new ConfigError(result.problems.map((problem) => `${file}: ${problem.path}: ${problem.message}`).join('\n'));
  }
  return { profiles, config: result.config, secrets: result.secrets };
}

/** Starts a gateway from its configuration file (DESIGN.md §1, gateway). */
export async function startGateway(configFile: string, options: { logger?: Logger } = {}): Promise<RunningGateway> {
  const logger = options.logger ?? pino({ name: 'sensorbro-gateway' });
  let { profiles, config, secrets } = await readConfig(configFile, logger);
  const startedAt = new Date().toISOString();
  const storageDir = config.storage.dir;
  mkdirSync(storageDir, { recursive: true, mode: 0o700 });

  const queue = openSqliteQueue({ path: join(storageDir, 'queue.db'), quotaBytes: config.storage.queueQuotaMb * 1024 * 1024, logger });
  const deadLetters = openDeadLetterStore({ path: join(storageDir, 'dead-letters.db'), maxEntries: config.storage.deadLetterMax, logger });
  const devices = new DeviceStatusBook();
  let registry = new DeviceRegistry(config.devices, profiles);

  const forwarder = createForwarder({
    queue,
    cloudUrl: config.cloud.url,
    token: secrets(config.cloud.token),
    gatewayId: config.gateway.id,
    batchSize: config.cloud.batchSize,
    lingerMs: config.cloud.lingerMs,
    maxInFlight: config.cloud.maxInFlight,
    logger,
    onRejected: (record, reason) =>
      deadLetters.add({
        raw: { source: 'cloud', address: INGEST_PATH, payload: Buffer.from(JSON.stringify(record)) },
        deviceKey: record.deviceId,
        code: 'cloud-rejected',
        reason,
      }),
  });
  const pipeline = new Pipeline({
    gatewayId: config.gateway.id,
    kommune: config.gateway.kommune,
    registry,
    queue,
    deadLetters,
    devices,
    onQueued: () => forwarder.notify(),
    logger: logger.child({ component: 'pipeline' }),
  });

  const startSources = async (current: GatewayConfig): Promise<IngestSource[]> => {
    const sources = createSources(current, secrets, logger, (event) => devices.recordHealth(event));
    for (const source of sources) await source.start(pipeline);
    return sources;
  };

  forwarder.start();
  let sources = await startSources(config);

  const brokerTopics = config.sources.flatMap((source) => (source.type === 'mqtt-broker' ? source.topics : []));
  const parsers = {
    chirpstack: parseChirpstackEvent,
    tts: parseTtsUp,
    ...(brokerTopics.length > 0 ? { mqtt: brokerEnvelopeParser(brokerTopics) } : {}),
  };
  const snapshot = () => buildSnapshot({ config, startedAt, queue, deadLetters, forwarder, sources, pipeline, devices, registry });
  const maxPayloadBytes = () => Math.max(64 * 1024, ...config.sources.map((source) => source.maxPayloadBytes));
  const status = await startStatusServer({
    host: config.status.host,
    port: config.status.port,
    token: config.status.token !== undefined ? secrets(config.status.token) : undefined,
    snapshot,
    commands: {
      adminToken: createAdminToken(storageDir),
      listDeadLetters: (query) => deadLetters.list(query).map((entry) => ({ ...entry, raw: { ...entry.raw, payload: Buffer.from(entry.raw.payload).toString('base64') } })),
      replayDeadLetters: (deviceKey) => replayDeadLetters(deadLetters, pipeline, parsers, { maxPayloadBytes: maxPayloadBytes(), ...(deviceKey ? { deviceKey } : {}) }),
    },
    logger,
  });
  const heartbeat = startHeartbeat({
    intervalS: config.cloud.heartbeatIntervalS,
    snapshot,
    queue: (records) => pipeline.commit(records),
    logger,
  });
  logger.info({ gateway: config.gateway.id, status: status.url, devices: registry.size, sources: sources.length }, 'gateway started');

  return {
    statusUrl: status.url,
    storageDir,
    async reload() {
      const next = await readConfig(configFile, logger);
      for (const source of sources) await source.stop();
      const previousProfiles = profiles;
      ({ profiles, config, secrets } = next);
      registry = new DeviceRegistry(config.devices, profiles);
      pipeline.useRegistry(registry);
      disposeProfiles(previousProfiles);
      sources = await startSources(config);
      logger.info({ devices: registry.size, sources: sources.length }, 'configuration reloaded (storage, cloud and status settings take effect at the next start)');
    },
    async stop() {
      heartbeat.stop();
      for (const source of sources) await source.stop();
      await forwarder.stop({ timeoutMs: 10_000 });
      await status.close();
      queue.close();
      deadLetters.close();
      disposeProfiles(profiles);
      logger.info('gateway stopped');
    },
  };
}

function disposeProfiles(profiles: LoadedProfiles): void {
  for (const profile of profiles.profiles.values()) profile.dispose();
}
