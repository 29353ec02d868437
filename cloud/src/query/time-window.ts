import type { BucketWidth } from '../store/time-series-store.js';
import { bucketStart, hourMs, nextBucketStart, offsetMs, quarterMs } from '../store/zone.js';

/** The time window of a range request: local dates, the bucket count limit, the bucket a chart wants. */

/** Most buckets one range request may ask for (an hourly leap year is 8,784). */
export const maxBuckets = 10_000;
/** Without `bucket`, the finest width that gives at most this many. */
export const targetBuckets = 500;

export const bucketWidths: readonly BucketWidth[] = ['15m', '1h', '1d', '7d', '30d'];

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A time parameter in ms: an ISO 8601 instant with Z or an offset, or a date (YYYY-MM-DD), meaning local midnight in `timeZone`. */
export function instantOf(value: string, timeZone: string): number {
  const date = datePattern.exec(value);
  if (!date) return Date.parse(value);
  const wall = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
  // Within an hour or so of local midnight; the day bucket around a point 2 h later starts at it.
  return bucketStart('1d', timeZone, wall - offsetMs(timeZone, wall) + 2 * hourMs);
}

/** How many buckets of `width` cover [from, to); stops counting past `limit`. */
export function bucketCount(width: BucketWidth, timeZone: string, from: number, to: number, limit = maxBuckets): number {
  if (width === '15m' || width === '1h') {
    const step = width === '15m' ? quarterMs : hourMs;
    return Math.floor((to - 1) / step) - Math.floor(from / step) + 1;
  }
  let count = 0;
  for (let start = bucketStart(width, timeZone, from); start < to && count <= limit; start = nextBucketStart(width, timeZone, start)) count++;
  return count;
}

/** The finest width with at most `targetBuckets` buckets over [from, to); the coarsest when none is. */
export function chartBucket(timeZone: string, from: number, to: number): BucketWidth {
  return bucketWidths.find((width) => bucketCount(width, timeZone, from, to, targetBuckets) <= targetBuckets) ?? '30d';
}
