import { describe, expect, it } from 'vitest';
import { dayPlace, dayStartOf } from '../../../cloud/src/store/sqlite/day-rollups.js';
import { defaultTimeZone, nextBucketStart } from '../../../cloud/src/store/zone.js';

describe('packed daily rollups: where a Copenhagen day sits', () => {
  it('places every day of 2020–2030 in its local month and day, and finds its start again', () => {
    let day = Date.parse('2019-12-31T23:00:00Z'); // 1 January 2020, 00:00 in Copenhagen
    let previous = dayPlace(day);
    expect(previous).toEqual({ month: 50 * 12, day: 0 });
    let days = 1;
    while (day < Date.parse('2030-12-30T23:00:00Z')) { // up to 31 December 2030
      day = nextBucketStart('1d', defaultTimeZone, day);
      const place = dayPlace(day);
      // the next day of the same month, or the first of the next month
      expect(place.month === previous.month ? place.day === previous.day + 1 : place.month === previous.month + 1 && place.day === 0).toBe(true);
      expect(place.day).toBeLessThan(31);
      expect(dayStartOf(place.month, place.day)).toBe(day);
      previous = place;
      days++;
    }
    expect(days).toBe(4018); // 11 years, 3 of them leap years
  });

  it('refuses days before 1970, which the row key cannot hold', () => {
    expect(() => dayPlace(Date.parse('1969-06-01T22:00:00Z'))).toThrow(RangeError);
  });
});
