import { z } from 'zod';
import { envelopeShape } from './envelope.js';

/**
 * Builds the record schema of one standard: the envelope, the standard's own fields (all optional
 * on their own), and the rule that a record which is not 'bad' carries at least one of the
 * `measurements`. The same rule is written into the generated JSON Schema as if/else.
 */
export function defineStandard<Id extends string, Shape extends z.ZodRawShape, M extends keyof Shape & string>(
  id: Id,
  description: string,
  shape: Shape,
  measurements: readonly [M, ...M[]],
) {
  const jsonRule = {
    if: { properties: { quality: { const: 'bad' } } },
    else: { anyOf: measurements.map((field) => ({ required: [field] })) },
  };
  return z
    .strictObject({ ...envelopeShape, standard: z.literal(id), ...shape })
    .superRefine((record, ctx) => {
      const values = record as Record<string, unknown>;
      if (values.quality === 'bad') return;
      if (measurements.some((field) => values[field] !== undefined)) return;
      ctx.addIssue({
        code: 'custom',
        path: [measurements[0]],
        message: `a ${id} record of quality '${String(values.quality)}' needs at least one of: ${measurements.join(', ')}`,
      });
    })
    .meta({ id: id.replace('/', '-v'), title: id, description, ...jsonRule });
}
