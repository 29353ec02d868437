import type { StandardId } from '../../../standards/src/index.js';
import type { Layout, LayoutUplink } from '../format/profile-schema.js';
import { emitChannels } from './channels.js';
import { Constants, newObservationLiteral } from './codegen.js';
import { compileMbus } from './mbus.js';
import { type Decoded, DecodeError, type DecodeFailureCode, hexOf } from './observation.js';
import { emitStruct } from './struct.js';
import { targetExpr } from './emit-value.js';

/** Constant fields of an uplink (`set` in the profile). */
export type FieldConstants = Record<string, string | number | boolean>;

export type PayloadDecoder = (bytes: Uint8Array, nowMs: number) => Decoded;

const fail = (code: DecodeFailureCode, message: string) => new DecodeError(code, message);
/** Shared, frozen: most payloads have no warnings and nothing undecoded, so allocate nothing for them. */
const none: readonly never[] = Object.freeze([]);
const hex2 = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;

/**
 * Turns one declarative layout into a specialised decoder function, once, at load time. Struct and
 * channel layouts become straight-line JavaScript (fixed offsets, one switch over channel/type),
 * which V8 optimises like hand-written code. The generated source is built only from fixed
 * templates, finite numeric literals and field names already checked against the standard; every
 * string or map from the profile is passed in through the constants table (see codegen.ts).
 */
export function compileLayout(layout: Layout, standard: StandardId, constants: FieldConstants, where: string): PayloadDecoder {
  if (layout.mbus) return compileMbus(layout.mbus, standard, constants, where);
  const k = new Constants();
  const standardRef = k.ref(standard);
  let body: string;
  let usesFloat: boolean;
  if (layout.struct) {
    body = emitStruct(layout.struct, standard, standardRef, where, k);
    usesFloat = layout.struct.values.some((value) => value.type.startsWith('f32'));
  } else if (layout.channels) {
    body = emitChannels(layout.channels, standard, standardRef, where, k);
    usesFloat = layout.channels.some((record) => record.values.some((value) => value.type.startsWith('f32')));
  } else {
    throw new Error('layout has no kind'); // the profile schema guarantees one
  }
  const source = `"use strict";
return function decode(b, now) {
  const n = b.length;
  let r = 0, v, w = null, u = null;
  ${usesFloat ? 'let view; const dv = () => (view ??= new DataView(b.buffer, b.byteOffset, b.byteLength));' : ''}
  const o = ${newObservationLiteral(standardRef)};
  const observations = [o];
  ${body}
  ${constantsCode(constants, k)}
  return { ok: true, observations, warnings: w ?? none, undecoded: u ?? none };
};`;
  const factory = new Function('k', 'fail', 'hexOf', 'hex2', 'bitsLe', 'none', source) as (...args: unknown[]) => PayloadDecoder;
  return factory(k.values, fail, hexOf, hex2, bitsLe, none);
}

/** Code setting the uplink's constant fields (e.g. meterType) on every observation. */
function constantsCode(constants: FieldConstants, k: Constants): string {
  const entries = Object.entries(constants);
  if (entries.length === 0) return '';
  const assignments = entries.map(([field, value]) => `${targetExpr('x', field)} = ${k.ref(value)};`).join(' ');
  return `for (let c = 0; c < observations.length; c++) { const x = observations[c]; ${assignments} }`;
}

/** `width` bits starting at bit `bit` of `b`, least significant bit first (packed little-endian fields). */
function bitsLe(b: Uint8Array, bit: number, width: number): number {
  let value = 0;
  for (let i = 0; i < width; i++) {
    const at = bit + i;
    if ((b[at >> 3]! >> (at & 7)) & 1) value += 2 ** i;
  }
  return value;
}

/** The decoder of one uplink description: a single layout, or several frames told apart by length and first byte. */
export function compileLayoutUplink(uplink: LayoutUplink, where: string): PayloadDecoder {
  const constants = uplink.set ?? {};
  if (uplink.layout) return compileLayout(uplink.layout, uplink.standard, constants, where);
  const frames = (uplink.frames ?? []).map((frame) => ({ when: frame.when, decode: compileLayout(frame.layout, uplink.standard, constants, where) }));
  const known = frames
    .map(({ when }) => `${when.minLength === when.maxLength ? when.minLength : `${when.minLength}–${when.maxLength}`} bytes${when.firstByte === undefined ? '' : ` starting ${hex2(when.firstByte)}`}`)
    .join('; ');
  return (bytes, nowMs) => {
    const n = bytes.length;
    for (const { when, decode } of frames) {
      if (n >= when.minLength && n <= when.maxLength && (when.firstByte === undefined || bytes[0] === when.firstByte)) return decode(bytes, nowMs);
    }
    throw new DecodeError('wrong-length', `${where}: a payload of ${n} bytes${n > 0 ? ` starting ${hex2(bytes[0]!)}` : ''} matches none of its formats (${known})`);
  };
}
