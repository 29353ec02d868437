import type { SensorRecord } from '../../../../standards/src/index.js';

/**
 * Compact stored form of a record. A record's key list (its "shape") is stored once in the
 * `shapes` table; a row keeps a JSON array of the values in that order. Values the row can give
 * back otherwise are left out of the array: the id (the row's 16-byte key), kommune, standard,
 * deviceId and assetId (the series), and observedAt when it is exactly the ISO form of the row's
 * time. The shape marks those keys as `["name"]`, so the record comes back with its keys in their
 * original order.
 */

const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A canonical lower-case UUID as 16 bytes; any other id as its text. */
export function idKey(id: string): Buffer | string {
  if (id.length === 36 && canonicalUuid.test(id)) return Buffer.from(id.replaceAll('-', ''), 'hex');
  return id;
}

/**
 * SQL giving a stored id as text, cheaper to read than a Buffer: the lower-case hex of a UUID key,
 * or 't:' and the text of any other id. `idFromText` turns it back.
 */
export function idText(column: string): string {
  return `CASE WHEN typeof(${column}) = 'blob' THEN lower(hex(${column})) ELSE 't:' || ${column} END`;
}

export function idFromText(text: string): string {
  if (text.startsWith('t:')) return text.slice(2);
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20, 32)}`;
}

/** What the series and the row's key give back. */
export interface SeriesFields {
  kommune: string;
  standard: string;
  deviceId: string;
  /** '' for none. */
  assetId: string;
}

type ShapeEntry = string | [string];
export type Shape = readonly ShapeEntry[];

const fromSeries = new Set(['id', 'kommune', 'standard', 'deviceId', 'assetId']);

export interface EncodedRecord {
  /** JSON of the shape: its identity in the shapes table. */
  shape: string;
  body: string;
}

export function encodeRecord(record: SensorRecord, observedMs: number): EncodedRecord {
  const fields = record as unknown as Record<string, unknown>;
  const shape: ShapeEntry[] = [];
  const values: unknown[] = [];
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    if (fromSeries.has(key) || (key === 'observedAt' && value === new Date(observedMs).toISOString())) {
      shape.push([key]);
      continue;
    }
    shape.push(key);
    values.push(value);
  }
  return { shape: JSON.stringify(shape), body: JSON.stringify(values) };
}

/** Rebuilds a record; `id` as `idText` gives it. */
export function decodeRecord(shape: Shape, body: string, id: string, series: SeriesFields, observedMs: number): SensorRecord {
  const values = JSON.parse(body) as unknown[];
  const record: Record<string, unknown> = {};
  let next = 0;
  for (const entry of shape) {
    if (typeof entry === 'string') {
      set(record, entry, values[next++]);
      continue;
    }
    const key = entry[0];
    switch (key) {
      case 'id':
        record.id = idFromText(id);
        break;
      case 'kommune':
        record.kommune = series.kommune;
        break;
      case 'standard':
        record.standard = series.standard;
        break;
      case 'deviceId':
        record.deviceId = series.deviceId;
        break;
      case 'assetId':
        record.assetId = series.assetId;
        break;
      case 'observedAt':
        record.observedAt = new Date(observedMs).toISOString();
        break;
      default:
        throw new Error(`stored record shape names an unknown derived key ${JSON.stringify(key)}`);
    }
  }
  return record as unknown as SensorRecord;
}

function set(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
