import type { Random } from '../random.js';
import { DAY_MS, HOUR_MS, hourlyProfile, localTime, MINUTE_MS, profileMean } from './calendar.js';
import { SteppedModel } from './stepped.js';

export interface WaterMeterParams {
  /** Mean consumption, litres per day. */
  litresPerDay: number;
  initialLitres: number;
  /** A leak (running toilet, burst pipe) that starts `afterH` hours after the start; none when absent. */
  leak?: { afterH: number; litresPerHour: number } | undefined;
}

export function randomWaterMeterParams(rng: Random, leakShare = 0.1): WaterMeterParams {
  const leak = rng.chance(leakShare) ? { afterH: rng.uniform(0, 96), litresPerHour: rng.uniform(4, 40) } : undefined;
  return {
    litresPerDay: Math.round(Math.min(20_000, rng.logNormal(400, 0.7))),
    initialLitres: rng.int(5_000, 2_000_000),
    leak,
  };
}

/** Consumption by local hour: night minimum (0.5 % of the day per hour), morning and evening peaks. */
const waterProfile = [0.12, 0.08, 0.06, 0.06, 0.08, 0.35, 1.4, 2.1, 1.6, 1.1, 0.9, 0.9, 1.0, 0.9, 0.8, 0.8, 1.0, 1.4, 1.9, 1.8, 1.5, 1.1, 0.7, 0.3];
const profileAverage = profileMean(waterProfile);

/** Status bits of the Qalcosonic W1: 0x10 temporary error with the alarm code in bits 7–5 (001 = leak). */
export const leakStatus = 0x10 | (0b001 << 5);

/** Hours of continuous flow after which the meter raises its leak alarm. */
const leakAlarmAfterH = 24;

export interface WaterMeterState {
  /** Register, whole litres. */
  volumeL: number;
  statusFlags: number;
  /** Whether a leak is running now. */
  leaking: boolean;
}

/**
 * A household or small building water meter: hourly consumption with a daily profile and a night
 * minimum, optionally a leak that starts at some point and raises the meter's leak alarm after a
 * day of continuous flow. Keeps the register at each full hour, as the meter's hourly log does.
 */
export class WaterMeter extends SteppedModel {
  private litres: number;
  private readonly leakStart: number | undefined;
  /** Register (whole litres) at full hours, by hour start in ms; the last 48 kept. */
  private readonly hourly = new Map<number, number>();

  constructor(
    readonly params: WaterMeterParams,
    startMs: number,
    private readonly physics: Random,
    /** Hours of log available at the start: the model runs this long before `startMs`. */
    historyH = 16,
  ) {
    super(startMs - historyH * HOUR_MS, 5 * MINUTE_MS);
    this.litres = params.initialLitres;
    this.leakStart = params.leak ? startMs + params.leak.afterH * HOUR_MS : undefined;
    this.record(this.clockMs);
    this.advanceTo(startMs);
  }

  protected step(t: number, dtMs: number): void {
    const { hour } = localTime(t);
    const mean = ((this.params.litresPerDay * dtMs) / DAY_MS) * (hourlyProfile(waterProfile, hour) / profileAverage);
    // taps open in bursts: mostly a little, sometimes a lot
    let used = mean * this.physics.logNormal(1, 0.5) * Math.exp(-0.125);
    if (this.isLeaking(t)) used += (this.params.leak!.litresPerHour * dtMs) / HOUR_MS;
    this.litres += used;
    this.record(t + dtMs);
  }

  private record(t: number): void {
    if (t % HOUR_MS !== 0) return;
    this.hourly.set(t, Math.floor(this.litres));
    this.hourly.delete(t - 48 * HOUR_MS);
  }

  private isLeaking(t: number): boolean {
    return this.leakStart !== undefined && t >= this.leakStart;
  }

  read(): WaterMeterState {
    const t = this.clockMs;
    const alarm = this.leakStart !== undefined && t - this.leakStart >= leakAlarmAfterH * HOUR_MS;
    return { volumeL: Math.floor(this.litres), statusFlags: alarm ? leakStatus : 0, leaking: this.isLeaking(t) };
  }

  /**
   * The register at `points` full hours ending with the last full hour of the model clock, oldest
   * first: the meter's hourly log. Hours before the model's start repeat the earliest known value.
   */
  hourlyLog(points: number): { startMs: number; litres: number[] } {
    const last = Math.floor(this.clockMs / HOUR_MS) * HOUR_MS;
    const startMs = last - (points - 1) * HOUR_MS;
    const litres: number[] = [];
    let previous: number | undefined;
    for (let i = 0; i < points; i++) {
      const value = this.hourly.get(startMs + i * HOUR_MS) ?? previous ?? this.earliest();
      litres.push(value);
      previous = value;
    }
    return { startMs, litres };
  }

  private earliest(): number {
    return Math.min(...this.hourly.values());
  }
}
