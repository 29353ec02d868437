import { be, type EncodedUplink, raw, u16Max, uplink } from './bytes.js';

/** Dragino LDDS75 ultrasonic distance sensor, optionally with a DS18B20 temperature probe. */
export interface Ldds75State {
  /** Battery, V, in mV steps (up to 16.383 V: 14 bits). */
  batteryV: number;
  /** Sensor face to the contents, whole mm; 0 and 20 are the sensor's "no sensor" and "invalid reading" codes. */
  distanceMm: number;
  /**
   * DS18B20 probe, 0.1 °C steps; undefined when none is fitted. The sensor sends 0 for "no probe",
   * so a reading of exactly 0.0 °C arrives as no temperature.
   */
  temperatureC?: number | undefined;
}

/** fPort 2, 8 bytes big endian: battery mV (low 14 bits), distance mm, interrupt flag 0, temperature (i16, 0.1 °C), sensor flag 1. */
export function encodeLdds75(state: Ldds75State): EncodedUplink {
  const distance = raw('distanceMm', state.distanceMm, 1, 1, u16Max);
  if (distance === 20) throw new RangeError('distanceMm: 20 is the LDDS75 code for an invalid reading');
  const temperature = state.temperatureC === undefined ? 0 : raw('temperatureC', state.temperatureC, 10, -0x8000, 0x7fff);
  return uplink(2, [
    ...be(raw('batteryV', state.batteryV, 1000, 0, 0x3fff), 2),
    ...be(distance, 2),
    0x00,
    ...be(temperature, 2),
    0x01,
  ]);
}
