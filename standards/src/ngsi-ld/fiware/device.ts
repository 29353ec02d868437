// Envelope `device` → Device
// Model: smart-data-models/dataModel.Device, Device/model.yaml (batteryLevel 0..1, rssi with unitCode,
// controlledAsset, controlledProperty, deviceCategory). The same quantities are uCIFI LwM2M objects
// 3411 Battery (level %, voltage) and 3412 Communication (RSSI dBm, SNR dB).
// Not mapped (no Device attribute): batteryV, snrDb.
import type { SensorRecord } from '../../index.js';
import { described, observed, present, relationship } from '../attributes.js';
import type { NgsiLdEntity } from '../entity.js';
import { unitCode } from '../unit-codes.js';
import type { FiwareAsset } from './asset.js';
import { fiwareContext } from './context.js';

export function deviceEntity(
  record: SensorRecord,
  ids: { device: string; asset: string },
  asset: Pick<FiwareAsset, 'controlledProperty' | 'deviceCategory'>,
): NgsiLdEntity {
  const at = record.observedAt;
  const battery = record.device?.batteryPercent;
  return {
    id: ids.device,
    type: 'Device',
    ...present({
      batteryLevel: observed(battery === undefined ? undefined : battery / 100, at),
      rssi: observed(record.device?.rssiDbm, at, { unitCode: unitCode.decibelMilliwatt }),
      controlledProperty: asset.controlledProperty.length > 0 ? described(asset.controlledProperty) : undefined,
      deviceCategory: described([asset.deviceCategory]),
      controlledAsset: relationship(ids.asset),
    }),
    '@context': fiwareContext,
  };
}
