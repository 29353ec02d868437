import { z } from 'zod';
import { defineStandard } from './define-standard.js';

export const meterTypes = ['electricity', 'heat', 'cooling', 'water', 'gas', 'pulse'] as const;

/** Fields of which a record that is not 'bad' carries at least one. */
export const meterReadingMeasurements = ['energyKWh', 'volumeM3', 'pulseCount', 'powerKW', 'flowM3h'] as const;

export const meterReadingRecord = defineStandard(
  'meter-reading/1',
  'Reading of a utility meter: cumulative registers and instantaneous values.',
  {
    meterType: z.enum(meterTypes),
    energyKWh: z.number().min(0).optional().meta({ description: 'Cumulative energy register, kWh.' }),
    volumeM3: z.number().min(0).optional().meta({ description: 'Cumulative volume register, m³.' }),
    pulseCount: z.number().int().min(0).optional().meta({ description: 'Cumulative pulse counter.' }),
    powerKW: z.number().optional(),
    flowM3h: z.number().optional(),
    flowTempC: z.number().min(-100).max(300).optional(),
    returnTempC: z.number().min(-100).max(300).optional(),
    meterId: z.string().min(1).max(64).optional().meta({ description: 'Serial number printed on the meter.' }),
    errorFlags: z.number().int().min(0).optional().meta({ description: 'Vendor error bit field; 0 = no error.' }),
  },
  meterReadingMeasurements,
);
export type MeterReadingRecord = z.infer<typeof meterReadingRecord>;
