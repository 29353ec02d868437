import type { DeviceHealth, Quality, StandardId } from '../../../standards/src/index.js';

/** One observation decoded from a payload: the standard's fields before the record envelope is added. */
export interface Observation {
  standard: StandardId;
  /** Device clock time, when the payload carries one. */
  observedAt: string | undefined;
  quality: Quality;
  qualityFlags: string[] | undefined;
  fields: Record<string, unknown>;
  device: DeviceHealth;
}

export interface UndecodedBytes {
  offset: number;
  hex: string;
}

/** What a payload decoder returns: observations, plus what it could not interpret (kept, never dropped). */
export interface Decoded {
  ok: true;
  observations: Observation[];
  warnings: readonly string[];
  undecoded: readonly UndecodedBytes[];
}

export type DecodeFailureCode =
  | 'unknown-fport'
  | 'truncated'
  | 'wrong-length'
  | 'no-measurement'
  | 'invalid-params'
  | 'unsupported-payload'
  | 'invalid-payload'
  | 'invalid-record'
  | 'codec-error'
  | 'internal';

/** A payload the decoder refuses; the message says what and where (byte offset). */
export class DecodeError extends Error {
  constructor(
    readonly code: DecodeFailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

export function newObservation(standard: StandardId): Observation {
  return { standard, observedAt: undefined, quality: 'good', qualityFlags: undefined, fields: {}, device: {} };
}

/** Lower-case hex of bytes[from, to). */
export function hexOf(bytes: Uint8Array, from = 0, to = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('hex');
}

/** Flags an observation and lowers its quality to at least 'suspect' (the generated decoders inline the same). */
export function flagObservation(o: Observation, flag: string): void {
  (o.qualityFlags ??= []).push(flag);
  if (o.quality === 'good') o.quality = 'suspect';
}
