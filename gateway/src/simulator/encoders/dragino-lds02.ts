import { be, checkBoolean, type EncodedUplink, raw, u24Max, uplink } from './bytes.js';

/** Dragino LDS02 door sensor. */
export interface Lds02State {
  doorOpen: boolean;
  /** Battery, V, in mV steps (14 bits). */
  batteryV: number;
  /** Openings so far (24 bits). */
  openCount: number;
  /** Length of the last opening, s, in whole minutes (the sensor counts minutes). */
  lastOpenDurationS: number;
  /** Open longer than the configured alarm time. */
  alarm: boolean;
}

/**
 * fPort 10, 10 bytes big endian: door (bit 15) | battery mV (bits 0–13), mode 1, open count (u24),
 * last open duration in minutes (u24), alarm (bit 0).
 */
export function encodeLds02(state: Lds02State): EncodedUplink {
  const status = (checkBoolean('doorOpen', state.doorOpen) ? 0x8000 : 0) | raw('batteryV', state.batteryV, 1000, 0, 0x3fff);
  return uplink(10, [
    ...be(status, 2),
    0x01,
    ...be(raw('openCount', state.openCount, 1, 0, u24Max), 3),
    ...be(raw('lastOpenDurationS', state.lastOpenDurationS, 1 / 60, 0, u24Max), 3),
    checkBoolean('alarm', state.alarm) ? 1 : 0,
  ]);
}
