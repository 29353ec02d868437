import { z } from 'zod';
import type { SensorStandardId, StandardId } from '../../../standards/src/index.js';
import type { Observation } from './observation.js';

/**
 * Device parameters (from the registry) that a standard's derived fields need, and the derivations.
 * They belong to the standard, not to a sensor model: every fill-level sensor gets fillLevel the same way.
 */
const fillLevelParams = z
  .strictObject({
    emptyDistanceMm: z.number().positive().max(100_000).optional().describe('sensor to the bottom of the empty container'),
    fullDistanceMm: z.number().min(0).max(100_000).default(0).describe('sensor to the contents when the container counts as full'),
  })
  .refine((p) => p.emptyDistanceMm === undefined || p.emptyDistanceMm > p.fullDistanceMm, {
    message: 'emptyDistanceMm must be greater than fullDistanceMm',
    path: ['emptyDistanceMm'],
  });

const waterLevelParams = z.strictObject({
  referenceLevelM: z
    .number()
    .min(-1_000)
    .max(10_000)
    .optional()
    .describe('height of the probe (submerged) or of the sensor face (downward), above the datum'),
  datum: z.string().min(1).max(32).default('DVR90'),
});

const noParams = z.strictObject({});

export const standardParams = {
  'fill-level/1': fillLevelParams,
  'water-level/1': waterLevelParams,
  'meter-reading/1': noParams,
  'door-lock/1': noParams,
} satisfies Record<SensorStandardId, z.ZodType>;

export type DeviceParams = Record<string, number | string>;

/**
 * Validates the parameters a standard knows (its keys are added to `claimed`, so the caller can
 * report keys no standard knows) and makes the derivation; the reason names each bad parameter.
 */
export function parseParams(
  standard: SensorStandardId,
  params: DeviceParams,
  claimed: Set<string>,
): { ok: true; derivation: Derivation | undefined } | { ok: false; reason: string } {
  const schema = standardParams[standard];
  const own = Object.fromEntries(Object.entries(params).filter(([key]) => Object.hasOwn(schema.shape, key)));
  for (const key of Object.keys(own)) claimed.add(key);
  const result = schema.safeParse(own);
  if (result.success) return { ok: true, derivation: derivationFor(standard, result.data) };
  return { ok: false, reason: result.error.issues.map((issue) => `parameter ${issue.path.join('.')}: ${issue.message}`).join('; ') };
}

export type Derivation = (observation: Observation) => void;

/**
 * The fields a standard derives from measurements and device parameters, as a function made once
 * per device; undefined when the parameters enable no derivation (nothing to do per uplink).
 */
export function derivationFor(standard: StandardId, params: object): Derivation | undefined {
  if (standard === 'fill-level/1') {
    const { emptyDistanceMm, fullDistanceMm } = params as z.infer<typeof fillLevelParams>;
    if (emptyDistanceMm === undefined) return undefined;
    const span = emptyDistanceMm - fullDistanceMm;
    return ({ fields }) => {
      if (typeof fields.distanceMm === 'number') fields.fillLevel = Math.min(1, Math.max(0, (emptyDistanceMm - fields.distanceMm) / span));
    };
  }
  if (standard === 'water-level/1') {
    const { referenceLevelM, datum } = params as z.infer<typeof waterLevelParams>;
    if (referenceLevelM === undefined) return undefined;
    return ({ fields }) => {
      let level: number;
      if (typeof fields.waterDepthM === 'number') level = referenceLevelM + fields.waterDepthM;
      else if (typeof fields.distanceM === 'number') level = referenceLevelM - fields.distanceM;
      else return;
      fields.levelM = Math.round(level * 10_000) / 10_000; // 0.1 mm: no float noise from the sum
      fields.datum = datum;
    };
  }
  return undefined;
}
