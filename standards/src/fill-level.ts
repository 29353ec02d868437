import { z } from 'zod';
import { defineStandard } from './define-standard.js';

/** Fields of which a record that is not 'bad' carries at least one. */
export const fillLevelMeasurements = ['distanceMm'] as const;

export const fillLevelRecord = defineStandard(
  'fill-level/1',
  'Fill level of a waste container, measured by a downward distance sensor under the lid.',
  {
    distanceMm: z.number().min(0).max(100_000).optional().meta({ description: 'Distance from sensor to contents, mm.' }),
    fillLevel: z.number().min(0).max(1).optional().meta({
      description: '(emptyDistanceMm - distanceMm) / (emptyDistanceMm - fullDistanceMm), clamped to 0..1.',
    }),
    tilted: z.boolean().optional(),
    lidOpen: z.boolean().optional(),
    temperatureC: z.number().min(-100).max(1000).optional(),
    fireAlarm: z.boolean().optional(),
  },
  fillLevelMeasurements,
);
export type FillLevelRecord = z.infer<typeof fillLevelRecord>;
