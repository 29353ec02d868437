/**
 * Danish time and climate for the physical models: local clock (Europe/Copenhagen, CET/CEST by
 * the EU rule), daily profiles, and a plausible outdoor temperature. Pure functions of the time.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Last Sunday of `month` (0-based) of `year`, at 01:00 UTC: when EU summer time starts or ends. */
function lastSundayAt0100Utc(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  const day = lastDay.getUTCDate() - lastDay.getUTCDay();
  return Date.UTC(year, month, day, 1);
}

const dstCache = new Map<number, [number, number]>();

/** UTC offset of Danish local time at `ms`: +1 h (CET) or +2 h (CEST). */
export function copenhagenOffsetMs(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  let bounds = dstCache.get(year);
  if (!bounds) {
    bounds = [lastSundayAt0100Utc(year, 2), lastSundayAt0100Utc(year, 9)];
    dstCache.set(year, bounds);
  }
  return ms >= bounds[0] && ms < bounds[1] ? 2 * HOUR_MS : HOUR_MS;
}

export interface LocalTime {
  /** Hour of the day with fraction, 0 ≤ hour < 24. */
  hour: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** 0-based day of the year. */
  dayOfYear: number;
}

export function localTime(ms: number): LocalTime {
  const local = ms + copenhagenOffsetMs(ms);
  const date = new Date(local);
  const startOfYear = Date.UTC(date.getUTCFullYear(), 0, 1);
  return {
    hour: (local - Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())) / HOUR_MS,
    weekday: date.getUTCDay(),
    dayOfYear: Math.floor((local - startOfYear) / DAY_MS),
  };
}

export function isWeekend(weekday: number): boolean {
  return weekday === 0 || weekday === 6;
}

/** A 24-point hourly profile read at a fractional hour, linear between the points (wrapping at midnight). */
export function hourlyProfile(profile: readonly number[], hour: number): number {
  const h = Math.floor(hour) % 24;
  const f = hour - Math.floor(hour);
  return profile[h]! * (1 - f) + profile[(h + 1) % 24]! * f;
}

/** Mean of a 24-point profile, to normalise it. */
export function profileMean(profile: readonly number[]): number {
  return profile.reduce((sum, value) => sum + value, 0) / profile.length;
}

/**
 * Outdoor temperature in Denmark, °C: about 1 °C in early February and 17 °C in late July,
 * ±3.5 °C over the day (coldest near 05:00, warmest near 15:00). Deterministic: the models add
 * their own weather noise.
 */
export function outdoorTemperatureC(ms: number): number {
  const { hour, dayOfYear } = localTime(ms);
  const seasonal = 9 - 8 * Math.cos((2 * Math.PI * (dayOfYear - 25)) / 365);
  const diurnal = -3.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24);
  return seasonal + diurnal;
}

/** The first instant at or after `ms` that falls on a working day (Mon–Fri) between `fromHour` and `toHour` local. */
export function nextWorkingTime(ms: number, fromHour = 6, toHour = 16): number {
  let t = ms;
  for (let i = 0; i < 24 * 8; i++) {
    const { hour, weekday } = localTime(t);
    if (!isWeekend(weekday) && hour >= fromHour && hour < toHour) return t;
    t = (Math.floor(t / HOUR_MS) + 1) * HOUR_MS;
  }
  return t;
}
