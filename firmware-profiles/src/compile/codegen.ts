import type { IntType } from '../format/profile-schema.js';

/**
 * Helpers for the profile compiler's generated code. Profile data never becomes code: numbers are
 * checked to be finite and written as literals, and every other value (names, strings, maps) is
 * passed in through the constants table `k` and referenced by index.
 */
export class Constants {
  readonly values: unknown[] = [];

  /** An expression that evaluates to `value` inside the generated function. */
  ref(value: unknown): string {
    this.values.push(value);
    return `k[${this.values.length - 1}]`;
  }
}

export function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return Object.is(value, -0) ? '0' : String(value);
}

export const typeSize: Record<IntType, number> = {
  u8: 1, i8: 1,
  u16le: 2, u16be: 2, i16le: 2, i16be: 2,
  u24le: 3, u24be: 3, i24le: 3, i24be: 3,
  u32le: 4, u32be: 4, i32le: 4, i32be: 4,
  f32le: 4, f32be: 4,
};

/** Expression reading `type` at byte index expression `at` of the Uint8Array `b` (bounds are checked by the caller). */
export function readExpr(type: IntType, at: string): string {
  const byte = (i: number) => (i === 0 ? `b[${at}]` : `b[${at} + ${i}]`);
  const le = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? byte(0) : `${byte(i)} << ${8 * i}`)).join(' | ');
  const be = (n: number) => Array.from({ length: n }, (_, i) => (i === n - 1 ? byte(i) : `${byte(i)} << ${8 * (n - 1 - i)}`)).join(' | ');
  switch (type) {
    case 'u8': return byte(0);
    case 'i8': return `(${byte(0)} << 24 >> 24)`;
    case 'u16le': return `(${le(2)})`;
    case 'u16be': return `(${be(2)})`;
    case 'i16le': return `((${le(2)}) << 16 >> 16)`;
    case 'i16be': return `((${be(2)}) << 16 >> 16)`;
    case 'u24le': return `(${le(3)})`;
    case 'u24be': return `(${be(3)})`;
    case 'i24le': return `((${le(3)}) << 8 >> 8)`;
    case 'i24be': return `((${be(3)}) << 8 >> 8)`;
    case 'u32le': return `((${le(4)}) >>> 0)`;
    case 'u32be': return `((${be(4)}) >>> 0)`;
    case 'i32le': return `(${le(4)} | 0)`;
    case 'i32be': return `(${be(4)} | 0)`;
    case 'f32le': return `dv().getFloat32(${at}, true)`;
    case 'f32be': return `dv().getFloat32(${at}, false)`;
  }
}

/** A fresh observation (same shape as newObservation in observation.ts) as an object literal. */
export function newObservationLiteral(standardRef: string): string {
  return `{ standard: ${standardRef}, observedAt: undefined, quality: 'good', qualityFlags: undefined, fields: {}, device: {} }`;
}
