import type { SensorRecord } from '../../../standards/src/index.js';

/**
 * Pages over the store's latest() answer, which is ordered by standard, then assets before
 * devices, each by id (byte order, as SQLite sorts). The cursor names the last record's place.
 */

/** The record's place in that order: standard, then 'a:'asset or 'd:'device. */
function placeOf(record: SensorRecord): [string, string] {
  return [record.standard, record.assetId !== undefined ? `a:${record.assetId}` : `d:${record.deviceId}`];
}

function compareBytes(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function comparePlaces(a: readonly [string, string], b: readonly [string, string]): number {
  return compareBytes(a[0], b[0]) || compareBytes(a[1], b[1]);
}

export function encodeCursor(record: SensorRecord): string {
  return Buffer.from(JSON.stringify(placeOf(record))).toString('base64url');
}

/** The place a cursor names, or undefined when it is not one this API made. */
export function decodeCursor(cursor: string): [string, string] | undefined {
  try {
    const place: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(place) && place.length === 2 && place.every((part) => typeof part === 'string')) return place as [string, string];
  } catch {
    // not JSON: not a cursor of ours
  }
  return undefined;
}

/** Up to `limit` records after `after` (binary search: the records are in cursor order), and the cursor of the next page. */
export function pageOf(records: readonly SensorRecord[], after: [string, string] | undefined, limit: number): { records: SensorRecord[]; next: string | null } {
  let start = 0;
  if (after !== undefined) {
    let end = records.length;
    while (start < end) {
      const middle = (start + end) >>> 1;
      if (comparePlaces(placeOf(records[middle]!), after) <= 0) start = middle + 1;
      else end = middle;
    }
  }
  const page = records.slice(start, start + limit);
  const more = start + limit < records.length;
  return { records: page, next: more ? encodeCursor(page[page.length - 1]!) : null };
}
