/**
 * Compact on-disk form of a record: the record's top-level key list is stored once (a "shape",
 * e.g. `["standard","kommune","deviceId",…]`) and each row keeps only a JSON array of the values
 * in that order. A canonical UUID id is kept out of the body altogether: it lives in the row's
 * 16-byte `id` column (which the unique index needs anyway).
 *
 * Measured on 300,000 fill-level records against plain JSON text with a text id: the file is half
 * the size (64 MB instead of 128 MB), appends are as fast and draining is ~15 % faster, because
 * there is less to write, read and parse. Values are plain JSON, so nothing is lost: nested
 * objects (`device`) and arrays stay as they are, and `undefined` top-level fields are left out
 * exactly as JSON.stringify would leave them out.
 */

/** Lower-case canonical UUID (any version): stored as 16 bytes. Anything else is stored as text. */
const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isCanonicalUuid(id: string): boolean {
  return id.length === 36 && canonicalUuid.test(id);
}

/** 32 hex digits (as SQLite's lower(hex(blob)) gives them) → canonical UUID text. */
export function uuidFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface EncodedRecord {
  /** Whether the id is a canonical UUID (kept in the id column as 16 bytes, not in the body). */
  uuid: boolean;
  /** JSON array of the key list, the shape's identity. */
  shapeKeys: string;
  /** JSON array of the values, in the shape's key order. */
  body: string;
}

type Json = Record<string, unknown>;

export function encodeRecord(record: object): EncodedRecord {
  const fields = record as Json;
  const id = fields.id;
  if (typeof id !== 'string' || id === '') throw new TypeError('a queued record needs a non-empty string id');
  const uuid = isCanonicalUuid(id);
  const keys: string[] = [];
  const values: unknown[] = [];
  for (const key of Object.keys(fields)) {
    if (uuid && key === 'id') continue;
    const value = fields[key];
    // What JSON.stringify leaves out of an object.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    keys.push(key);
    values.push(value);
  }
  return { uuid, shapeKeys: JSON.stringify(keys), body: JSON.stringify(values) };
}

/** Rebuilds the record from its row: `hexId` is set for UUID rows, otherwise the id is in the body. */
export function decodeRecord(keys: readonly string[], hexId: string | null, body: string): Json {
  const values = JSON.parse(body) as unknown[];
  const record: Json = hexId === null ? {} : { id: uuidFromHex(hexId) };
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === '__proto__') Object.defineProperty(record, key, { value: values[i], enumerable: true, writable: true, configurable: true });
    else record[key] = values[i];
  }
  return record;
}

/** A shape's key list with each key already written as the JSON text that precedes its value. */
export interface JsonShape {
  keys: readonly string[];
  /** `"key":` for each key; the first without a leading comma, the others with one. */
  keyPrefixes: readonly string[];
  /** Index of `id` in the key list (a row whose id is not a canonical UUID keeps it in the body), or -1. */
  idIndex: number;
}

export function jsonShape(keys: readonly string[]): JsonShape {
  return {
    keys,
    keyPrefixes: keys.map((key, index) => `${index === 0 ? '' : ','}${JSON.stringify(key)}:`),
    idIndex: keys.indexOf('id'),
  };
}

/**
 * The record's JSON text, built from its row without parsing and re-serialising the values: the
 * body's top-level values are cut out of the stored JSON array and put after their keys. Gives the
 * same text as JSON.stringify(decodeRecord(…)) (record fields are never array indices, which
 * objects would order first), for a fraction of the CPU (the forwarder's
 * replay of a backlog is bound by it).
 */
export function recordJson(shape: JsonShape, hexId: string | null, body: string): { id: string; json: string } {
  const ends = valueEnds(body);
  if (ends.length !== shape.keys.length) throw new Error(`stored record has ${ends.length} values for ${shape.keys.length} keys`);
  let id = hexId === null ? '' : uuidFromHex(hexId);
  let json = hexId === null ? '{' : `{"id":"${id}"${ends.length > 0 ? ',' : ''}`;
  let start = 1;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const value = body.slice(start, end);
    json += shape.keyPrefixes[i] + value;
    if (i === shape.idIndex) id = JSON.parse(value) as string;
    start = end + 1;
  }
  return { id, json: `${json}}` };
}

const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const openBrace = 0x7b;
const closeBrace = 0x7d;

/** Where each top-level value of a JSON array (as JSON.stringify writes it: no white space) ends. */
function valueEnds(body: string): number[] {
  const ends: number[] = [];
  const last = body.length - 1;
  if (body.charCodeAt(0) !== openBracket || body.charCodeAt(last) !== closeBracket) throw new Error('stored record body is not a JSON array');
  if (last === 1) return ends;
  let depth = 0;
  for (let i = 1; i < last; i++) {
    const c = body.charCodeAt(i);
    if (c === quote) {
      for (i++; i < last; i++) {
        const d = body.charCodeAt(i);
        if (d === backslash) i++;
        else if (d === quote) break;
      }
    } else if (c === openBracket || c === openBrace) {
      depth++;
    } else if (c === closeBracket || c === closeBrace) {
      depth--;
    } else if (c === comma && depth === 0) {
      ends.push(i);
    }
  }
  ends.push(last);
  return ends;
}
