import { z } from 'zod';
import { defineStandard } from './define-standard.js';

/** Fields of which a record that is not 'bad' carries at least one. */
export const doorLockMeasurements = ['doorOpen', 'locked'] as const;

export const doorLockRecord = defineStandard(
  'door-lock/1',
  'State and events of a door contact or electronic lock.',
  {
    doorOpen: z.boolean().optional(),
    locked: z.boolean().optional(),
    tamper: z.boolean().optional(),
    openCount: z.number().int().min(0).optional().meta({ description: 'Cumulative number of openings.' }),
    lastOpenDurationS: z.number().min(0).optional().meta({ description: 'How long the door was last open, s.' }),
    leak: z.boolean().optional(),
    alarm: z.boolean().optional(),
  },
  doorLockMeasurements,
);
export type DoorLockRecord = z.infer<typeof doorLockRecord>;
