import type { Random } from '../random.js';
import { HOUR_MS, localTime, MINUTE_MS } from './calendar.js';
import { SteppedModel } from './stepped.js';

export interface WaterBasinParams {
  /** Height of the submerged probe above the datum (DVR90), m. */
  referenceLevelM: number;
  /** Water above the probe in dry weather, m. */
  baseDepthM: number;
  /** The basin overflows above this depth: the level cannot rise further. */
  maxDepthM: number;
  /** Rise per mm of rain on the catchment, m (before the basin starts to fill up). */
  riseMPerMm: number;
  /** Recession time constant after rain, h. */
  recessionH: number;
  /** Half the daily swing (evaporation, pumping, groundwater), m. */
  diurnalM: number;
  /** Mean dry spell between rain events, h. */
  meanDryH: number;
}

export function randomWaterBasinParams(rng: Random): WaterBasinParams {
  const baseDepthM = rng.uniform(0.2, 1.0);
  return {
    referenceLevelM: Math.round(rng.uniform(0.5, 12) * 100) / 100,
    baseDepthM,
    maxDepthM: baseDepthM + rng.uniform(1.5, 3),
    riseMPerMm: rng.uniform(0.01, 0.04),
    recessionH: rng.uniform(12, 48),
    diurnalM: rng.uniform(0.005, 0.02),
    meanDryH: rng.uniform(30, 80),
  };
}

export interface WaterBasinState {
  /** Water above the probe, m, with the probe's own noise; never below 0. */
  depthM: number;
  /** Rain now, mm/h (0 in dry weather). */
  rainMmH: number;
}

/**
 * A rain retention basin or stream with a submerged pressure probe: the level rises while it rains
 * (less as the basin nears overflow), recedes exponentially afterwards, and wiggles over the day.
 * Rain comes in events: a dry spell (exponential), then 1–10 h of rain of 0.5–8 mm/h.
 */
export class WaterBasin extends SteppedModel {
  /** Water above the dry-weather level, m. */
  private excess = 0;
  private rainStart: number;
  /** End of the current rain event; undefined in a dry spell. */
  private rainEnd: number | undefined;
  private rainMmH = 0;
  private intensity = 0;

  constructor(
    readonly params: WaterBasinParams,
    startMs: number,
    private readonly physics: Random,
    private readonly measure: Random,
  ) {
    super(startMs, 5 * MINUTE_MS);
    this.rainStart = startMs + physics.exponential(params.meanDryH * HOUR_MS);
  }

  protected step(t: number, dtMs: number): void {
    const hours = dtMs / HOUR_MS;
    if (this.rainEnd === undefined && t >= this.rainStart) {
      this.rainEnd = this.rainStart + Math.min(24, Math.max(0.5, this.physics.logNormal(3, 0.6))) * HOUR_MS;
      this.intensity = Math.min(25, this.physics.exponential(2.5) + 0.3);
    }
    if (this.rainEnd !== undefined && t >= this.rainEnd) {
      this.rainStart = this.rainEnd + this.physics.exponential(this.params.meanDryH * HOUR_MS);
      this.rainEnd = undefined;
    }
    this.rainMmH = this.rainEnd !== undefined ? this.intensity * this.physics.uniform(0.3, 1.7) : 0;
    const room = Math.max(0, 1 - (this.params.baseDepthM + this.excess) / this.params.maxDepthM);
    this.excess += this.params.riseMPerMm * this.rainMmH * hours * room;
    this.excess *= Math.exp(-hours / this.params.recessionH);
  }

  read(): WaterBasinState {
    const { hour } = localTime(this.clockMs);
    const diurnal = this.params.diurnalM * Math.sin((2 * Math.PI * (hour - 9)) / 24);
    const depth = this.params.baseDepthM + this.excess + diurnal + this.measure.normal(0, 0.003);
    return { depthM: Math.max(0, depth), rainMmH: this.rainMmH };
  }
}
