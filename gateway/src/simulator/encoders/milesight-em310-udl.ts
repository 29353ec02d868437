import { channel, checkBoolean, type EncodedUplink, le, raw, u16Max, uplink } from './bytes.js';

/** Milesight EM310-UDL ultrasonic distance sensor (waste containers). */
export interface Em310UdlState {
  /** 0–100, whole percent. */
  batteryPercent: number;
  /** Sensor face to the contents, whole mm (the sensor measures 20–5000). */
  distanceMm: number;
  tilted: boolean;
}

/** fPort 85: 01 75 battery, 03 82 distance (u16 LE, mm), 04 00 tilt (0/1). */
export function encodeEm310Udl(state: Em310UdlState): EncodedUplink {
  return uplink(85, [
    ...channel(0x01, 0x75, [raw('batteryPercent', state.batteryPercent, 1, 0, 100)]),
    ...channel(0x03, 0x82, le(raw('distanceMm', state.distanceMm, 1, 0, u16Max), 2)),
    ...channel(0x04, 0x00, [checkBoolean('tilted', state.tilted) ? 1 : 0]),
  ]);
}
