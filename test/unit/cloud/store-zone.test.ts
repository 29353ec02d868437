import { describe, expect, it } from 'vitest';
import type { BucketWidth } from '../../../cloud/src/store/time-series-store.js';
import { boundariesOnHours, bucketStart, copenhagenDayStart, nextBucketStart } from '../../../cloud/src/store/zone.js';

const cph = 'Europe/Copenhagen';
const at = (iso: string) => Date.parse(iso);
const start = (width: BucketWidth, iso: string, zone = cph) => new Date(bucketStart(width, zone, at(iso))).toISOString();
const next = (width: BucketWidth, iso: string, zone = cph) => new Date(nextBucketStart(width, zone, at(iso))).toISOString();

describe('store time buckets', () => {
  it('aligns quarters and hours to UTC', () => {
    expect(start('15m', '2026-03-29T01:59:59.999Z')).toBe('2026-03-29T01:45:00.000Z');
    expect(start('1h', '2026-10-25T01:30:00Z')).toBe('2026-10-25T01:00:00.000Z');
  });

  it('gives Copenhagen days of 23 and 25 hours at the DST changes', () => {
    expect(start('1d', '2026-03-29T12:00:00Z')).toBe('2026-03-28T23:00:00.000Z');
    expect(next('1d', '2026-03-28T23:00:00Z')).toBe('2026-03-29T22:00:00.000Z');
    expect(start('1d', '2026-10-25T22:59:59Z')).toBe('2026-10-24T22:00:00.000Z');
    expect(next('1d', '2026-10-24T22:00:00Z')).toBe('2026-10-25T23:00:00.000Z');
    expect(new Date(copenhagenDayStart(at('2026-10-25T23:00:00Z'))).toISOString()).toBe('2026-10-25T23:00:00.000Z');
    expect(new Date(copenhagenDayStart(at('2026-10-25T22:59:59Z'))).toISOString()).toBe('2026-10-24T22:00:00.000Z');
  });

  it('starts weeks on Monday and months on the 1st, local midnight', () => {
    expect(start('7d', '2026-03-29T21:00:00Z')).toBe('2026-03-22T23:00:00.000Z'); // Sunday 29 March, 23:00 local
    expect(next('7d', '2026-03-22T23:00:00Z')).toBe('2026-03-29T22:00:00.000Z'); // a week of 167 hours
    expect(start('30d', '2026-03-31T22:30:00Z')).toBe('2026-03-31T22:00:00.000Z');
    expect(next('30d', '2025-12-31T23:00:00Z')).toBe('2026-01-31T23:00:00.000Z');
    expect(start('30d', '2026-12-31T23:30:00Z')).toBe('2026-12-31T23:00:00.000Z');
  });

  it('handles other zones, including a midnight that does not exist', () => {
    expect(start('1d', '2026-02-01T03:00:00Z', 'UTC')).toBe('2026-02-01T00:00:00.000Z');
    expect(start('1d', '2026-02-01T03:00:00Z', 'Asia/Kolkata')).toBe('2026-01-31T18:30:00.000Z');
    // Santiago moves its clocks at 24:00 in September: 6 September 2026 begins at 01:00 local
    expect(start('1d', '2026-09-06T12:00:00Z', 'America/Santiago')).toBe('2026-09-06T04:00:00.000Z');
    expect(next('1d', '2026-09-05T04:00:00Z', 'America/Santiago')).toBe('2026-09-06T04:00:00.000Z');
    expect(boundariesOnHours('1d', 'Asia/Kolkata', at('2026-01-01T00:00:00Z'), at('2026-01-03T00:00:00Z'))).toBe(false);
    expect(boundariesOnHours('30d', cph, at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))).toBe(true);
  });
});
