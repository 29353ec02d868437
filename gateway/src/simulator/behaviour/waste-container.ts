import type { Random } from '../random.js';
import { DAY_MS, HOUR_MS, hourlyProfile, isWeekend, localTime, MINUTE_MS, nextWorkingTime, outdoorTemperatureC } from './calendar.js';
import { SteppedModel } from './stepped.js';

export const wasteFractions = ['rest', 'mad', 'plast', 'papir', 'glas', 'metal'] as const;
export type WasteFraction = (typeof wasteFractions)[number];

export interface WasteContainerParams {
  fraction: WasteFraction;
  /** Sensor face to the bottom of the empty container, mm. */
  emptyDistanceMm: number;
  /** Sensor face to the contents when the container counts as full, mm. */
  fullDistanceMm: number;
  /** Daytime filling, share of the capacity per hour (0.005–0.03; about a fifth of that at night). */
  fillRatePerHour: number;
  /** Scheduled collection: every `everyDays` days, on `weekday` (1 = Monday … 5 = Friday), from `hour` local. */
  collection: { everyDays: number; weekday: number; hour: number };
  /** Above this fill level the operator sends a truck within the next working hours. */
  emptyAbove: number;
  initialFill: number;
  /** Mean time between tilts (knocked over, lifted and left askew), days. */
  meanDaysBetweenTilts: number;
}

/** Daytime fill rate (share per hour) by fraction: food and residual waste fill fastest. */
const rateRange: Record<WasteFraction, [number, number]> = {
  rest: [0.006, 0.02],
  mad: [0.008, 0.03],
  plast: [0.005, 0.015],
  papir: [0.005, 0.015],
  glas: [0.005, 0.01],
  metal: [0.005, 0.008],
};

const collectionDays: Record<WasteFraction, readonly number[]> = {
  rest: [7, 14],
  mad: [7],
  plast: [14, 28],
  papir: [14, 28],
  glas: [28],
  metal: [28],
};

/** Share of the daytime rate by local hour: people throw things away in the day and evening, little at night. */
const dayProfile = [0.1, 0.08, 0.06, 0.06, 0.08, 0.15, 0.5, 1.0, 1.1, 1.0, 1.0, 1.1, 1.2, 1.1, 1.0, 1.1, 1.3, 1.5, 1.6, 1.4, 1.1, 0.8, 0.4, 0.2];

/** Parameters for one container, drawn from `rng`; `minFullDistanceMm` keeps the contents out of a sensor's blind zone. */
export function randomWasteContainerParams(rng: Random, minFullDistanceMm = 150): WasteContainerParams {
  const fraction = rng.pick(wasteFractions);
  const [low, high] = rateRange[fraction];
  // 660 l wheelie bins (~1 m deep) to underground containers (~2.5 m)
  const emptyDistanceMm = Math.round(rng.uniform(900, 2600) / 10) * 10;
  const fullDistanceMm = Math.max(minFullDistanceMm, Math.round(rng.uniform(150, 350) / 10) * 10);
  return {
    fraction,
    emptyDistanceMm,
    fullDistanceMm,
    fillRatePerHour: rng.uniform(low, high),
    collection: { everyDays: rng.pick(collectionDays[fraction]), weekday: rng.int(1, 5), hour: rng.int(6, 13) },
    emptyAbove: 0.85,
    initialFill: rng.uniform(0, 0.6),
    meanDaysBetweenTilts: rng.uniform(30, 120),
  };
}

export interface WasteContainerState {
  /** 0 (empty) … 1 (full line reached). */
  fill: number;
  tilted: boolean;
  /** Sensor face to the contents, mm, with the measurement's own noise. */
  distanceMm: number;
  /** Air in the container, °C. */
  temperatureC: number;
  emptiedCount: number;
}

/**
 * A waste container under a downward distance sensor: fills at its rate (slower at night, a little
 * faster at weekends), now and then a bulky load, emptied on its collection day or, above
 * `emptyAbove`, by an extra trip in the next working hours; rarely tilted for a few hours.
 */
export class WasteContainer extends SteppedModel {
  private fill: number;
  private tilted = false;
  private tiltUntil = 0;
  private nextTilt: number;
  private nextCollection: number;
  private extraTrip: number | undefined;
  private emptied = 0;

  constructor(
    readonly params: WasteContainerParams,
    startMs: number,
    private readonly physics: Random,
    private readonly measure: Random,
  ) {
    super(startMs, 10 * MINUTE_MS);
    this.fill = params.initialFill;
    this.nextTilt = startMs + physics.exponential(params.meanDaysBetweenTilts * DAY_MS);
    this.nextCollection = firstCollection(params.collection, startMs, physics);
  }

  protected step(t: number, dtMs: number): void {
    const end = t + dtMs;
    if (this.nextCollection < end) {
      this.empty();
      this.nextCollection += this.params.collection.everyDays * DAY_MS;
    }
    if (this.extraTrip !== undefined && this.extraTrip < end) this.empty();
    if (this.tilted && this.tiltUntil < end) this.tilted = false;
    if (this.nextTilt < end) {
      this.tilted = true;
      this.tiltUntil = this.nextTilt + Math.min(48 * HOUR_MS, this.physics.logNormal(2 * HOUR_MS, 0.8));
      this.nextTilt += this.physics.exponential(this.params.meanDaysBetweenTilts * DAY_MS);
    }
    const { hour, weekday } = localTime(t);
    const weekFactor = isWeekend(weekday) ? 1.15 : 1;
    const hours = dtMs / HOUR_MS;
    let added = this.params.fillRatePerHour * hourlyProfile(dayProfile, hour) * weekFactor * hours * this.physics.uniform(0.4, 1.6);
    if (this.physics.chance(0.004)) added += this.physics.uniform(0.02, 0.1); // a bulky bag or a garden clear-out
    this.fill = Math.min(1, this.fill + added);
    if (this.fill > this.params.emptyAbove && this.extraTrip === undefined) {
      this.extraTrip = nextWorkingTime(end + this.physics.uniform(2, 20) * HOUR_MS) + this.physics.uniform(0, 50) * MINUTE_MS;
    }
  }

  private empty(): void {
    this.fill = this.physics.uniform(0, 0.03); // what sticks to the walls
    this.extraTrip = undefined;
    this.emptied++;
  }

  /** The state now, the distance as the sensor would measure it (±~6 mm surface noise). */
  read(): WasteContainerState {
    const { emptyDistanceMm, fullDistanceMm } = this.params;
    const distance = emptyDistanceMm - this.fill * (emptyDistanceMm - fullDistanceMm) + this.measure.normal(0, 6);
    const decay = this.params.fraction === 'mad' || this.params.fraction === 'rest' ? 2 : 0.5;
    return {
      fill: this.fill,
      tilted: this.tilted,
      distanceMm: Math.max(1, distance),
      temperatureC: outdoorTemperatureC(this.clockMs) + decay + this.measure.normal(0, 0.4),
      emptiedCount: this.emptied,
    };
  }
}

/** The first collection after `startMs`: the configured weekday and hour, in a random week of the cycle. */
function firstCollection(collection: WasteContainerParams['collection'], startMs: number, rng: Random): number {
  let t = Math.ceil(startMs / HOUR_MS) * HOUR_MS;
  for (let i = 0; i < 24 * 8; i++, t += HOUR_MS) {
    const local = localTime(t);
    if (local.weekday === collection.weekday && Math.floor(local.hour) === collection.hour) break;
  }
  const weeks = Math.max(1, Math.round(collection.everyDays / 7));
  return t + rng.int(0, weeks - 1) * 7 * DAY_MS + rng.uniform(0, 55) * MINUTE_MS;
}
