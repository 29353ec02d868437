import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  type BackoffPolicy,
  parseRetryAfter,
  retryDelay,
  unauthorizedDelay,
} from '../../../gateway/src/forward/backoff.js';
import { createForwarder } from '../../../gateway/src/forward/forwarder.js';
import { startIngestEndpoint } from '../../support/ingest-endpoint.js';
import { MemoryQueue, makeTestRecords } from '../../support/memory-queue.js';

const policy: BackoffPolicy = { baseMs: 500, capMs: 60_000, maxRetryAfterMs: 600_000, unauthorizedMs: 300_000 };

/** Deterministic random source in [0, 1) (a 32-bit LCG). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('backoff (full jitter)', () => {
  it('doubles the ceiling with each consecutive failure, up to the cap', () => {
    const top = () => 0.999_999;
    const delays = Array.from({ length: 10 }, (_, i) => backoffDelay(i + 1, policy, top));
    expect(delays).toEqual([499, 999, 1999, 3999, 7999, 15_999, 31_999, 59_999, 59_999, 59_999]);
    expect(Array.from({ length: 10 }, (_, i) => backoffDelay(i + 1, policy, () => 0.5))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(backoffDelay(1000, policy, top)).toBe(59_999);
  });

  it('spreads delays uniformly over [0, ceiling) — full jitter', () => {
    const random = seeded(42);
    const samples = Array.from({ length: 2000 }, () => backoffDelay(20, policy, random));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(60_000);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(27_000);
    expect(mean).toBeLessThan(33_000);
    const quarters = [0, 0, 0, 0];
    for (const s of samples) quarters[Math.floor(s / 15_000)]!++;
    for (const count of quarters) expect(count).toBeGreaterThan(400);
    expect(new Set(samples.slice(0, 10)).size).toBe(10);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('never retries sooner than Retry-After, and bounds a bogus one', () => {
    expect(retryDelay(1, 30_000, policy, () => 0.999)).toBe(30_000);
    expect(retryDelay(9, 1_000, policy, () => 0.5)).toBe(30_000);
    expect(retryDelay(1, 10 ** 9, policy, () => 0.5)).toBe(600_000);
    expect(retryDelay(2, undefined, policy, () => 0.5)).toBe(500);
  });

  it('retries a refused token slowly, jittered in [unauthorizedMs / 2, unauthorizedMs)', () => {
    expect(unauthorizedDelay(policy, () => 0)).toBe(150_000);
    expect(unauthorizedDelay(policy, () => 0.999_999)).toBe(299_999);
    const random = seeded(7);
    for (let i = 0; i < 100; i++) {
      const delay = unauthorizedDelay(policy, random);
      expect(delay).toBeGreaterThanOrEqual(150_000);
      expect(delay).toBeLessThan(300_000);
    }
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0);
    for (const bad of ['soon', '-5', '1.5', '', null, undefined]) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});

describe('forwarder backoff on the wire', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(random: () => number, backoff: Partial<BackoffPolicy>) {
    const endpoint = await startIngestEndpoint({ token: 'tok' });
    const queue = new MemoryQueue();
    queue.append(makeTestRecords(10));
    const forwarder = createForwarder({
      queue,
      cloudUrl: endpoint.url,
      token: 'tok',
      gatewayId: 'gw-test',
      batchSize: 100,
      lingerMs: 0,
      logger: pino({ level: 'silent' }),
      onRejected: () => {},
      random,
      backoff,
    });
    cleanups.push(async () => {
      await forwarder.stop({ timeoutMs: 1000 });
      await endpoint.close();
    });
    return { endpoint, queue, forwarder };
  }

  it('schedules the next attempt from the injected random source', async () => {
    const { endpoint, forwarder } = await setup(() => 0.5, { baseMs: 20_000, capMs: 60_000 });
    endpoint.setMode('unavailable');
    const before = Date.now();
    forwarder.start();
    await waitFor(() => forwarder.state().consecutiveFailures === 1);
    const after = Date.now();
    const next = Date.parse(forwarder.state().nextAttemptAt ?? '');
    expect(next).toBeGreaterThanOrEqual(before + 10_000);
    expect(next).toBeLessThanOrEqual(after + 10_000);
    expect(forwarder.state().status).toBe('backoff');
    expect(endpoint.counts.requests).toBe(1);
  });

  it('honours Retry-After on 429', async () => {
    const { endpoint, queue, forwarder } = await setup(() => 0.5, { baseMs: 5, capMs: 50 });
    endpoint.setMode('throttled', 30);
    const before = Date.now();
    forwarder.start();
    await waitFor(() => forwarder.state().consecutiveFailures === 1);
    const state = forwarder.state();
    expect(state.status).toBe('backoff');
    expect(state.lastError).toContain('429');
    expect(Date.parse(state.nextAttemptAt ?? '')).toBeGreaterThanOrEqual(before + 30_000);
    expect(queue.stats().depth).toBe(10);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
