import type { Random } from '../random.js';

/** One gateway's reception of an uplink. */
export interface Reception {
  /** Gateway EUI, 16 lower-case hex digits. */
  gatewayId: string;
  rssiDbm: number;
  snrDb: number;
}

export interface RadioSample {
  /** Best reception first. */
  receptions: Reception[];
  spreadingFactor: number;
  /** EU868 data rate (12 − spreading factor at 125 kHz). */
  dataRate: number;
  frequencyHz: number;
}

/** The eight default EU868 uplink channels, Hz, in channel-index order. */
export const eu868ChannelsHz = [868_100_000, 868_300_000, 868_500_000, 867_100_000, 867_300_000, 867_500_000, 867_700_000, 867_900_000];

/** The spreading factor ADR settles on for a link of this RSSI (10 dB margin, roughly). */
function spreadingFactorFor(rssiDbm: number): number {
  if (rssiDbm > -100) return 7;
  if (rssiDbm > -106) return 8;
  if (rssiDbm > -110) return 9;
  if (rssiDbm > -114) return 10;
  if (rssiDbm > -118) return 11;
  return 12;
}

/**
 * A device's radio link: a fixed path loss to its nearest gateway (base RSSI), fading of a few dB
 * per uplink, SNR following RSSI, and now and then a second gateway hearing it more weakly.
 * Draws only from its own stream, so the physics of the device does not depend on how often it sends.
 */
export class RadioLink {
  private readonly baseRssi: number;
  private readonly home: string;
  private readonly other: string | undefined;
  private readonly spreadingFactor: number;

  constructor(
    private readonly rng: Random,
    gatewayIds: readonly string[],
  ) {
    this.baseRssi = rng.uniform(-117, -72);
    this.home = rng.pick(gatewayIds);
    const others = gatewayIds.filter((id) => id !== this.home);
    this.other = others.length > 0 ? rng.pick(others) : undefined;
    this.spreadingFactor = spreadingFactorFor(this.baseRssi);
  }

  sample(): RadioSample {
    const receptions = [this.reception(this.home, this.baseRssi)];
    if (this.other && this.rng.chance(0.3)) {
      const weaker = this.reception(this.other, this.baseRssi - this.rng.uniform(3, 15));
      if (weaker.rssiDbm < receptions[0]!.rssiDbm) receptions.push(weaker);
    }
    return {
      receptions,
      spreadingFactor: this.spreadingFactor,
      dataRate: 12 - this.spreadingFactor,
      frequencyHz: this.rng.pick(eu868ChannelsHz),
    };
  }

  private reception(gatewayId: string, meanRssi: number): Reception {
    const rssiDbm = Math.round(Math.min(-30, Math.max(-137, meanRssi + this.rng.normal(0, 2.5))));
    const snr = (rssiDbm + 112) / 2.5 + this.rng.normal(0, 1.2);
    return { gatewayId, rssiDbm, snrDb: Math.round(Math.min(13.5, Math.max(-20, snr)) * 4) / 4 };
  }
}
