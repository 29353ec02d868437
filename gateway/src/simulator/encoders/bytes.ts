/**
 * Byte writing for the payload encoders: device values to raw integers at the device's resolution
 * (refusing what the layout cannot carry), little/big endian integers, M-Bus BCD.
 */

/** What an encoder produces: an uplink's application port and payload. */
export interface EncodedUplink {
  fPort: number;
  bytes: Uint8Array;
}

/**
 * `value` in units of 1/`perUnit` (e.g. perUnit 10 for 0.1 °C steps) as the integer the device
 * sends, rounded to its resolution; RangeError when outside [min, max] or not finite.
 */
export function raw(what: string, value: number, perUnit: number, min: number, max: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`${what}: ${value} is not a number`);
  const r = Math.round(value * perUnit) + 0; // + 0: no -0
  if (r < min || r > max) throw new RangeError(`${what}: ${value} is outside what the payload can carry (${min / perUnit} to ${max / perUnit})`);
  return r;
}

export const u8Max = 0xff;
export const u16Max = 0xffff;
export const u24Max = 0xffffff;
export const u32Max = 0xffffffff;

/** Little endian, `size` bytes; negative values in two's complement. */
export function le(value: number, size: number): number[] {
  const out: number[] = [];
  let v = value < 0 ? value + 2 ** (8 * size) : value;
  for (let i = 0; i < size; i++) {
    out.push(v % 256);
    v = Math.floor(v / 256);
  }
  return out;
}

/** Big endian, `size` bytes; negative values in two's complement. */
export function be(value: number, size: number): number[] {
  return le(value, size).reverse();
}

/** Milesight channel record: [channel][type][data…]. */
export function channel(id: number, type: number, data: number[]): number[] {
  return [id, type, ...data];
}

/**
 * EN 13757-3 BCD of `size` bytes, least significant byte first. A negative value has its top
 * nibble set to F (so it keeps one digit fewer). RangeError when it does not fit.
 */
export function bcd(what: string, value: number, size: number): number[] {
  if (!Number.isInteger(value)) throw new RangeError(`${what}: BCD needs an integer, got ${value}`);
  const digits = 2 * size - (value < 0 ? 1 : 0);
  const magnitude = Math.abs(value);
  if (magnitude >= 10 ** digits) throw new RangeError(`${what}: ${value} does not fit in ${size} BCD bytes`);
  const text = String(magnitude).padStart(2 * size, '0');
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    const at = 2 * size - 2 * (i + 1);
    out.push((Number(text[at]) << 4) | Number(text[at + 1]));
  }
  if (value < 0) out[size - 1] = out[size - 1]! | 0xf0;
  return out;
}

export function uplink(fPort: number, bytes: number[]): EncodedUplink {
  return { fPort, bytes: Uint8Array.from(bytes) };
}

export function checkBoolean(what: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${what}: expected a boolean, got ${String(value)}`);
  return value;
}
