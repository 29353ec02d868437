import { z } from 'zod';
import { defineStandard } from './define-standard.js';

/**
 * Not a sensor standard: the gateway's own health, sent as a record at an interval through the
 * same durable queue, so the cloud sees a gateway's state (and its history) without polling it.
 * deviceId is the gateway id.
 */
export const gatewayHeartbeatMeasurements = ['queueDepth'] as const;

const count = () => z.number().int().min(0);

export const gatewayHeartbeatRecord = defineStandard(
  'gateway-heartbeat/1',
  'Health of a gateway: uptime, queue, dead letters, traffic and sources.',
  {
    uptimeS: count().optional(),
    queueDepth: count().optional().meta({ description: 'Records waiting for the cloud.' }),
    queueOldestAgeS: count().optional(),
    queueDroppedTotal: count().optional().meta({ description: 'Records dropped at the disk quota since installation.' }),
    deadLetters: count().optional().meta({ description: 'Dead letters kept on the gateway.' }),
    uplinksTotal: count().optional().meta({ description: 'Uplinks received since start.' }),
    recordsTotal: count().optional().meta({ description: 'Records decoded since start.' }),
    sourcesConnected: count().optional(),
    sourcesTotal: count().optional(),
    devicesConfigured: count().optional(),
    softwareVersion: z.string().min(1).max(64).optional(),
  },
  gatewayHeartbeatMeasurements,
);
export type GatewayHeartbeatRecord = z.infer<typeof gatewayHeartbeatRecord>;
