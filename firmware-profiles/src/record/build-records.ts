import type { SensorRecord } from '../../../standards/src/index.js';
import type { Observation, UndecodedBytes } from '../compile/observation.js';
import { newRecordId, stableRecordId } from './record-id.js';

/** Who made the observations: the registry's view of the device, and the uplink's radio metadata. */
export interface RecordContext {
  kommune: string;
  deviceId: string;
  assetId?: string | undefined;
  gatewayId: string;
  /** Network server time of the uplink, ISO 8601 UTC. */
  receivedAt: string;
  radio?: { rssiDbm?: number | undefined; snrDb?: number | undefined } | undefined;
  /** The network server's id of the message, when it has one: record ids are then derived from it. */
  messageId?: string | undefined;
}

/**
 * Wraps decoded observations in the record envelope (DESIGN.md §2): a UUIDv7 id each (fresh, or
 * derived from the message id so a redelivered message gives the same ids),
 * observedAt = device time when the payload had one, else the network server's time. Undecoded
 * payload parts ride along on the first record so no byte the sensor sent is lost.
 */
export function buildRecords(observations: readonly Observation[], undecoded: readonly UndecodedBytes[], context: RecordContext): SensorRecord[] {
  return observations.map((observation, index) => {
    const device = { ...observation.device };
    if (context.radio?.rssiDbm !== undefined) device.rssiDbm = context.radio.rssiDbm;
    if (context.radio?.snrDb !== undefined) device.snrDb = context.radio.snrDb;
    const record: Record<string, unknown> = {
      id: context.messageId === undefined ? newRecordId() : stableRecordId(Date.parse(context.receivedAt), `${context.messageId}#${index}`),
      standard: observation.standard,
      kommune: context.kommune,
      deviceId: context.deviceId,
      gatewayId: context.gatewayId,
      observedAt: observation.observedAt ?? context.receivedAt,
      receivedAt: context.receivedAt,
      quality: observation.quality,
      ...observation.fields,
    };
    if (context.assetId !== undefined) record.assetId = context.assetId;
    if (observation.qualityFlags) record.qualityFlags = observation.qualityFlags;
    if (Object.keys(device).length > 0) record.device = device;
    if (index === 0 && undecoded.length > 0) record.undecoded = undecoded;
    return record as SensorRecord;
  });
}
