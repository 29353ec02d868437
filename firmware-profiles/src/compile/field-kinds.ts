import { deviceHealth, type StandardId, standardSchemas } from '../../../standards/src/index.js';
import { envelopeShape } from '../../../standards/src/envelope.js';

export type FieldKind = 'number' | 'boolean' | 'string';

function kindOf(schema: unknown): FieldKind | undefined {
  let def = (schema as { _zod: { def: { type: string; innerType?: unknown } } })._zod.def;
  while (def.type === 'optional' || def.type === 'default') {
    def = (def.innerType as { _zod: { def: typeof def } })._zod.def;
  }
  if (def.type === 'number' || def.type === 'boolean') return def.type;
  if (def.type === 'string' || def.type === 'enum') return 'string';
  return undefined;
}

/**
 * What kind of value a profile may write to `field` of `standard`: a field of the standard itself,
 * `device.<health field>`, or `observedAt`. Undefined when the name is not a writable field.
 */
export function fieldKind(standard: StandardId, field: string): FieldKind | 'time' | undefined {
  if (field === 'observedAt') return 'time';
  if (field.startsWith('device.')) {
    const name = field.slice('device.'.length);
    return Object.hasOwn(deviceHealth.shape, name) ? kindOf(deviceHealth.shape[name as keyof typeof deviceHealth.shape]) : undefined;
  }
  const shape = standardSchemas[standard].shape as Record<string, unknown>;
  if (Object.hasOwn(envelopeShape, field) || field === 'standard' || !Object.hasOwn(shape, field)) return undefined;
  return kindOf(shape[field]);
}

/** Checks a constant against the standard's own schema for that field; returns the problem or undefined. */
export function checkConstant(standard: StandardId, field: string, value: unknown): string | undefined {
  const shape = standardSchemas[standard].shape as Record<string, { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }>;
  const schema = shape[field];
  if (!schema) return `${field} is not a field of ${standard}`;
  const result = schema.safeParse(value);
  return result.success ? undefined : `${JSON.stringify(value)} is not valid for ${field}: ${result.error?.issues[0]?.message}`;
}

/** Names a standard's writable fields, for error messages. */
export function writableFields(standard: StandardId): string[] {
  const shape = standardSchemas[standard].shape as Record<string, unknown>;
  return Object.keys(shape).filter((key) => !Object.hasOwn(envelopeShape, key) && key !== 'standard');
}

/**
 * The standard's own bounds for a numeric field (e.g. batteryPercent 0..100). A decoded value
 * outside them is physically impossible: decoders drop it and flag `impossible:<field>`.
 */
export function fieldLimits(standard: StandardId, field: string): [number, number] {
  const schema = field.startsWith('device.')
    ? (deviceHealth.shape as Record<string, unknown>)[field.slice('device.'.length)]
    : (standardSchemas[standard].shape as Record<string, unknown>)[field];
  let inner = schema as { _zod: { def: { type: string; innerType?: unknown } }; minValue?: number | null; maxValue?: number | null } | undefined;
  while (inner && (inner._zod.def.type === 'optional' || inner._zod.def.type === 'default')) inner = inner._zod.def.innerType as typeof inner;
  const finite = (bound: number | null | undefined, fallback: number) => (Number.isFinite(bound) ? (bound as number) : fallback);
  return [finite(inner?.minValue, -Number.MAX_VALUE), finite(inner?.maxValue, Number.MAX_VALUE)];
}
