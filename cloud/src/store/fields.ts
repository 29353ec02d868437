import { z } from 'zod';
import { deviceHealth, type SensorRecord, type StandardId, standardIds, standardSchemas } from '../../../standards/src/index.js';

/**
 * The numeric fields of each standard that the store keeps as time series: the standard's own
 * number and boolean fields (booleans as 0 / 1, so the mean of `doorOpen` is the share of readings
 * with the door open), then the device's health (`device.batteryPercent`, …). Read from the zod
 * schemas, so a field added to a standard is a series without a change here.
 */

function numericKeys(shape: Record<string, z.ZodType>): string[] {
  const keys: string[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
    if (inner instanceof z.ZodNumber || inner instanceof z.ZodBoolean) keys.push(key);
  }
  return keys;
}

/** `device.batteryPercent`, `device.batteryV`, `device.rssiDbm`, `device.snrDb`. */
export const deviceFields: readonly string[] = numericKeys(deviceHealth.shape).map((key) => `device.${key}`);

export const numericFields: Readonly<Record<StandardId, readonly string[]>> = Object.fromEntries(
  standardIds.map((id) => {
    const schema = standardSchemas[id] as unknown as z.ZodObject;
    return [id, [...numericKeys(schema.shape as Record<string, z.ZodType>), ...deviceFields]];
  }),
) as unknown as Record<StandardId, readonly string[]>;

/** The field's value as a number (true → 1, false → 0), or null when absent or not a finite number. */
export function fieldValue(record: SensorRecord, field: string): number | null {
  let value: unknown;
  if (field.startsWith('device.')) value = (record.device as Record<string, unknown> | undefined)?.[field.slice(7)];
  else value = (record as Record<string, unknown>)[field];
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/** Throws a RangeError naming the fields there are, when `field` is not a numeric field of `standard`. */
export function assertNumericField(standard: StandardId, field: string): void {
  const fields = numericFields[standard];
  if (!fields) throw new RangeError(`unknown standard ${JSON.stringify(standard)}`);
  if (!fields.includes(field)) {
    throw new RangeError(`${standard} has no numeric field ${JSON.stringify(field)}; it has: ${fields.join(', ')}`);
  }
}
