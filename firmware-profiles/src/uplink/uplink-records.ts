import { type SensorRecord, validateRecord } from '../../../standards/src/index.js';
import type { CompiledProfile, PreparedParams } from '../compile/compile-profile.js';
import { buildRecords } from '../record/build-records.js';
import type { Uplink } from './uplink.js';

/** A registered device as the decoder needs it: its record ids, its profile, its parameters (checked once). */
export interface UplinkDevice {
  /** The record's deviceId. */
  deviceId: string;
  assetId?: string | undefined;
  profile: CompiledProfile;
  params: PreparedParams;
}

/** Who records are made for and who delivered them: the gateway, or the cloud's integration endpoint. */
export interface RecordOrigin {
  kommune: string;
  gatewayId: string;
}

export type UplinkRecords = { ok: true; records: SensorRecord[] } | { ok: false; code: string; reason: string };

/**
 * Decoder → records → validation for one uplink of a registered device (DESIGN.md §1): the same on
 * the gateway and at the cloud's HTTP integrations. On failure the code and reason of its dead letter.
 */
export function recordsOfUplink(uplink: Uplink, device: UplinkDevice, origin: RecordOrigin): UplinkRecords {
  const receivedAtMs = Date.parse(uplink.receivedAt);
  let outcome;
  if (uplink.json !== undefined) outcome = device.profile.decodeJson({ json: uplink.json, receivedAtMs, params: device.params });
  else if (uplink.bytes !== undefined && uplink.fPort !== undefined) {
    outcome = device.profile.decode({ fPort: uplink.fPort, bytes: uplink.bytes, receivedAtMs, params: device.params });
  } else {
    return { ok: false, code: 'no-payload', reason: 'the uplink carries no application payload (fPort 0: MAC commands only)' };
  }
  if (!outcome.ok) return { ok: false, code: outcome.code, reason: outcome.reason };
  const records = buildRecords(outcome.observations, outcome.undecoded, {
    kommune: origin.kommune,
    deviceId: device.deviceId,
    assetId: device.assetId,
    gatewayId: origin.gatewayId,
    receivedAt: uplink.receivedAt,
    radio: uplink.radio,
    messageId: uplink.messageId,
  });
  for (const record of records) {
    const validation = validateRecord(record);
    if (!validation.ok) return { ok: false, code: 'invalid-record', reason: validation.reason };
  }
  return { ok: true, records };
}
