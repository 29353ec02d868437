import type { Observation } from '../../../firmware-profiles/src/index.js';

/**
 * Hand-written TypeScript decoders for the benchmark's three layouts: what a developer would write
 * for one sensor model, producing the same observations as the compiled profiles. The practical
 * speed limit the profile compiler is measured against.
 */

function observation(standard: Observation['standard']): Observation {
  return { standard, observedAt: undefined, quality: 'good', qualityFlags: undefined, fields: {}, device: {} };
}

function suspect(o: Observation, flag: string): void {
  (o.qualityFlags ??= []).push(flag);
  if (o.quality === 'good') o.quality = 'suspect';
}

export function decodeEm310Udl(b: Uint8Array): Observation[] {
  const o = observation('fill-level/1');
  let i = 0;
  while (i + 1 < b.length) {
    const key = (b[i]! << 8) | b[i + 1]!;
    if (key === 0x0175) {
      if (i + 3 > b.length) throw new Error('truncated');
      o.device.batteryPercent = b[i + 2]!;
      i += 3;
    } else if (key === 0x0382) {
      if (i + 4 > b.length) throw new Error('truncated');
      const distance = b[i + 2]! | (b[i + 3]! << 8);
      if (distance < 20 || distance > 5000) suspect(o, 'out-of-range:distanceMm');
      o.fields.distanceMm = distance;
      i += 4;
    } else if (key === 0x0400) {
      if (i + 3 > b.length) throw new Error('truncated');
      o.fields.tilted = b[i + 2] !== 0;
      i += 3;
    } else break;
  }
  return [o];
}

export function decodeEm300Di(b: Uint8Array): Observation[] {
  const o = observation('meter-reading/1');
  let i = 0;
  while (i + 1 < b.length) {
    const key = (b[i]! << 8) | b[i + 1]!;
    if (key === 0x0175) {
      o.device.batteryPercent = b[i + 2]!;
      i += 3;
    } else if (key === 0x0367) i += 4;
    else if (key === 0x0468) i += 3;
    else if (key === 0x0500) i += 3;
    else if (key === 0x05c8) {
      if (i + 6 > b.length) throw new Error('truncated');
      o.fields.pulseCount = (b[i + 2]! | (b[i + 3]! << 8) | (b[i + 4]! << 16) | (b[i + 5]! << 24)) >>> 0;
      i += 6;
    } else break;
  }
  o.fields.meterType = 'pulse';
  return [o];
}

function bcd(b: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let j = at + length - 1; j >= at; j--) value = value * 100 + (b[j]! >> 4) * 10 + (b[j]! & 0x0f);
  return value;
}

/** The Elvaco standard message: fixed knowledge of the DIF/VIF pairs this meter sends. */
export function decodeCmi4110(b: Uint8Array): Observation[] {
  const o = observation('meter-reading/1');
  const f = o.fields;
  let i = 1;
  while (i < b.length) {
    const dif = b[i]!;
    const vif = b[i + 1]!;
    const length = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0][dif & 0x0f]!;
    if (vif === 0xfd) {
      f.errorFlags = b[i + 3]! | (b[i + 4]! << 8);
      i += 3 + length;
      continue;
    }
    const value = bcd(b, i + 2, length);
    if (vif <= 0x07) f.energyKWh = value * 10 ** ((vif & 7) - 6);
    else if (vif >= 0x10 && vif <= 0x17) f.volumeM3 = value / 10 ** (6 - (vif & 7));
    else if (vif >= 0x28 && vif <= 0x2f) f.powerKW = value * 10 ** ((vif & 7) - 6);
    else if (vif >= 0x38 && vif <= 0x3f) f.flowM3h = value / 10 ** (6 - (vif & 7));
    else if (vif >= 0x58 && vif <= 0x5b) f.flowTempC = value / 10 ** (3 - (vif & 3));
    else if (vif >= 0x5c && vif <= 0x5f) f.returnTempC = value / 10 ** (3 - (vif & 3));
    else if (vif === 0x78) f.meterId = String(value).padStart(8, '0');
    i += 2 + length;
  }
  f.meterType = 'heat';
  return [o];
}
