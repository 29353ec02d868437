import type { Random } from '../random.js';
import { HOUR_MS, hourlyProfile, localTime, MINUTE_MS, outdoorTemperatureC } from './calendar.js';
import { SteppedModel } from './stepped.js';

export interface HeatMeterParams {
  /** Heat load at the design outdoor temperature (−12 °C), kW. */
  designPowerKW: number;
  /** Share of the design load for hot water, all year. */
  hotWaterShare: number;
  /** Supply temperature in mild weather, °C (district heating raises it in frost). */
  flowTempC: number;
  /** Return temperature, °C. */
  returnTempC: number;
  initialEnergyKWh: number;
  initialVolumeM3: number;
  /** Serial number printed on the meter: 8 digits. */
  meterId: string;
}

export function randomHeatMeterParams(rng: Random): HeatMeterParams {
  const designPowerKW = Math.round(Math.min(500, Math.max(5, rng.logNormal(40, 0.8))) * 10) / 10;
  return {
    designPowerKW,
    hotWaterShare: rng.uniform(0.05, 0.15),
    flowTempC: rng.uniform(62, 68),
    returnTempC: rng.uniform(36, 44),
    initialEnergyKWh: Math.round(designPowerKW * rng.uniform(500, 40_000)),
    initialVolumeM3: Math.round(designPowerKW * rng.uniform(10, 900) * 100) / 100,
    meterId: String(rng.int(60_000_000, 69_999_999)),
  };
}

/** Heating by local hour: night setback, a morning peak, an evening bump. */
const heatingProfile = [0.8, 0.75, 0.75, 0.75, 0.8, 1.0, 1.35, 1.3, 1.15, 1.0, 0.95, 0.9, 0.9, 0.9, 0.9, 0.95, 1.05, 1.15, 1.2, 1.15, 1.05, 0.95, 0.9, 0.85];

/** Water's heat capacity as a meter integrates it: kWh per m³ and kelvin. */
const kWhPerM3K = 1.163;

export interface HeatMeterState {
  energyKWh: number;
  volumeM3: number;
  powerKW: number;
  flowM3h: number;
  flowTempC: number;
  returnTempC: number;
  meterId: string;
  errorFlags: number;
}

/**
 * A district-heating meter: power follows the heating demand (outdoor temperature, daily profile)
 * plus hot water; flow = power / (1.163 × ΔT); energy and volume integrate them, so they only rise.
 */
export class HeatMeter extends SteppedModel {
  private energyKWh: number;
  private volumeM3: number;
  private powerKW = 0;
  private flowM3h = 0;
  private flowTempC: number;
  private returnTempC: number;

  constructor(
    readonly params: HeatMeterParams,
    startMs: number,
    private readonly physics: Random,
    private readonly measure: Random,
  ) {
    super(startMs, 5 * MINUTE_MS);
    this.energyKWh = params.initialEnergyKWh;
    this.volumeM3 = params.initialVolumeM3;
    this.flowTempC = params.flowTempC;
    this.returnTempC = params.returnTempC;
  }

  protected step(t: number, dtMs: number): void {
    const demand = Math.min(1, Math.max(0, (17 - outdoorTemperatureC(t)) / 29));
    const { hour } = localTime(t);
    const { designPowerKW, hotWaterShare } = this.params;
    const load = hotWaterShare * this.physics.uniform(0, 2) + (1 - hotWaterShare) * demand * hourlyProfile(heatingProfile, hour);
    this.powerKW = Math.max(0, designPowerKW * load * (1 + this.physics.normal(0, 0.05)));
    this.flowTempC = this.params.flowTempC + 8 * demand + this.physics.normal(0, 0.4);
    this.returnTempC = this.params.returnTempC + 3 * (0.5 - demand) + this.physics.normal(0, 0.4);
    const deltaT = Math.max(5, this.flowTempC - this.returnTempC);
    this.flowM3h = this.powerKW / (kWhPerM3K * deltaT);
    const hours = dtMs / HOUR_MS;
    this.energyKWh += this.powerKW * hours;
    this.volumeM3 += this.flowM3h * hours;
  }

  read(): HeatMeterState {
    return {
      energyKWh: this.energyKWh,
      volumeM3: this.volumeM3,
      powerKW: this.powerKW,
      flowM3h: this.flowM3h,
      flowTempC: this.flowTempC + this.measure.normal(0, 0.05),
      returnTempC: this.returnTempC + this.measure.normal(0, 0.05),
      meterId: this.params.meterId,
      errorFlags: 0,
    };
  }
}
