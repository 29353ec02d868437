import type { Random } from '../random.js';
import { DAY_MS, hourlyProfile, isWeekend, localTime, MINUTE_MS, outdoorTemperatureC, profileMean } from './calendar.js';
import { SteppedModel } from './stepped.js';

export interface PulseMeterParams {
  /** Mean pulses per day (e.g. litres of a building's water meter with a 1 l/pulse output). */
  pulsesPerDay: number;
  initialCount: number;
  /** Share of the weekday consumption at weekends (offices: low, homes: a little higher). */
  weekendFactor: number;
  /** Mean temperature of the meter room, °C. */
  roomTemperatureC: number;
}

export function randomPulseMeterParams(rng: Random): PulseMeterParams {
  return {
    pulsesPerDay: Math.round(rng.logNormal(2000, 0.9)),
    initialCount: rng.int(1_000, 5_000_000),
    weekendFactor: rng.pick([0.3, 1.1]),
    roomTemperatureC: rng.uniform(12, 20),
  };
}

/** Consumption by local hour: a morning and an evening peak, a low night. */
const consumptionProfile = [0.15, 0.1, 0.08, 0.08, 0.1, 0.3, 1.2, 2.0, 1.6, 1.2, 1.0, 1.0, 1.1, 1.0, 0.9, 0.9, 1.1, 1.5, 1.9, 1.8, 1.4, 1.0, 0.6, 0.3];
const profileAverage = profileMean(consumptionProfile);

export interface PulseMeterState {
  pulseCount: number;
  /** The counter's own enclosure sensors. */
  temperatureC: number;
  humidityPercent: number;
}

/** A meter with a pulse output: the count rises with a daily profile (Poisson arrivals), never falls. */
export class PulseMeter extends SteppedModel {
  private count: number;

  constructor(
    readonly params: PulseMeterParams,
    startMs: number,
    private readonly physics: Random,
    private readonly measure: Random,
  ) {
    super(startMs, 5 * MINUTE_MS);
    this.count = params.initialCount;
  }

  protected step(t: number, dtMs: number): void {
    const { hour, weekday } = localTime(t);
    const week = isWeekend(weekday) ? this.params.weekendFactor : 1;
    const expected = ((this.params.pulsesPerDay * dtMs) / DAY_MS) * (hourlyProfile(consumptionProfile, hour) / profileAverage) * week;
    this.count += this.physics.poisson(expected);
  }

  read(): PulseMeterState {
    const outdoor = outdoorTemperatureC(this.clockMs);
    const { hour } = localTime(this.clockMs);
    return {
      pulseCount: this.count,
      temperatureC: this.params.roomTemperatureC + 0.15 * (outdoor - 9) + 0.5 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + this.measure.normal(0, 0.2),
      humidityPercent: Math.min(95, Math.max(20, 55 - 1.2 * (this.params.roomTemperatureC - 16) + this.measure.normal(0, 3))),
    };
  }
}
