import type { StandardId } from '../../../../standards/src/index.js';

/** InfluxQL and line-protocol spelling of the store's names and values. */

/** Measurement of a standard: 'fill-level/1' → 'fill_level_v1'. */
export function measurementOf(standard: StandardId): string {
  return standard.replace('/', '_v').replaceAll('-', '_');
}

export const rawPolicy = 'raw';
export const rollupPolicy = 'rollup_1d';
/** Measurement (in the rollup policy, which keeps forever) that marks whose database this is; see ledger.ts. */
export const markerMeasurement = 'sensorbro_store';
/** String field with the full record, as JSON. */
export const recordField = 'record';
/** Rollup fields per numeric field `f`, `f_n` … `f_d`: count, sum, min, max, first, last, inc (as the SQLite rollups). */
export const rollupSuffixes = ['n', 's', 'lo', 'hi', 'f', 'l', 'd'] as const;

/** A double-quoted identifier. */
export function ident(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A single-quoted string literal. */
export function str(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A time literal. */
export function time(ms: number): string {
  return `'${new Date(ms).toISOString()}'`;
}

const unsafeInTag = /[%\\\u0000-\u001f\u007f]/g;

/**
 * Tag values as stored: InfluxDB tag values cannot hold line breaks, and backslashes are
 * ambiguous in line protocol, so '%', '\' and control characters are written as %XX. Ids
 * without them (all real ones) are stored as they are.
 */
export function tagValue(value: string): string {
  unsafeInTag.lastIndex = 0;
  if (!unsafeInTag.test(value)) return value;
  return value.replace(unsafeInTag, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function fromTagValue(value: string): string {
  return value.includes('%') ? value.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : value;
}

/** `"tag" = 'a'`, `("tag" = 'a' OR …)` for a few values, a regular expression for many. */
export function tagIn(tag: string, values: readonly string[]): string {
  const encoded = values.map(tagValue);
  if (encoded.length === 1) return `${ident(tag)} = ${str(encoded[0]!)}`;
  if (encoded.length <= 32) return `(${encoded.map((v) => `${ident(tag)} = ${str(v)}`).join(' OR ')})`;
  const alternatives = encoded.map((v) => v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  return `${ident(tag)} =~ /^(?:${alternatives})$/`;
}

/** A point's time in ns: the observation's ms and an offset below 1 ms taken from the record id. */
export function pointTime(observedMs: number, id: string): string {
  return (BigInt(observedMs) * 1_000_000n + BigInt(idOffsetNs(id))).toString();
}

/**
 * 0 … 999,999, from the id's last 20 bits (for other ids, a hash). InfluxDB keeps one point per
 * series and time, so two records of one device in the same millisecond need distinct times;
 * records at the same millisecond collide only when their offsets match (odds 1 : 1,000,000), and
 * a repeated record lands on the very same point, which makes rewriting idempotent.
 */
export function idOffsetNs(id: string): number {
  if (/^[0-9a-f-]{36}$/.test(id)) return parseInt(id.slice(-5), 16) % 1_000_000;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash % 1_000_000;
}
