import type { Logger } from 'pino';
import type { DeviceEvent } from '../../../firmware-profiles/src/index.js';
import type { SecretResolver } from '../config/load-config.js';
import type { GatewayConfig, SourceConfig } from '../config/schema.js';
import type { IngestSource } from '../core/uplink.js';
import type { DeviceCredential } from '../ingest/broker/logins.js';
import { hashPassword } from '../ingest/broker/passwords.js';
import { chirpstackSource } from '../ingest/chirpstack/source.js';
import { ttsSource } from '../ingest/tts/source.js';
import { lazyBrokerSource } from './lazy-broker-source.js';

/** The ingest adapters a configuration names, built but not started. */
export function createSources(
  config: GatewayConfig,
  secrets: SecretResolver,
  logger: Logger,
  onDeviceEvent: (event: DeviceEvent) => void,
): IngestSource[] {
  return config.sources.map((source, index) => createSource(source, index, config, secrets, logger, onDeviceEvent));
}

function createSource(
  source: SourceConfig,
  index: number,
  config: GatewayConfig,
  secrets: SecretResolver,
  logger: Logger,
  onDeviceEvent: (event: DeviceEvent) => void,
): IngestSource {
  const sourceLogger = logger.child({ source: `${source.type}#${index}` });
  // Named by type on the status page and in /metrics; by type and place when the type is there twice.
  const name = config.sources.filter((other) => other.type === source.type).length > 1 ? `${source.type}#${index}` : source.type;
  if (source.type === 'mqtt-broker') {
    const tls = source.tls && {
      cert: readPem(secrets, source.tls.certFile, `sources[${index}].tls.certFile`),
      key: readPem(secrets, source.tls.keyFile, `sources[${index}].tls.keyFile`),
    };
    return lazyBrokerSource({
      name,
      host: source.host,
      port: source.port,
      ...(tls ? { tls } : {}),
      topics: source.topics,
      maxPayloadBytes: source.maxPayloadBytes,
      credentials: deviceCredentials(config, secrets),
      logger: sourceLogger,
    });
  }
  const common = {
    name,
    url: source.url,
    // Stable per gateway and source: the broker keeps our persistent session (queued QoS 1 messages) under it.
    clientId: source.clientId ?? `sensorbro-${config.gateway.id}-${index}`,
    ...(source.username !== undefined ? { username: source.username } : {}),
    ...(source.password !== undefined ? { password: secrets(source.password) } : {}),
    maxPayloadBytes: source.maxPayloadBytes,
    logger: sourceLogger,
    onDeviceEvent,
  };
  if (source.type === 'chirpstack') return chirpstackSource({ ...common, applicationId: source.applicationId });
  return ttsSource({ ...common, applicationId: source.applicationId, ...(source.tenant ? { tenant: source.tenant } : {}) });
}

/** The MQTT logins of the configured devices; passwords are hashed here and not kept in plain text. */
function deviceCredentials(config: GatewayConfig, secrets: SecretResolver): Map<string, DeviceCredential> {
  const credentials = new Map<string, DeviceCredential>();
  for (const device of config.devices) {
    if (!device.mqtt) continue;
    credentials.set(device.mqtt.username, { deviceKey: device.deviceKey, passwordHash: hashPassword(secrets(device.mqtt.password)) });
  }
  return credentials;
}

/** A PEM file, relative to the configuration file like a secret file. */
function readPem(secrets: SecretResolver, file: string, path: string): string {
  try {
    return secrets({ file });
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}
