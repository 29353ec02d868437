import type { MbusQuantity } from '../format/profile-schema.js';
import { DecodeError } from './observation.js';

/**
 * EN 13757-3 (wired/wireless M-Bus application layer) data record headers: DIF, DIFEs, VIF, VIFEs.
 * Values are converted to the units of our record fields: kWh, m³, kW, m³/h, °C, K.
 */
export interface MbusHeader {
  /** Bytes of DIF + DIFEs + VIF + VIFEs. */
  headerLength: number;
  /** Data field code (DIF low nibble). */
  dataCode: number;
  /** 0 instantaneous, 1 maximum, 2 minimum, 3 value during error. */
  func: number;
  storage: number;
  tariff: number;
  /** Undefined when the VIF is valid but not one we map. */
  quantity: MbusQuantity | undefined;
  /** value = raw * mul / div */
  mul: number;
  div: number;
}

const pow10 = (exponent: number) => ({ mul: exponent >= 0 ? 10 ** exponent : 1, div: exponent < 0 ? 10 ** -exponent : 1 });
const kWhPerJoule = 1 / 3.6e6;

interface Unit { quantity: MbusQuantity | undefined; mul: number; div: number }

function primaryVif(vif: number): Unit {
  const n = vif & 0x07;
  const n2 = vif & 0x03;
  if (vif <= 0x07) return { quantity: 'energy', ...pow10(n - 6) }; // 10^(n-3) Wh → kWh
  if (vif <= 0x0f) return { quantity: 'energy', mul: 10 ** n * kWhPerJoule, div: 1 }; // 10^n J
  if (vif <= 0x17) return { quantity: 'volume', ...pow10(n - 6) }; // 10^(n-6) m³
  if (vif >= 0x28 && vif <= 0x2f) return { quantity: 'power', ...pow10(n - 6) }; // 10^(n-3) W → kW
  if (vif >= 0x30 && vif <= 0x37) return { quantity: 'power', mul: 10 ** n * kWhPerJoule, div: 1 }; // 10^n J/h
  if (vif >= 0x38 && vif <= 0x3f) return { quantity: 'volumeFlow', ...pow10(n - 6) }; // 10^(n-6) m³/h
  if (vif >= 0x40 && vif <= 0x47) return { quantity: 'volumeFlow', mul: 60, div: 10 ** (7 - n) }; // 10^(n-7) m³/min
  if (vif >= 0x48 && vif <= 0x4f) return { quantity: 'volumeFlow', mul: 3600, div: 10 ** (9 - n) }; // 10^(n-9) m³/s
  if (vif >= 0x58 && vif <= 0x5b) return { quantity: 'flowTemperature', ...pow10(n2 - 3) };
  if (vif >= 0x5c && vif <= 0x5f) return { quantity: 'returnTemperature', ...pow10(n2 - 3) };
  if (vif >= 0x60 && vif <= 0x63) return { quantity: 'temperatureDifference', ...pow10(n2 - 3) };
  if (vif === 0x6d) return { quantity: 'dateTime', mul: 1, div: 1 };
  if (vif === 0x78) return { quantity: 'fabricationNumber', mul: 1, div: 1 };
  return { quantity: undefined, mul: 1, div: 1 };
}

/** VIF 0xFB (first extension table): the large energy, volume and power units. */
function extensionFB(vife: number): Unit {
  const e = vife & 0x7f;
  if (e <= 0x01) return { quantity: 'energy', ...pow10((e & 1) - 1 + 3) }; // 10^(n-1) MWh → kWh
  if (e >= 0x08 && e <= 0x09) return { quantity: 'energy', mul: 10 ** ((e & 1) - 1) * 1e9 * kWhPerJoule, div: 1 }; // 10^(n-1) GJ
  if (e >= 0x10 && e <= 0x11) return { quantity: 'volume', ...pow10((e & 1) + 2) }; // 10^(n+2) m³
  if (e >= 0x28 && e <= 0x29) return { quantity: 'power', ...pow10((e & 1) - 1 + 3) }; // 10^(n-1) MW → kW
  return { quantity: undefined, mul: 1, div: 1 };
}

/** VIF 0xFD (second extension table). */
function extensionFD(vife: number): Unit {
  if ((vife & 0x7f) === 0x17) return { quantity: 'errorFlags', mul: 1, div: 1 };
  return { quantity: undefined, mul: 1, div: 1 };
}

/** Bytes of data for a data field code; -1 = variable length (LVAR), -2 = special function. */
export function dataLength(dataCode: number): number {
  return [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -2][dataCode] ?? -2;
}

/** Parses the record header at `at`; throws DecodeError('truncated') when the payload ends inside it. */
export function parseHeader(b: Uint8Array, at: number): MbusHeader {
  const n = b.length;
  const dif = b[at]!;
  let i = at + 1;
  let storage = (dif >> 6) & 1;
  let tariff = 0;
  let extension = dif & 0x80;
  for (let difeIndex = 0; extension; difeIndex++) {
    if (i >= n) throw new DecodeError('truncated', `M-Bus record at byte ${at}: payload ends inside its DIFEs`);
    if (difeIndex >= 10) throw new DecodeError('truncated', `M-Bus record at byte ${at}: more than 10 DIFEs`);
    const dife = b[i++]!;
    storage |= (dife & 0x0f) << (1 + 4 * difeIndex);
    tariff |= ((dife >> 4) & 0x03) << (2 * difeIndex);
    extension = dife & 0x80;
  }
  if (i >= n) throw new DecodeError('truncated', `M-Bus record at byte ${at}: payload ends before its VIF`);
  const vif = b[i++]!;
  let unit: Unit;
  let vifExtended = vif & 0x80;
  const base = vif & 0x7f;
  if (vif === 0xfb || vif === 0xfd) {
    if (i >= n) throw new DecodeError('truncated', `M-Bus record at byte ${at}: payload ends inside its VIF extension`);
    const vife = b[i++]!;
    unit = vif === 0xfb ? extensionFB(vife) : extensionFD(vife);
    vifExtended = vife & 0x80;
  } else {
    unit = base === 0x7c || base === 0x7e || base === 0x7f ? { quantity: undefined, mul: 1, div: 1 } : primaryVif(base);
  }
  // Combinable VIFEs change the meaning (e.g. "per hour", "at error"): such a record is not one we map.
  for (let vifeCount = 0; vifExtended; vifeCount++) {
    if (i >= n) throw new DecodeError('truncated', `M-Bus record at byte ${at}: payload ends inside its VIFEs`);
    if (vifeCount >= 10) throw new DecodeError('truncated', `M-Bus record at byte ${at}: more than 10 VIFEs`);
    vifExtended = b[i++]! & 0x80;
    unit = { quantity: undefined, mul: 1, div: 1 };
  }
  return {
    headerLength: i - at,
    dataCode: dif & 0x0f,
    func: (dif >> 4) & 0x03,
    storage,
    tariff,
    quantity: unit.quantity,
    mul: unit.mul,
    div: unit.div,
  };
}

/** Little-endian BCD of `length` bytes; NaN when a digit is not 0–9 (the meter's "no value"). A top nibble F means negative. */
export function readBcd(b: Uint8Array, at: number, length: number): number {
  let value = 0;
  let negative = false;
  for (let j = at + length - 1; j >= at; j--) {
    let high = b[j]! >> 4;
    const low = b[j]! & 0x0f;
    if (j === at + length - 1 && high === 0x0f) {
      negative = true;
      high = 0;
    }
    if (high > 9 || low > 9) return Number.NaN;
    value = value * 100 + high * 10 + low;
  }
  return negative ? -value : value;
}

/** Little-endian signed integer of 1–8 bytes (above 2^53 loses precision, as any JS number). */
export function readIntLe(b: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let j = at + length - 1; j >= at; j--) value = value * 256 + b[j]!;
  const limit = 2 ** (8 * length - 1);
  return value >= limit ? value - 2 * limit : value;
}

/** Little-endian unsigned integer of 1–6 bytes. */
export function readUintLe(b: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let j = at + length - 1; j >= at; j--) value = value * 256 + b[j]!;
  return value;
}

/** M-Bus data type F (4 bytes): minute, hour, day, month, year, read as UTC; undefined when flagged invalid. */
export function readTypeF(b: Uint8Array, at: number): Date | undefined {
  const minute = b[at]! & 0x3f;
  const invalid = b[at]! & 0x80;
  const hour = b[at + 1]! & 0x1f;
  const day = b[at + 2]! & 0x1f;
  const month = b[at + 3]! & 0x0f;
  const year = 2000 + (((b[at + 2]! >> 5) & 0x07) | ((b[at + 3]! >> 4) << 3));
  if (invalid || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return undefined;
  return new Date(Date.UTC(year, month - 1, day, hour, minute));
}
