import type { SensorRecord } from '../../../standards/src/index.js';
import type { GatewayConfig } from '../config/schema.js';
import type { DeadLetterStore } from '../core/dead-letter.js';
import type { RecordQueue } from '../core/queue.js';
import type { IngestSource } from '../core/uplink.js';
import type { Forwarder } from '../forward/forwarder.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { DeviceStatusBook } from '../status/device-status.js';
import type { GatewayStatus } from '../status/snapshot.js';

interface Parts {
  config: GatewayConfig;
  startedAt: string;
  queue: RecordQueue;
  deadLetters: DeadLetterStore;
  forwarder: Forwarder;
  sources: readonly IngestSource[];
  pipeline: Pipeline;
  devices: DeviceStatusBook;
  registry: DeviceRegistry;
}

const envelopeKeys = new Set(['id', 'standard', 'kommune', 'deviceId', 'assetId', 'gatewayId', 'observedAt', 'receivedAt', 'quality', 'qualityFlags', 'device', 'undecoded']);

/** "distanceMm=1290 fillLevel=0.42": the standard's own fields of a record, for a table cell. */
function summarise(record: SensorRecord | undefined): string | undefined {
  if (!record) return undefined;
  return Object.entries(record)
    .filter(([key]) => !envelopeKeys.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'number' ? Number(value.toFixed(3)) : String(value)}`)
    .join(' ');
}

const cloudState = (status: ReturnType<Forwarder['state']>['status']): GatewayStatus['cloud']['state'] =>
  status === 'connected' ? 'ok' : status === 'connecting' ? 'sending' : status === 'stopped' ? 'idle' : status;

/** One consistent view of the running gateway for the status page, the JSON API and /metrics. */
export function buildSnapshot(parts: Parts, now = Date.now()): GatewayStatus {
  const { config, queue, deadLetters, forwarder, sources, pipeline, devices, registry } = parts;
  const queueStats = queue.stats();
  const deadLetterStats = deadLetters.stats();
  const cloud = forwarder.state();
  const rows = [...registry.keys()].map((deviceKey) => {
    const device = registry.lookup(deviceKey)!;
    const status = devices.get(deviceKey);
    return {
      deviceKey,
      profile: device.profile.id,
      assetId: device.assetId,
      lastSeenAt: status?.lastSeenAt,
      lastValue: summarise(status?.lastRecord),
      quality: status?.lastRecord?.quality,
      batteryPercent: status?.batteryPercent,
      batteryV: status?.batteryV,
      rssiDbm: status?.rssiDbm,
      uplinks: status?.uplinks ?? 0,
      decodeErrors: status?.decodeErrors ?? 0,
      deadLetters: deadLetterStats.byDevice[deviceKey] ?? 0,
      lastError: status?.lastError,
    };
  });
  return {
    gateway: {
      id: config.gateway.id,
      kommune: config.gateway.kommune,
      name: config.gateway.name,
      startedAt: parts.startedAt,
      uptimeS: Math.round((now - Date.parse(parts.startedAt)) / 1000),
    },
    cloud: {
      url: config.cloud.url,
      state: cloudState(cloud.status),
      lastSuccessAt: cloud.lastSuccessAt,
      lastError: cloud.lastError,
      consecutiveFailures: cloud.consecutiveFailures,
      sentRecords: cloud.sentRecords,
      rejectedRecords: cloud.rejectedRecords,
    },
    queue: {
      ...queueStats,
      oldestAgeS: queueStats.oldestEnqueuedAt ? Math.max(0, Math.round((now - Date.parse(queueStats.oldestEnqueuedAt)) / 1000)) : undefined,
    },
    sources: sources.map((source) => {
      const { connected, detail, counters } = source.state();
      return { name: source.name, connected, detail, ...(counters ? { counters: { ...counters } } : {}) };
    }),
    deadLetters: deadLetterStats,
    pipeline: { ...pipeline.counters },
    devices: rows,
  };
}
