import { bcd, type EncodedUplink, le, raw, uplink } from './bytes.js';

/** Elvaco CMi4110 on a Landis+Gyr UltraHeat heat meter. */
export interface Cmi4110State {
  /** Register, whole kWh (8 BCD digits). */
  energyKWh: number;
  /** Register, m³ in 0.01 steps. */
  volumeM3: number;
  /** kW in 0.1 steps (100 W). */
  powerKW: number;
  /** m³/h in 0.001 steps (l/h). */
  flowM3h: number;
  /** °C in 0.1 steps. */
  flowTempC: number;
  returnTempC: number;
  /** Serial printed on the meter: up to 8 digits. */
  meterId: string;
  /** Error bit field (0 = no error); the decoder reads it as a signed 16-bit integer, so 0–0x7FFF. */
  errorFlags: number;
}

/**
 * fPort 2, the "standard" message: format byte 0x00, then M-Bus records: 0C 06 energy (BCD8, kWh),
 * 0C 14 volume (BCD8, 0.01 m³), 0B 2D power (BCD6, 100 W), 0B 3B flow (BCD6, l/h), 0A 5A flow
 * temperature (BCD4, 0.1 °C), 0A 5E return temperature (BCD4, 0.1 °C), 0C 78 fabrication number
 * (BCD8), 02 FD 17 error flags (16-bit integer).
 */
export function encodeCmi4110(state: Cmi4110State): EncodedUplink {
  if (!/^\d{1,8}$/.test(state.meterId)) throw new RangeError(`meterId: "${state.meterId}" is not 1–8 digits`);
  return uplink(2, [
    0x00,
    ...[0x0c, 0x06, ...bcd('energyKWh', raw('energyKWh', state.energyKWh, 1, 0, 99_999_999), 4)],
    ...[0x0c, 0x14, ...bcd('volumeM3', raw('volumeM3', state.volumeM3, 100, 0, 99_999_999), 4)],
    ...[0x0b, 0x2d, ...bcd('powerKW', raw('powerKW', state.powerKW, 10, -99_999, 999_999), 3)],
    ...[0x0b, 0x3b, ...bcd('flowM3h', raw('flowM3h', state.flowM3h, 1000, -99_999, 999_999), 3)],
    ...[0x0a, 0x5a, ...bcd('flowTempC', raw('flowTempC', state.flowTempC, 10, -999, 9_999), 2)],
    ...[0x0a, 0x5e, ...bcd('returnTempC', raw('returnTempC', state.returnTempC, 10, -999, 9_999), 2)],
    ...[0x0c, 0x78, ...bcd('meterId', Number(state.meterId), 4)],
    ...[0x02, 0xfd, 0x17, ...le(raw('errorFlags', state.errorFlags, 1, 0, 0x7fff), 2)],
  ]);
}
