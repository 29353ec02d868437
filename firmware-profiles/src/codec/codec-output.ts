/**
 * Host-side validation of what a sandboxed payload codec produced.
 *
 * The sandbox hands over the codec's result only as a JSON string (serialised
 * inside the VM), so nothing here ever touches a VM object. This module checks
 * the size, parses, rejects dangerous or absurd structure, validates the shape
 * with zod, and normalises it to `{ data, warnings }`.
 */
import { z } from 'zod';

/** How the codec's return value is to be read. */
export type OutputShape =
  /** TS013 `decodeUplink`: `{ data, warnings?, errors? }`. */
  | 'ts013-result'
  /** TTN v2 `Decoder` / ChirpStack v3 `Decode`: the data object itself. */
  | 'data-object';

export type OutputCheck =
  | { ok: true; data: Record<string, unknown>; warnings: string[] }
  | { ok: false; kind: 'invalid-output' | 'codec-errors'; reason: string };

/** Deeper than this is not a sensor reading; it only endangers recursive consumers. */
export const MAX_OUTPUT_DEPTH = 64;

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const plainObject = z.record(z.string(), z.unknown(), {
  error: (issue) => `must be a plain object, got ${describeJsonType(issue.input)}`,
});
const stringList = z.array(z.string({ error: (issue) => `must be a string, got ${describeJsonType(issue.input)}` }), {
  error: (issue) => `must be an array of strings, got ${describeJsonType(issue.input)}`,
});
const ts013Result = z.object({
  data: plainObject.optional(),
  warnings: stringList.optional(),
  errors: stringList.optional(),
});

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path === '' ? issue.message : `${path} ${issue.message}`;
    })
    .join('; ');
}

/** Rejects `__proto__` keys (prototype-pollution bait for later merges) and excessive nesting. */
function checkStructure(root: unknown): string | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_OUTPUT_DEPTH) return `output is nested more than ${MAX_OUTPUT_DEPTH} levels deep`;
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === '__proto__') return 'output contains a "__proto__" key';
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * @param json the codec result as serialised by `JSON.stringify` inside the VM
 * @param shape how to read it
 * @param maxBytes maximum UTF-8 size of `json`
 * @param functionName the codec entry point, for messages
 */
export function parseCodecOutput(json: string, shape: OutputShape, maxBytes: number, functionName: string): OutputCheck {
  const invalid = (reason: string): OutputCheck => ({ ok: false, kind: 'invalid-output', reason });

  const size = Buffer.byteLength(json, 'utf8');
  if (size > maxBytes) return invalid(`output is ${size} bytes, more than the limit of ${maxBytes}`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return invalid('output is not valid JSON');
  }
  const structural = checkStructure(parsed);
  if (structural !== undefined) return invalid(structural);

  if (shape === 'data-object') {
    const result = plainObject.safeParse(parsed);
    if (!result.success) return invalid(`${functionName} must return a plain object, got ${describeJsonType(parsed)}`);
    return { ok: true, data: result.data, warnings: [] };
  }

  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return invalid(`${functionName} must return an object {data, warnings?, errors?}, got ${describeJsonType(parsed)}`);
  }
  const result = ts013Result.safeParse(parsed);
  if (!result.success) return invalid(`${functionName} result ${formatIssues(result.error)}`);
  const { data, warnings = [], errors = [] } = result.data;
  if (errors.length > 0) return { ok: false, kind: 'codec-errors', reason: errors.join('; ') };
  if (data === undefined) return invalid(`${functionName} result has no data object and no errors`);
  return { ok: true, data, warnings };
}
