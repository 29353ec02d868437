import { geoProperty, relationship } from '../attributes.js';
import { entityId } from '../ids.js';
import type { RecordMapping } from '../mapping.js';
import { fiwareAsset } from './asset.js';
import { fiwareContext } from './context.js';
import { deviceEntity } from './device.js';
import { gatewayEntity } from './gateway.js';

export { fiwareContext } from './context.js';

/**
 * A gateway heartbeat becomes the gateway's Device entity. Each sensor record becomes two entities: its asset in the standard's FIWARE Smart Data Model, and the
 * Device that observed it, linked both ways (asset.refDevice → Device, Device.controlledAsset → asset).
 * The mapping is 1:1 and applies no quality policy: a 'bad' record maps to whatever it carries.
 */
export const fiwareMapping: RecordMapping = {
  name: 'fiware',
  toEntities(record, options = {}) {
    if (record.standard === 'gateway-heartbeat/1') return [gatewayEntity(record)];
    const asset = fiwareAsset(record);
    const ids = {
      asset: entityId(asset.type, record.kommune, record.assetId ?? record.deviceId),
      device: entityId('Device', record.kommune, record.deviceId),
    };
    return [
      {
        id: ids.asset,
        type: asset.type,
        ...asset.attributes,
        ...(options.location && { location: geoProperty(options.location) }),
        refDevice: relationship(ids.device),
        '@context': fiwareContext,
      },
      deviceEntity(record, ids, asset),
    ];
  },
};
