import { channel, type EncodedUplink, le, raw, uplink } from './bytes.js';

/** Milesight EM500-SWL submersible water level probe. */
export interface Em500SwlState {
  /** 0–100, whole percent. */
  batteryPercent: number;
  /** Water above the probe, m, in whole cm (0–655.32; 0xFFFD and 0xFFFF are the probe's fault codes). */
  waterDepthM: number;
}

/** fPort 85: 01 75 battery, 03 77 depth (u16 LE, cm). */
export function encodeEm500Swl(state: Em500SwlState): EncodedUplink {
  return uplink(85, [
    ...channel(0x01, 0x75, [raw('batteryPercent', state.batteryPercent, 1, 0, 100)]),
    ...channel(0x03, 0x77, le(raw('waterDepthM', state.waterDepthM, 100, 0, 0xfffc), 2)),
  ]);
}
