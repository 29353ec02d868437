import type { StandardId } from '../../../standards/src/index.js';
import type { Layout, LayoutUplink } from '../format/profile-schema.js';
import { emitChannels, newObservationLiteral } from './channels.js';
import { Constants } from './codegen.js';
import { compileMbus } from './mbus.js';
import { type Decoded, DecodeError, type DecodeFailureCode, hexOf } from './observation.js';
import { emitStruct } from './struct.js';

export type PayloadDecoder = (bytes: Uint8Array, nowMs: number) => Decoded;

const fail = (code: DecodeFailureCode, message: string) => new DecodeError(code, message);
const hex2 = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;

/**
 * Turns one declarative layout into a specialised decoder function, once, at load time. Struct and
 * channel layouts become straight-line JavaScript (fixed offsets, one switch over channel/type),
 * which V8 optimises like hand-written code. The generated source is built only from fixed
 * templates, finite numeric literals and field names already checked against the standard; every
 * string or map from the profile is passed in through the constants table (see codegen.ts).
 */
export function compileLayout(layout: Layout, standard: StandardId, where: string): PayloadDecoder {
  if (layout.mbus) return compileMbus(layout.mbus, standard, where);
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
  const n = b.length, w = [], u = [];
  let r = 0, v;
  ${usesFloat ? 'let view; const dv = () => (view ??= new DataView(b.buffer, b.byteOffset, b.byteLength));' : ''}
  const o = ${newObservationLiteral(standardRef)};
  const observations = [o];
  ${body}
  return { observations, warnings: w, undecoded: u };
};`;
  const factory = new Function('k', 'fail', 'hexOf', 'hex2', 'bitsLe', source) as (...args: unknown[]) => PayloadDecoder;
  return factory(k.values, fail, hexOf, hex2, bitsLe);
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
  if (uplink.layout) return compileLayout(uplink.layout, uplink.standard, where);
  const frames = (uplink.frames ?? []).map((frame) => ({ when: frame.when, decode: compileLayout(frame.layout, uplink.standard, where) }));
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
