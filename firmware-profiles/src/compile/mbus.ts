import type { StandardId } from '../../../standards/src/index.js';
import type { MbusQuantity } from '../format/profile-schema.js';
import { fieldLimits } from './field-kinds.js';
import { dataLength, type MbusHeader, parseHeader, readBcd, readIntLe, readTypeF, readUintLe } from './mbus-records.js';
import { type Decoded, DecodeError, flagObservation, hexOf, newObservation, type Observation, type UndecodedBytes } from './observation.js';

export interface MbusLayout {
  headerBytes: number;
  records: { quantity: MbusQuantity; field: string; storage: number; tariff: number; range?: [number, number] | undefined }[];
}

interface Target {
  field: string;
  device: boolean;
  range: [number, number] | undefined;
  limits: [number, number];
}

/** A record header resolved once: how long its data is and where its value goes. */
interface ResolvedHeader extends MbusHeader {
  target: Target | undefined;
}

const headerCacheLimit = 256;

/**
 * Compiles an M-Bus layout: the profile's quantity → field map is fixed here, and each distinct
 * record header (DIF…VIF…) seen at run time is parsed once and cached by its bytes, so a meter's
 * repeated messages decode without re-reading the standard's tables.
 */
export function compileMbus(layout: MbusLayout, standard: StandardId, constants: Record<string, string | number | boolean>, where: string) {
  const targets = new Map<string, Target>();
  for (const record of layout.records) {
    targets.set(`${record.quantity}/${record.storage}/${record.tariff}`, {
      field: record.field.replace(/^device\./, ''),
      device: record.field.startsWith('device.'),
      range: record.range,
      limits: fieldLimits(standard, record.field),
    });
  }
  const cache = new Map<number, ResolvedHeader>();
  const constantEntries = Object.entries(constants);

  function resolve(b: Uint8Array, at: number): ResolvedHeader {
    // The header is the DIF chain then the VIF chain, each running while bit 7 (extension) is set.
    let end = at;
    while (end < b.length && b[end]! & 0x80) end++;
    end++;
    while (end < b.length && b[end]! & 0x80) end++;
    end++;
    const cacheable = end <= b.length && end - at <= 6;
    let key = 1; // a leading 1 keeps headers of different lengths apart
    if (cacheable) {
      for (let j = at; j < end; j++) key = key * 256 + b[j]!;
      const cached = cache.get(key);
      if (cached) return cached;
    }
    const header = parseHeader(b, at);
    // Maximum and minimum values (function 1, 2) are not the reading; function 3 is "value during error".
    const target = (header.func === 0 || header.func === 3) && header.quantity ? targets.get(`${header.quantity}/${header.storage}/${header.tariff}`) : undefined;
    const resolved = { ...header, target };
    if (cacheable && cache.size < headerCacheLimit) cache.set(key, resolved);
    return resolved;
  }

  return function decodeMbus(b: Uint8Array): Decoded {
    const n = b.length;
    if (n < layout.headerBytes + 1) {
      throw new DecodeError('truncated', `payload is ${n} bytes; ${where} needs ${layout.headerBytes} header bytes and at least one M-Bus record`);
    }
    const o: Observation = newObservation(standard);
    const warnings: string[] = [];
    const undecoded: UndecodedBytes[] = [];
    let i = layout.headerBytes;
    while (i < n) {
      const dif = b[i]!;
      if (dif === 0x2f) { i++; continue; } // idle filler
      if ((dif & 0x0f) === 0x0f) {
        // Manufacturer-specific data to the end of the payload.
        undecoded.push({ offset: i, hex: hexOf(b, i, n) });
        warnings.push(`${where}: manufacturer-specific data from byte ${i}; ${n - i} bytes kept undecoded`);
        break;
      }
      const header = resolve(b, i);
      const start = i + header.headerLength;
      let length = dataLength(header.dataCode);
      let dataAt = start;
      if (length === -1) {
        if (start >= n) throw new DecodeError('truncated', `${where}: M-Bus record at byte ${i} ends before its length byte`);
        length = b[start]!;
        dataAt = start + 1;
      }
      if (length < 0 || dataAt + length > n) {
        throw new DecodeError('truncated', `${where}: M-Bus record at byte ${i} needs ${Math.max(length, 0)} data bytes, payload is ${n} bytes`);
      }
      if (header.target && header.func === 3) {
        flagObservation(o, `meter-error-state:${header.target.field}`);
      } else if (header.target) {
        assign(o, header, header.target, b, dataAt, length, warnings, where, i);
      } else if (!header.quantity) {
        undecoded.push({ offset: i, hex: hexOf(b, i, dataAt + length) });
        warnings.push(`${where}: M-Bus record at byte ${i} (${hexOf(b, i, start)}) not understood; kept undecoded`);
      }
      i = dataAt + length;
    }
    for (const [field, value] of constantEntries) o.fields[field] = value;
    return { ok: true, observations: [o], warnings, undecoded };
  };
}


function assign(
  o: Observation,
  header: ResolvedHeader,
  target: Target,
  b: Uint8Array,
  at: number,
  length: number,
  warnings: string[],
  where: string,
  recordAt: number,
): void {
  const code = header.dataCode;
  const isBcd = code >= 0x09 && code <= 0x0e && code !== 0x0d;
  if (header.quantity === 'dateTime') {
    const time = length === 4 ? readTypeF(b, at) : undefined;
    if (time) o.observedAt = time.toISOString();
    else flagObservation(o, 'invalid-device-time:observedAt');
    return;
  }
  if (header.quantity === 'fabricationNumber') {
    const value = isBcd ? readBcd(b, at, length) : readIntLe(b, at, length);
    if (Number.isNaN(value)) flagObservation(o, `invalid-value:${target.field}`);
    else o.fields[target.field] = isBcd ? String(value).padStart(length * 2, '0') : String(value);
    return;
  }
  let raw: number;
  if (isBcd) raw = readBcd(b, at, length);
  else if (header.quantity === 'errorFlags' && code >= 0x01 && code <= 0x04) raw = readUintLe(b, at, length); // a bit field
  else if (code >= 0x01 && code <= 0x07 && code !== 0x05) raw = readIntLe(b, at, length);
  else if (code === 0x05) raw = new DataView(b.buffer, b.byteOffset + at, 4).getFloat32(0, true);
  else {
    warnings.push(`${where}: M-Bus record at byte ${recordAt} has data code 0x${code.toString(16)} for ${target.field}; value skipped`);
    return;
  }
  if (Number.isNaN(raw)) {
    flagObservation(o, `invalid-value:${target.field}`);
    return;
  }
  const value = header.div === 1 ? raw * header.mul : (raw * header.mul) / header.div;
  if (value < target.limits[0] || value > target.limits[1]) {
    flagObservation(o, `impossible:${target.field}`);
    return;
  }
  if (target.range && (value < target.range[0] || value > target.range[1])) flagObservation(o, `out-of-range:${target.field}`);
  if (target.device) (o.device as Record<string, number>)[target.field] = value;
  else o.fields[target.field] = value;
}
