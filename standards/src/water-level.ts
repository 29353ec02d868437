import { z } from 'zod';
import { defineStandard } from './define-standard.js';

/** Fields of which a record that is not 'bad' carries at least one. */
export const waterLevelMeasurements = ['waterDepthM', 'distanceM'] as const;

export const waterLevelRecord = defineStandard(
  'water-level/1',
  'Water level from a submerged pressure probe (waterDepthM) or a downward distance sensor (distanceM).',
  {
    waterDepthM: z.number().min(-1).max(1_000).optional().meta({ description: 'Water column above a submerged probe, m.' }),
    distanceM: z.number().min(0).max(1_000).optional().meta({ description: 'Distance from a downward sensor to the water surface, m.' }),
    levelM: z.number().min(-1_000).max(10_000).optional().meta({
      description: 'Water level above the datum, m, when the logger has a reference level.',
    }),
    datum: z.string().min(1).max(32).optional().meta({ description: "Height datum of levelM, e.g. 'DVR90'." }),
    flowM3s: z.number().optional(),
    temperatureC: z.number().min(-100).max(200).optional(),
  },
  waterLevelMeasurements,
);
export type WaterLevelRecord = z.infer<typeof waterLevelRecord>;
