import type { SensorRecord } from '../../../standards/src/index.js';

/** Records shared by the export-* and opendata-* tests (their cloud: test/support/cloud-app.ts). */

let sequence = 0;
/** A valid UUIDv7 whose time part is `at` (ids sort like their times; the counter keeps them unique). */
export function uuidV7(at: string): string {
  const hex = Date.parse(at).toString(16).padStart(12, '0') + (sequence++).toString(16).padStart(18, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(12, 15)}-8${hex.slice(15, 18)}-${hex.slice(18, 30)}`;
}

export function fillLevel(at: string, fields: Partial<Extract<SensorRecord, { standard: 'fill-level/1' }>> = {}): SensorRecord {
  return {
    id: uuidV7(at),
    standard: 'fill-level/1',
    kommune: '0751',
    deviceId: 'a84041000181c5d1',
    assetId: 'c-1',
    gatewayId: 'gw-1',
    observedAt: at,
    receivedAt: at,
    quality: 'good',
    distanceMm: 820,
    fillLevel: 0.59,
    device: { batteryPercent: 87, rssiDbm: -97, snrDb: 7.5 },
    ...fields,
  } as SensorRecord;
}
