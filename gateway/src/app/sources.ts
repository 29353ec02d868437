import type { Logger } from 'pino';
import type { SecretResolver } from '../config/load-config.js';
import type { GatewayConfig, SourceConfig } from '../config/schema.js';
import type { IngestSource } from '../core/uplink.js';
import { chirpstackSource } from '../ingest/chirpstack/source.js';
import type { DeviceEvent } from '../ingest/envelope.js';
import { ttsSource } from '../ingest/tts/source.js';

/** The ingest adapters a configuration names, built but not started. */
export function createSources(
  config: GatewayConfig,
  secrets: SecretResolver,
  logger: Logger,
  onDeviceEvent: (event: DeviceEvent) => void,
): IngestSource[] {
  return config.sources.flatMap((source, index) => {
    const built = createSource(source, index, config.gateway.id, secrets, logger, onDeviceEvent);
    return built ? [built] : [];
  });
}

function createSource(
  source: SourceConfig,
  index: number,
  gatewayId: string,
  secrets: SecretResolver,
  logger: Logger,
  onDeviceEvent: (event: DeviceEvent) => void,
): IngestSource | undefined {
  if (source.type === 'mqtt-broker') return undefined; // refused by loadGatewayConfig until it exists
  const common = {
    url: source.url,
    // Stable per gateway and source: the broker keeps our persistent session (queued QoS 1 messages) under it.
    clientId: source.clientId ?? `sensorbro-${gatewayId}-${index}`,
    ...(source.username !== undefined ? { username: source.username } : {}),
    ...(source.password !== undefined ? { password: secrets(source.password) } : {}),
    maxPayloadBytes: source.maxPayloadBytes,
    logger: logger.child({ source: `${source.type}#${index}` }),
    onDeviceEvent,
  };
  if (source.type === 'chirpstack') return chirpstackSource({ ...common, applicationId: source.applicationId });
  return ttsSource({ ...common, applicationId: source.applicationId, ...(source.tenant ? { tenant: source.tenant } : {}) });
}
