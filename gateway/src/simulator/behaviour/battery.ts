import type { Random } from '../random.js';
import { DAY_MS } from './calendar.js';

/** How a battery's voltage falls with its charge: full and empty voltage, and the curve's shape. */
export interface Chemistry {
  fullV: number;
  emptyV: number;
  /** Exponent of the remaining charge: small = flat until near the end (lithium thionyl chloride). */
  flatness: number;
}

/** 3.6 V lithium thionyl chloride cell (ER26500/ER18505, Dragino LDDS75): flat, then a late drop. */
export const lithiumThionylChloride: Chemistry = { fullV: 3.65, emptyV: 2.9, flatness: 0.25 };
/** Two AAA alkaline cells (Dragino LDS02): a steady slope. */
export const alkalineAaaPair: Chemistry = { fullV: 3.1, emptyV: 2.3, flatness: 0.9 };

/** A battery that drains slowly and steadily (a few percent a month at most); never recharges. */
export class Battery {
  constructor(
    private readonly startPercent: number,
    private readonly drainPercentPerDay: number,
    private readonly startMs: number,
  ) {}

  /** Mostly healthy batteries, a few near their end; 5–15 years' life. */
  static random(rng: Random, startMs: number): Battery {
    const start = rng.chance(0.05) ? rng.uniform(5, 25) : rng.uniform(60, 100);
    return new Battery(start, 100 / (rng.uniform(5, 15) * 365), startMs);
  }

  percentAt(ms: number): number {
    const days = Math.max(0, ms - this.startMs) / DAY_MS;
    return Math.max(0, this.startPercent - this.drainPercentPerDay * days);
  }

  volts(ms: number, chemistry: Chemistry): number {
    const charge = this.percentAt(ms) / 100;
    return chemistry.emptyV + (chemistry.fullV - chemistry.emptyV) * charge ** chemistry.flatness;
  }
}
