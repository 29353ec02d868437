import type { SensorStandardId } from '../../../standards/src/index.js';
import type { Aggregate } from '../store/time-series-store.js';
import type { AssetInput } from '../registry/schema.js';

/** What the query API derives from a registry asset: the standard its sensors report, the field a chart shows by default. */

export type AssetKind = AssetInput['kind'];
export type MeterType = Extract<AssetInput, { kind: 'meter' }>['meterType'];

export const standardOfKind: Readonly<Record<AssetKind, SensorStandardId>> = {
  'waste-container': 'fill-level/1',
  'water-level-logger': 'water-level/1',
  meter: 'meter-reading/1',
  door: 'door-lock/1',
};

export const kindOfStandard = Object.fromEntries(Object.entries(standardOfKind).map(([kind, standard]) => [standard, kind])) as Readonly<
  Record<SensorStandardId, AssetKind>
>;

/** Cumulative registers: their default aggregate is the consumption (sum-delta). */
export const cumulativeFields: readonly string[] = ['energyKWh', 'volumeM3', 'pulseCount', 'openCount'];

export function defaultAggregate(field: string): Aggregate {
  return cumulativeFields.includes(field) ? 'sum-delta' : 'mean';
}

const registerOfMeterType: Readonly<Record<MeterType, string>> = {
  electricity: 'energyKWh',
  heat: 'energyKWh',
  cooling: 'energyKWh',
  water: 'volumeM3',
  gas: 'volumeM3',
  pulse: 'pulseCount',
};

/**
 * The field a dashboard shows for a standard: the fill level, the level above the datum, whether
 * the door is open, a meter's main register (which depends on the meter type; undefined without one).
 */
export function defaultField(standard: SensorStandardId, meterType: MeterType | undefined): string | undefined {
  switch (standard) {
    case 'fill-level/1':
      return 'fillLevel';
    case 'water-level/1':
      return 'levelM';
    case 'door-lock/1':
      return 'doorOpen';
    case 'meter-reading/1':
      return meterType === undefined ? undefined : registerOfMeterType[meterType];
  }
}
