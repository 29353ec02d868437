// Gateway heartbeat → Device (the gateway itself)
// Model: smart-data-models/dataModel.Device, Device/model.yaml: deviceCategory 'network',
// deviceState, dateLastValueReported, softwareVersion. Queue and traffic counters have no Device
// attribute; they stay in the record (and its exports), not in the entity.
import type { GatewayHeartbeatRecord } from '../../gateway-heartbeat.js';
import { described, present } from '../attributes.js';
import type { NgsiLdEntity } from '../entity.js';
import { entityId } from '../ids.js';
import { fiwareContext } from './context.js';

export function gatewayEntity(record: GatewayHeartbeatRecord): NgsiLdEntity {
  const connected = record.sourcesConnected === undefined || record.sourcesConnected === record.sourcesTotal;
  return {
    id: entityId('Device', record.kommune, record.deviceId),
    type: 'Device',
    ...present({
      deviceCategory: described(['network']),
      deviceState: described(connected ? 'ok' : 'degraded'),
      dateLastValueReported: described(record.observedAt),
      softwareVersion: record.softwareVersion === undefined ? undefined : described(record.softwareVersion),
    }),
    '@context': fiwareContext,
  };
}
