import { channel, type EncodedUplink, le, raw, u32Max, uplink } from './bytes.js';

/** Milesight EM300-DI pulse counter, with its enclosure temperature and humidity. */
export interface Em300DiState {
  /** 0–100, whole percent. */
  batteryPercent: number;
  /** Enclosure, 0.1 °C steps. */
  temperatureC: number;
  /** Enclosure, 0.5 % steps. */
  humidityPercent: number;
  /** Cumulative pulses, 0 – 2³²−1. */
  pulseCount: number;
}

/** fPort 85: 01 75 battery, 03 67 temperature (i16 LE, 0.1 °C), 04 68 humidity (u8, 0.5 %), 05 C8 pulse count (u32 LE). */
export function encodeEm300Di(state: Em300DiState): EncodedUplink {
  return uplink(85, [
    ...channel(0x01, 0x75, [raw('batteryPercent', state.batteryPercent, 1, 0, 100)]),
    ...channel(0x03, 0x67, le(raw('temperatureC', state.temperatureC, 10, -0x8000, 0x7fff), 2)),
    ...channel(0x04, 0x68, [raw('humidityPercent', state.humidityPercent, 2, 0, 200)]),
    ...channel(0x05, 0xc8, le(raw('pulseCount', state.pulseCount, 1, 0, u32Max), 4)),
  ]);
}
