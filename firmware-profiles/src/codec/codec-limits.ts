import { z } from 'zod';
import { WASM_MEMORY_MAX_BYTES } from './quickjs-module.js';

export interface CodecLimits {
  /**
   * Wall-clock budget per decode (and for the top-level check at create), in ms.
   * Enforced by the QuickJS interrupt handler; a watchdog stops anything still
   * running after 2 * timeoutMs + 20 ms.
   */
  timeoutMs: number;
  /**
   * QuickJS `setMemoryLimit` per runtime, in bytes (at most WASM_MEMORY_MAX_BYTES).
   * In this build it reliably refuses only single allocations larger than this.
   * Total memory is capped by the engine's WASM memory maximum.
   */
  memoryBytes: number;
  /** QuickJS (WASM shadow) stack limit, in bytes. At most MAX_STACK_BYTES. */
  maxStackBytes: number;
  /** Maximum UTF-8 size of the codec's JSON-serialised result, in bytes. */
  maxOutputBytes: number;
}

/**
 * Hard ceiling for `maxStackBytes`. Measured with Node 20 and QuickJS 0.32
 * (release-sync build), before the WASM code is tiered up, which is the worst
 * case. Evaluating `[[[...]]]` nested 100k deep overflows the default ~1 MB V8
 * stack at about 42 KiB of QuickJS stack when called from a shallow host
 * stack, and at about 32 KiB when the host is already about 3000 frames deep.
 * At 24 KiB every recursion pattern we tried ends in a clean QuickJS
 * "stack overflow".
 */
export const MAX_STACK_BYTES = 24 * 1024;

export const defaultCodecLimits: CodecLimits = Object.freeze({
  timeoutMs: 50,
  memoryBytes: 16 * 1024 * 1024,
  maxStackBytes: MAX_STACK_BYTES,
  maxOutputBytes: 64 * 1024,
});

const MIN_MEMORY_BYTES = 1024 * 1024;
const MIN_STACK_BYTES = 8 * 1024;
const MIN_OUTPUT_BYTES = 1024;

const limitsSchema = z.object({
  timeoutMs: z.number().int().min(1).max(60_000),
  memoryBytes: z.number().int().min(MIN_MEMORY_BYTES).max(WASM_MEMORY_MAX_BYTES),
  maxStackBytes: z.number().int().min(MIN_STACK_BYTES).max(MAX_STACK_BYTES),
  maxOutputBytes: z.number().int().min(MIN_OUTPUT_BYTES).max(16 * 1024 * 1024),
});

export function resolveLimits(overrides: Partial<CodecLimits>): CodecLimits {
  const merged: Record<string, unknown> = { ...defaultCodecLimits };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  const result = limitsSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new RangeError(`invalid codec limits: ${problems}`);
  }
  return Object.freeze(result.data);
}
