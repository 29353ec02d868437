import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { newRecordId, packageRoot } from '../../../firmware-profiles/src/index.js';
import { type SensorRecord, validateRecord } from '../../../standards/src/index.js';
import type { GatewayStatus } from '../status/snapshot.js';

export const softwareVersion: string = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** The gateway's health as a `gateway-heartbeat/1` record. */
export function heartbeatRecord(status: GatewayStatus, now = new Date()): SensorRecord {
  const at = now.toISOString();
  return {
    id: newRecordId(now.getTime()),
    standard: 'gateway-heartbeat/1',
    kommune: status.gateway.kommune,
    deviceId: status.gateway.id,
    gatewayId: status.gateway.id,
    observedAt: at,
    receivedAt: at,
    quality: 'good',
    uptimeS: status.gateway.uptimeS,
    queueDepth: status.queue.depth,
    queueOldestAgeS: status.queue.oldestAgeS ?? 0,
    queueDroppedTotal: status.queue.droppedAtQuota,
    deadLetters: status.deadLetters.total,
    uplinksTotal: status.pipeline.uplinks,
    recordsTotal: status.pipeline.records,
    sourcesConnected: status.sources.filter((source) => source.connected).length,
    sourcesTotal: status.sources.length,
    devicesConfigured: status.devices.length,
    softwareVersion,
  };
}

/**
 * Queues a heartbeat at start and then every `intervalS`: through the same durable queue as the
 * sensors' records, so a gateway back from a week offline reports its week too.
 */
export function startHeartbeat(options: {
  intervalS: number;
  snapshot: () => GatewayStatus;
  queue: (records: SensorRecord[]) => Promise<void>;
  logger: Logger;
}): { stop(): void } {
  const beat = () => {
    const record = heartbeatRecord(options.snapshot());
    const validation = validateRecord(record);
    if (!validation.ok) {
      options.logger.error({ reason: validation.reason }, 'heartbeat record invalid; not sent');
      return;
    }
    options.queue([record]).catch((error: unknown) => options.logger.error({ err: error }, 'heartbeat not queued'));
  };
  beat();
  const timer = setInterval(beat, options.intervalS * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
