import type { z } from 'zod';
import { standardSchemas, type SensorRecord, type StandardId } from './index.js';

export type RecordValidation = { ok: true; record: SensorRecord } | { ok: false; reason: string };

/** Validates one record against its standard; the reason names each failing field by its path. */
export function validateRecord(candidate: unknown): RecordValidation {
  const standard = (candidate as { standard?: unknown } | null)?.standard;
  const schema = typeof standard === 'string' ? standardSchemas[standard as StandardId] : undefined;
  if (!schema) {
    return { ok: false, reason: `standard: unknown standard ${JSON.stringify(standard)}` };
  }
  const result = schema.safeParse(candidate);
  if (result.success) return { ok: true, record: result.data as SensorRecord };
  return { ok: false, reason: describeIssues(result.error.issues) };
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ');
}
