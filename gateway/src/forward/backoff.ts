/** When to try the cloud again after a failed request. Pure functions: the random source is injected. */
export interface BackoffPolicy {
  /** Ceiling of the first retry's delay; it doubles with every consecutive failure. */
  baseMs: number;
  /** Largest ceiling the doubling reaches. */
  capMs: number;
  /** A Retry-After answer is honoured up to this long. */
  maxRetryAfterMs: number;
  /** Retry interval after 401/403 (a bad token: retrying helps only once someone fixes it). */
  unauthorizedMs: number;
}

export const defaultBackoffPolicy: BackoffPolicy = {
  baseMs: 500,
  capMs: 60_000,
  maxRetryAfterMs: 600_000,
  unauthorizedMs: 300_000,
};

/** A number in [0, 1), like Math.random. */
export type RandomSource = () => number;

/**
 * "Full jitter" exponential backoff: uniform in [0, min(capMs, baseMs · 2^(attempt − 1))).
 * `attempt` counts consecutive failures, 1 for the first.
 */
export function backoffDelay(attempt: number, policy: Pick<BackoffPolicy, 'baseMs' | 'capMs'>, random: RandomSource): number {
  const doublings = Math.min(Math.max(attempt - 1, 0), 40);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** doublings);
  return Math.floor(clampUnit(random()) * ceiling);
}

/**
 * Delay before the next attempt: the jittered backoff, but never sooner than the server's
 * Retry-After (itself bounded by maxRetryAfterMs, so a bogus header cannot stall the gateway).
 */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, policy: BackoffPolicy, random: RandomSource): number {
  const jittered = backoffDelay(attempt, policy, random);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(Math.min(retryAfterMs, policy.maxRetryAfterMs), jittered);
}

/** Delay after 401/403: slow, in [unauthorizedMs / 2, unauthorizedMs), jittered so a fleet does not beat in step. */
export function unauthorizedDelay(policy: Pick<BackoffPolicy, 'unauthorizedMs'>, random: RandomSource): number {
  return Math.floor(policy.unauthorizedMs / 2 + (clampUnit(random()) * policy.unauthorizedMs) / 2);
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Milliseconds from `nowMs`, or undefined. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function clampUnit(value: number): number {
  if (!(value > 0)) return 0;
  return value >= 1 ? 1 - Number.EPSILON : value;
}
