import { z } from 'zod';
import { doorLockMeasurements, doorLockRecord } from './door-lock.js';
import { fillLevelMeasurements, fillLevelRecord } from './fill-level.js';
import { gatewayHeartbeatMeasurements, gatewayHeartbeatRecord } from './gateway-heartbeat.js';
import { meterReadingMeasurements, meterReadingRecord } from './meter-reading.js';
import { waterLevelMeasurements, waterLevelRecord } from './water-level.js';

export * from './envelope.js';
export { fillLevelRecord, type FillLevelRecord } from './fill-level.js';
export { waterLevelRecord, type WaterLevelRecord } from './water-level.js';
export { meterReadingRecord, meterTypes, type MeterReadingRecord } from './meter-reading.js';
export { doorLockRecord, type DoorLockRecord } from './door-lock.js';
export { gatewayHeartbeatRecord, type GatewayHeartbeatRecord } from './gateway-heartbeat.js';

export const standardSchemas = {
  'fill-level/1': fillLevelRecord,
  'water-level/1': waterLevelRecord,
  'meter-reading/1': meterReadingRecord,
  'door-lock/1': doorLockRecord,
  'gateway-heartbeat/1': gatewayHeartbeatRecord,
} as const;

export type StandardId = keyof typeof standardSchemas;

/** Per standard, the fields of which a record that is not 'bad' carries at least one. */
export const standardMeasurements: Record<StandardId, readonly string[]> = {
  'fill-level/1': fillLevelMeasurements,
  'water-level/1': waterLevelMeasurements,
  'meter-reading/1': meterReadingMeasurements,
  'door-lock/1': doorLockMeasurements,
  'gateway-heartbeat/1': gatewayHeartbeatMeasurements,
};
export const standardIds = Object.keys(standardSchemas) as StandardId[];
export const standardId = z.enum(standardIds as [StandardId, ...StandardId[]]);

/** The standards sensors produce (what firmware profiles may name); the heartbeat is the gateway's own. */
export const sensorStandardIds = ['fill-level/1', 'water-level/1', 'meter-reading/1', 'door-lock/1'] as const satisfies readonly StandardId[];
export type SensorStandardId = (typeof sensorStandardIds)[number];
export const sensorStandardId = z.enum(sensorStandardIds);

/** Any record of any standard; `standard` selects the schema. */
export const recordSchema = z.discriminatedUnion('standard', [
  fillLevelRecord,
  waterLevelRecord,
  meterReadingRecord,
  doorLockRecord,
  gatewayHeartbeatRecord,
]);
export type SensorRecord = z.infer<typeof recordSchema>;

export { validateRecord, type RecordValidation } from './validate.js';
export * from './ingest-contract.js';
export * from './ngsi-ld/index.js';
