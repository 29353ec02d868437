import type { BucketWidth } from './time-series-store.js';

/**
 * Time buckets. '15m' and '1h' are aligned to the UTC epoch (in Europe/Copenhagen, whose offsets
 * are whole hours, that is the local quarter and hour too). '1d', '7d' and '30d' are calendar units
 * in a time zone: the local day (23 or 25 hours long on the days of a DST change), the ISO week
 * from Monday 00:00, and the calendar month from the 1st 00:00.
 */

export const defaultTimeZone = 'Europe/Copenhagen';

export const hourMs = 3_600_000;
export const quarterMs = 900_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Throws a RangeError unless `timeZone` is an IANA zone this runtime knows. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatter(timeZone);
  } catch {
    throw new RangeError(`unknown time zone ${JSON.stringify(timeZone)}`);
  }
}

/** Offsets per zone, cached per UTC quarter hour (no zone changes its offset inside one). */
const offsetCache = new Map<string, Map<number, number>>();

/** Local wall-clock time minus UTC, in ms, at the instant `ms`. */
export function offsetMs(timeZone: string, ms: number): number {
  let cache = offsetCache.get(timeZone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(timeZone, cache);
  }
  const key = Math.floor(ms / quarterMs);
  const known = cache.get(key);
  if (known !== undefined) return known;
  const parts = formatter(timeZone).formatToParts(new Date(key * quarterMs));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = wall - key * quarterMs;
  if (cache.size > 100_000) cache.clear();
  cache.set(key, offset);
  return offset;
}

interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

function localDate(timeZone: string, ms: number): LocalDate {
  const local = new Date(ms + offsetMs(timeZone, ms));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/** The UTC instant of local midnight starting the given local date (overflowing days and months roll over). */
function localMidnight(timeZone: string, year: number, month: number, day: number): number {
  const wall = Date.UTC(year, month - 1, day);
  let instant = wall - offsetMs(timeZone, wall);
  instant = wall - offsetMs(timeZone, instant);
  // Midnight in a DST gap: the two guesses alternate; the day begins where the gap ends.
  if (instant + offsetMs(timeZone, instant) < wall) instant = wall - offsetMs(timeZone, instant);
  return instant;
}

/** Start of the bucket that contains `ms`. */
export function bucketStart(width: BucketWidth, timeZone: string, ms: number): number {
  switch (width) {
    case '15m':
      return Math.floor(ms / quarterMs) * quarterMs;
    case '1h':
      return Math.floor(ms / hourMs) * hourMs;
    default: {
      const { year, month, day } = localDate(timeZone, ms);
      let start: number;
      if (width === '1d') start = localMidnight(timeZone, year, month, day);
      else if (width === '7d') {
        const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
        start = localMidnight(timeZone, year, month, day - ((weekday + 6) % 7));
      } else start = localMidnight(timeZone, year, month, 1);
      // Where local midnight does not exist (a DST gap at 00:00), the bucket starts at the gap's end.
      return start > ms ? bucketStart(width, timeZone, start - 1) : start;
    }
  }
}

/** Start of the bucket after the one starting at `start`. */
export function nextBucketStart(width: BucketWidth, timeZone: string, start: number): number {
  switch (width) {
    case '15m':
      return start + quarterMs;
    case '1h':
      return start + hourMs;
    default: {
      // The local date of a point safely inside the bucket (midnight may be shifted by a gap).
      const { year, month, day } = localDate(timeZone, start + 2 * hourMs);
      if (width === '1d') return localMidnight(timeZone, year, month, day + 1);
      if (width === '7d') return localMidnight(timeZone, year, month, day + 7);
      return localMidnight(timeZone, year, month + 1, 1);
    }
  }
}

const copenhagenDays = new Map<number, number>();

/** Start of the Europe/Copenhagen day containing `ms`, cached per UTC hour (its day boundaries are whole UTC hours). */
export function copenhagenDayStart(ms: number): number {
  const hour = Math.floor(ms / hourMs);
  let start = copenhagenDays.get(hour);
  if (start === undefined) {
    start = bucketStart('1d', defaultTimeZone, hour * hourMs);
    if (copenhagenDays.size > 200_000) copenhagenDays.clear();
    copenhagenDays.set(hour, start);
  }
  return start;
}

/** Whether every bucket boundary of `width` in `timeZone` between `from` and `to` falls on a whole UTC hour. */
export function boundariesOnHours(width: BucketWidth, timeZone: string, from: number, to: number): boolean {
  if (width === '15m' || width === '1h') return true;
  for (let start = bucketStart(width, timeZone, from); start < to; start = nextBucketStart(width, timeZone, start)) {
    if (start % hourMs !== 0) return false;
  }
  return true;
}
