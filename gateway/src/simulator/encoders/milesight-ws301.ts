import { channel, checkBoolean, type EncodedUplink, raw, uplink } from './bytes.js';

/** Milesight WS301 door/window contact. */
export interface Ws301State {
  /** 0–100, whole percent. */
  batteryPercent: number;
  doorOpen: boolean;
  /** Removed from its mount. */
  tamper: boolean;
}

/** fPort 85: 01 75 battery, 03 00 door (0 closed, 1 open), 04 00 install state (0 installed, 1 removed). */
export function encodeWs301(state: Ws301State): EncodedUplink {
  return uplink(85, [
    ...channel(0x01, 0x75, [raw('batteryPercent', state.batteryPercent, 1, 0, 100)]),
    ...channel(0x03, 0x00, [checkBoolean('doorOpen', state.doorOpen) ? 1 : 0]),
    ...channel(0x04, 0x00, [checkBoolean('tamper', state.tamper) ? 1 : 0]),
  ]);
}
