import type { Random } from '../random.js';
import { DAY_MS, HOUR_MS, hourlyProfile, isWeekend, localTime, MINUTE_MS, profileMean } from './calendar.js';

export interface DoorParams {
  /** Mean openings per working day. */
  opensPerDay: number;
  /** Share of that at weekends (a school or town hall: little; a home: more). */
  weekendFactor: number;
  /** Median time a door stays open, s (log-normal). */
  medianOpenS: number;
  /** Share of openings where the door is left open for 10 min – 3 h. */
  leftOpenShare: number;
  /** The sensor raises an alarm when the door stays open this long, s; none when absent. */
  alarmAfterS?: number | undefined;
  /** Mean time between tamper events (sensor pulled off its mount), days. */
  meanDaysBetweenTamper: number;
  initialCount: number;
}

export function randomDoorParams(rng: Random, alarmAfterS?: number): DoorParams {
  return {
    opensPerDay: Math.max(1, rng.logNormal(20, 0.7)),
    weekendFactor: rng.pick([0.15, 0.3, 1.2]),
    medianOpenS: rng.uniform(8, 40),
    leftOpenShare: rng.uniform(0.005, 0.03),
    alarmAfterS,
    meanDaysBetweenTamper: rng.uniform(200, 800),
    initialCount: rng.int(0, 20_000),
  };
}

/** Openings by local hour: a building in use by day. */
const useProfile = [0.05, 0.03, 0.02, 0.02, 0.03, 0.1, 0.6, 1.6, 1.8, 1.4, 1.2, 1.4, 1.6, 1.3, 1.2, 1.3, 1.6, 1.5, 1.0, 0.7, 0.5, 0.35, 0.2, 0.1];
const useMean = profileMean(useProfile);
const useMax = Math.max(...useProfile);

export interface DoorState {
  open: boolean;
  /** Openings so far (the sensor's counter). */
  openCount: number;
  /** How long the door was open the last time it closed, s (0 before the first close). */
  lastOpenDurationS: number;
  /** Open for longer than the alarm time, now. */
  alarm: boolean;
  /** The sensor is off its mount. */
  tamper: boolean;
}

/**
 * A door with a contact sensor, as a continuous-time event process: openings arrive as a Poisson
 * process whose rate follows the hour and the day of the week (drawn by thinning), each lasts a
 * log-normal time, a few are left open long. Event times are exact, so the state at any time is
 * the same however the model is advanced; `nextEventMs` tells when the sensor next has news.
 */
export class Door {
  private now: number;
  private open = false;
  private openSince = 0;
  private closeAt = 0;
  private nextOpen: number;
  private count: number;
  private lastDurationMs = 0;
  private tamper = false;
  private tamperChange: number;

  constructor(
    readonly params: DoorParams,
    startMs: number,
    private readonly physics: Random,
  ) {
    this.now = startMs;
    this.count = params.initialCount;
    this.nextOpen = this.drawNextOpen(startMs);
    this.tamperChange = startMs + physics.exponential(params.meanDaysBetweenTamper * DAY_MS);
  }

  get clockMs(): number {
    return this.now;
  }

  /** Applies every event up to and including `ms`. */
  advanceTo(ms: number): void {
    for (;;) {
      const doorEvent = this.open ? this.closeAt : this.nextOpen;
      const event = Math.min(doorEvent, this.tamperChange);
      if (event > ms) break;
      if (event === this.tamperChange) this.toggleTamper(event);
      else if (this.open) this.close();
      else this.openAt(event);
    }
    this.now = Math.max(this.now, ms);
  }

  /** When the sensor next reports on its own: the door opens or closes, the alarm time passes, the mount changes. */
  nextEventMs(): number {
    let next = Math.min(this.open ? this.closeAt : this.nextOpen, this.tamperChange);
    const alarmAt = this.alarmAt();
    if (alarmAt !== undefined && alarmAt > this.now) next = Math.min(next, alarmAt);
    return next;
  }

  read(): DoorState {
    const alarmAt = this.alarmAt();
    return {
      open: this.open,
      openCount: this.count,
      lastOpenDurationS: this.lastDurationMs / 1000,
      alarm: alarmAt !== undefined && this.now >= alarmAt,
      tamper: this.tamper,
    };
  }

  private alarmAt(): number | undefined {
    if (!this.open || this.params.alarmAfterS === undefined) return undefined;
    const at = this.openSince + this.params.alarmAfterS * 1000;
    return at < this.closeAt ? at : undefined;
  }

  private openAt(t: number): void {
    this.open = true;
    this.openSince = t;
    this.count++;
    const leftOpen = this.physics.chance(this.params.leftOpenShare);
    const durationMs = leftOpen
      ? this.physics.uniform(10, 180) * MINUTE_MS
      : Math.min(HOUR_MS, Math.max(2000, this.physics.logNormal(this.params.medianOpenS * 1000, 0.9)));
    this.closeAt = t + Math.round(durationMs);
  }

  private close(): void {
    this.open = false;
    this.lastDurationMs = this.closeAt - this.openSince;
    this.nextOpen = this.drawNextOpen(this.closeAt);
  }

  private toggleTamper(t: number): void {
    this.tamper = !this.tamper;
    this.tamperChange = this.tamper
      ? t + Math.min(3 * DAY_MS, this.physics.logNormal(4 * HOUR_MS, 1))
      : t + this.physics.exponential(this.params.meanDaysBetweenTamper * DAY_MS);
  }

  /** Openings per ms at `t`. */
  private rate(t: number): number {
    const { hour, weekday } = localTime(t);
    const week = isWeekend(weekday) ? this.params.weekendFactor : 1;
    return (this.params.opensPerDay / DAY_MS) * (hourlyProfile(useProfile, hour) / useMean) * week;
  }

  /** The next opening after `from` (at least a second later), by thinning a Poisson process at the peak rate. */
  private drawNextOpen(from: number): number {
    const peak = (this.params.opensPerDay / DAY_MS) * (useMax / useMean) * Math.max(1, this.params.weekendFactor);
    let t = from + 1000;
    for (let i = 0; i < 100_000; i++) {
      t += Math.ceil(this.physics.exponential(1 / peak));
      if (this.physics.next() * peak <= this.rate(t)) return t;
    }
    return t;
  }
}
