import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createForwarder, type ForwarderOptions } from '../../../gateway/src/forward/forwarder.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { type IngestEndpointOptions, startIngestEndpoint } from '../../support/ingest-endpoint.js';
import { MemoryQueue, makeTestRecords } from '../../support/memory-queue.js';

const TOKEN = 'gw-token-7f3a9c1e5b2d';

interface Harness {
  endpoint: Awaited<ReturnType<typeof startIngestEndpoint>>;
  queue: MemoryQueue;
  forwarder: ReturnType<typeof createForwarder>;
  rejected: { record: SensorRecord; reason: string }[];
  logs: string[];
}

const cleanups: (() => Promise<void>)[] = [];
/** Every log line of every forwarder, checked for the token after each test. */
const allLogs: { token: string; lines: string[] }[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const { token, lines } of allLogs.splice(0)) {
    for (const line of lines) expect(line).not.toContain(token);
  }
});

async function setup(
  options: { endpoint?: IngestEndpointOptions; forwarder?: Partial<ForwarderOptions> } = {},
): Promise<Harness> {
  const endpoint = await startIngestEndpoint({ token: TOKEN, ...options.endpoint });
  const queue = new MemoryQueue();
  const harness = { endpoint, queue, rejected: [], logs: [] } as unknown as Harness;
  harness.forwarder = newForwarder(harness, options.forwarder);
  cleanups.push(() => endpoint.close());
  return harness;
}

/** A forwarder on the harness's queue and endpoint (a second one models a gateway restart). */
function newForwarder(harness: Harness, overrides: Partial<ForwarderOptions> = {}) {
  const logger = pino({ level: 'debug' }, { write: (line: string) => void harness.logs.push(line) });
  const forwarder = createForwarder({
    queue: harness.queue,
    cloudUrl: harness.endpoint.url,
    token: TOKEN,
    gatewayId: 'gw-test',
    batchSize: 100,
    lingerMs: 0,
    logger,
    onRejected: (record, reason) => void harness.rejected.push({ record, reason }),
    backoff: { baseMs: 5, capMs: 50, unauthorizedMs: 40 },
    ...overrides,
  });
  allLogs.push({ token: overrides.token ?? TOKEN, lines: harness.logs });
  cleanups.push(() => forwarder.stop({ timeoutMs: 1000 }));
  return forwarder;
}

/** Polls until the condition holds; bounded, so a bug fails the test instead of hanging it. */
async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ids = (records: readonly SensorRecord[]) => records.map((record) => record.id).sort();
const okRequests = (h: Harness) => h.endpoint.requests.filter((request) => request.status === 200);

describe('forwarder: batching', () => {
  it('sends full batches of batchSize at once and lingers over a partial one until it fills', async () => {
    const h = await setup({ forwarder: { batchSize: 100, lingerMs: 60_000 } });
    h.queue.append(makeTestRecords(250));
    h.forwarder.start();
    await waitFor(() => h.forwarder.state().sentRecords === 200 && h.forwarder.state().inFlightRecords === 0);
    expect(okRequests(h).map((request) => request.records)).toEqual([100, 100]);
    expect(h.queue.stats().depth).toBe(50);

    h.queue.append(makeTestRecords(50));
    h.forwarder.notify();
    await waitFor(() => h.queue.stats().depth === 0);
    expect(okRequests(h).map((request) => request.records)).toEqual([100, 100, 100]);
    expect(h.endpoint.counts.stored).toBe(300);
  });

  it('sends a partial batch once lingerMs has passed, with what arrived meanwhile', async () => {
    const h = await setup({ forwarder: { batchSize: 1000, lingerMs: 500 } });
    h.forwarder.start();
    h.queue.append(makeTestRecords(5));
    h.forwarder.notify();
    await sleep(20);
    expect(h.endpoint.counts.requests).toBe(0);
    h.queue.append(makeTestRecords(5));
    h.forwarder.notify();
    await waitFor(() => h.queue.stats().depth === 0);
    expect(okRequests(h).map((request) => request.records)).toEqual([10]);
  });

  it('keeps each request under maxBatchBytes of JSON', async () => {
    const h = await setup({ forwarder: { batchSize: 100, maxBatchBytes: 2000 } });
    h.queue.append(makeTestRecords(40));
    h.forwarder.start();
    await waitFor(() => h.queue.stats().depth === 0);
    expect(h.endpoint.counts.stored).toBe(40);
    for (const request of h.endpoint.requests) expect(request.jsonBytes).toBeLessThanOrEqual(2000);
    expect(Math.max(...h.endpoint.requests.map((request) => request.records))).toBeGreaterThan(1);
  });

  it('puts gzip JSON with the bearer token on the wire', async () => {
    const h = await setup();
    h.queue.append(makeTestRecords(100));
    h.forwarder.start();
    await waitFor(() => h.queue.stats().depth === 0);
    const [request] = h.endpoint.requests;
    expect(request).toMatchObject({ contentEncoding: 'gzip', contentType: 'application/json', gzipMagic: true, records: 100 });
    expect(request!.wireBytes * 5).toBeLessThan(request!.jsonBytes);
    expect(h.endpoint.counts.unauthorized).toBe(0);
  });
});

describe('forwarder: per-record outcomes', () => {
  it('acknowledges stored and duplicate, hands rejected to onRejected and then acknowledges them', async () => {
    const h = await setup();
    const fresh = makeTestRecords(5);
    const known = makeTestRecords(3);
    const invalid = makeTestRecords(2, { overrides: (i) => (i === 0 ? { distanceMm: -5 } : { kommune: '751' }) });
    h.endpoint.preload(known);
    h.queue.append([...fresh, ...known, ...invalid]);
    h.forwarder.start();
    await waitFor(() => h.queue.stats().depth === 0);

    expect(h.forwarder.state()).toMatchObject({ storedRecords: 5, duplicateRecords: 3, sentRecords: 8, rejectedRecords: 2, status: 'connected' });
    expect(h.endpoint.counts).toMatchObject({ stored: 5, duplicates: 3, rejected: 2 });
    expect(ids(h.rejected.map((r) => r.record))).toEqual(ids(invalid));
    const reasons = new Map(h.rejected.map((r) => [r.record.id, r.reason]));
    expect(reasons.get(invalid[0]!.id)).toMatch(/^distanceMm: /);
    expect(reasons.get(invalid[1]!.id)).toMatch(/^kommune: /);
    expect(ids(h.endpoint.stored())).toEqual(ids([...fresh, ...known]));
  });

  it('keeps a rejected record queued until onRejected has taken it', async () => {
    let refusals = 1;
    const taken: string[] = [];
    const h = await setup();
    const invalid = makeTestRecords(1, { overrides: () => ({ distanceMm: -1 }) });
    h.forwarder = newForwarder(h, {
      onRejected: (record) => {
        if (refusals-- > 0) throw new Error('dead-letter store is full');
        taken.push(record.id);
      },
    });
    h.queue.append([...makeTestRecords(3), ...invalid]);
    h.forwarder.start();
    await waitFor(() => h.queue.stats().depth === 0);
    expect(taken).toEqual([invalid[0]!.id]);
    expect(h.endpoint.counts.rejected).toBe(2);
    expect(h.forwarder.state().rejectedRecords).toBe(1);
  });

  it('keeps records whose id the answer leaves out, and sends them again', async () => {
    const h = await setup({ forwarder: { batchSize: 50 } });
    const records = makeTestRecords(200);
    const withholdOnce = new Set(records.filter((_, i) => i % 7 === 0).map((record) => record.id));
    h.endpoint.dropOutcomes((id) => withholdOnce.delete(id));
    h.queue.append(records);
    h.forwarder.start();
    await waitFor(() => h.queue.stats().depth === 0);
    expect(h.endpoint.withheld).toBe(29);
    expect(h.endpoint.counts).toMatchObject({ stored: 200, duplicates: 29 });
    expect(h.forwarder.state()).toMatchObject({ storedRecords: 171, duplicateRecords: 29, consecutiveFailures: 0 });
    expect(h.endpoint.storedIds()).toEqual(new Set(records.map((record) => record.id)));
  });
});

describe('forwarder: failures', () => {
  it('cloud down (refused, 503, reset, lost answers), then back: everything delivered, each record stored once', async () => {
    const h = await setup({ forwarder: { batchSize: 200, lingerMs: 20 } });
    const sent: SensorRecord[] = [];
    const feed = (count: number) => {
      const records = makeTestRecords(count);
      sent.push(...records);
      h.queue.append(records);
      h.forwarder.notify();
    };
    await h.endpoint.goOffline();
    h.forwarder.start();
    feed(300);
    await waitFor(() => h.forwarder.state().consecutiveFailures >= 3);
    expect(h.forwarder.state()).toMatchObject({ status: 'backoff', sentRecords: 0 });
    expect(h.forwarder.state().lastError).toMatch(/request failed/);

    await h.endpoint.goOnline();
    let failed = h.endpoint.counts.failed;
    for (const mode of ['unavailable', 'reset', 'lose-answers'] as const) {
      h.endpoint.setMode(mode);
      feed(250);
      await waitFor(() => h.endpoint.counts.failed >= failed + 2);
      failed = h.endpoint.counts.failed;
      expect(h.forwarder.state().status).toBe('backoff');
    }
    expect(h.queue.stats().depth).toBe(sent.length);

    h.endpoint.setMode('up');
    feed(500);
    await waitFor(() => h.queue.stats().depth === 0);
    const state = h.forwarder.state();
    expect(state).toMatchObject({ status: 'connected', consecutiveFailures: 0, sentRecords: sent.length });
    expect(h.endpoint.stored()).toHaveLength(sent.length);
    expect(ids(h.endpoint.stored())).toEqual(ids(sent));
    expect(h.endpoint.counts.stored).toBe(sent.length);
    // Answers lost after storing: those records came again and were recognised, not stored twice.
    expect(state.duplicateRecords).toBeGreaterThan(0);
    expect(state.storedRecords + state.duplicateRecords).toBe(sent.length);
  });

  it('splits batches on 413 and keeps the smaller size', async () => {
    const h = await setup({ endpoint: { maxRecordsPerRequest: 30 }, forwarder: { batchSize: 100 } });
    const records = makeTestRecords(250);
    h.queue.append(records);
    h.forwarder.start();
    await waitFor(() => h.queue.stats().depth === 0);
    expect(h.endpoint.counts.tooLarge).toBeGreaterThanOrEqual(1);
    for (const request of okRequests(h)) expect(request.records).toBeLessThanOrEqual(30);
    expect(h.forwarder.state().batchLimit).toBeLessThanOrEqual(30);
    expect(ids(h.endpoint.stored())).toEqual(ids(records));
    expect(h.rejected).toEqual([]);
  });

  it('keeps a record the cloud refuses as too large even alone, with an alarm, until the limit is fixed', async () => {
    const h = await setup({ endpoint: { maxRecordsPerRequest: 0 }, forwarder: { batchSize: 8 } });
    const records = makeTestRecords(3);
    h.queue.append(records);
    h.forwarder.start();
    await waitFor(() => h.forwarder.state().consecutiveFailures >= 3);
    expect(h.forwarder.state()).toMatchObject({ status: 'backoff', batchLimit: 1, sentRecords: 0, rejectedRecords: 0 });
    expect(h.forwarder.state().lastError).toMatch(/413/);
    expect(h.logs.some((line) => line.includes('"alarm":"cloud-body-limit"'))).toBe(true);
    expect(h.queue.stats().depth).toBe(3);

    h.endpoint.setMaxRecordsPerRequest(undefined);
    await waitFor(() => h.queue.stats().depth === 0);
    expect(ids(h.endpoint.stored())).toEqual(ids(records));
    expect(h.rejected).toEqual([]);
  });

  it('on 401 raises an alarm, keeps everything, retries slowly, and recovers when the token is accepted', async () => {
    const wrong = 'wrong-token-0123456789';
    const h = await setup();
    h.forwarder = newForwarder(h, { token: wrong, backoff: { baseMs: 5, capMs: 50, unauthorizedMs: 60_000 } });
    h.queue.append(makeTestRecords(20));
    h.forwarder.start();
    await waitFor(() => h.forwarder.state().status === 'unauthorized');
    const state = h.forwarder.state();
    expect(state.lastError).toMatch(/401/);
    expect(Date.parse(state.nextAttemptAt ?? '')).toBeGreaterThan(Date.now() + 20_000);
    expect(h.queue.stats().depth).toBe(20);
    expect(h.endpoint.counts).toMatchObject({ unauthorized: 1, stored: 0 });
    const alarms = h.logs.map((line) => JSON.parse(line) as { level: number; alarm?: string }).filter((entry) => entry.alarm);
    expect(alarms).toEqual([expect.objectContaining({ level: 50, alarm: 'cloud-unauthorized' })]);
    await h.forwarder.stop();

    // Retried slowly (unauthorizedMs, short here) for as long as it takes, and picked up once the cloud accepts the token.
    h.forwarder = newForwarder(h, { token: wrong });
    h.forwarder.start();
    await waitFor(() => h.endpoint.counts.unauthorized >= 3);
    expect(h.forwarder.state()).toMatchObject({ status: 'unauthorized', sentRecords: 0 });
    h.endpoint.setToken(wrong);
    await waitFor(() => h.queue.stats().depth === 0);
    expect(h.forwarder.state().status).toBe('connected');
    expect(h.endpoint.counts.stored).toBe(20);
  });

  it('treats 403 (token not for this gateway) like 401', async () => {
    const h = await setup({ endpoint: { gatewayId: 'gw-other' } });
    h.queue.append(makeTestRecords(5));
    h.forwarder.start();
    await waitFor(() => h.forwarder.state().status === 'unauthorized');
    expect(h.forwarder.state().lastError).toMatch(/403/);
    expect(h.queue.stats().depth).toBe(5);
    expect(h.endpoint.counts.stored).toBe(0);
  });
});

describe('forwarder: stop', () => {
  it('finishes the request in flight; nothing leaves the queue before its outcome arrived', async () => {
    const h = await setup();
    h.endpoint.hold();
    h.queue.append(makeTestRecords(50));
    h.forwarder.start();
    await waitFor(() => h.endpoint.held === 1);
    let stopped = false;
    const stopping = h.forwarder.stop().then(() => {
      stopped = true;
    });
    await sleep(30);
    expect(stopped).toBe(false);
    expect(h.queue.stats().depth).toBe(50);
    expect(h.endpoint.counts.stored).toBe(50);
    h.endpoint.release();
    await stopping;
    expect(h.queue.stats().depth).toBe(0);
    expect(h.forwarder.state()).toMatchObject({ status: 'stopped', sentRecords: 50 });
  });

  it('stop with a timeout abandons the unanswered request; its records stay queued and are delivered once after restart', async () => {
    const h = await setup();
    const records = makeTestRecords(50);
    h.endpoint.hold();
    h.queue.append(records);
    h.forwarder.start();
    await waitFor(() => h.endpoint.held === 1);
    await h.forwarder.stop({ timeoutMs: 20 });
    expect(h.queue.ids().sort()).toEqual(ids(records));
    expect(h.forwarder.state().sentRecords).toBe(0);
    h.endpoint.release();

    const again = newForwarder(h);
    again.start();
    await waitFor(() => h.queue.stats().depth === 0);
    expect(h.endpoint.counts).toMatchObject({ stored: 50, duplicates: 50 });
    expect(ids(h.endpoint.stored())).toEqual(ids(records));
  });

  it('records stay queued when the cloud goes away while stop() waits for the answer', async () => {
    const h = await setup();
    h.endpoint.hold();
    h.queue.append(makeTestRecords(50));
    h.forwarder.start();
    await waitFor(() => h.endpoint.held === 1);
    const stopping = h.forwarder.stop();
    await h.endpoint.goOffline();
    await stopping;
    expect(h.queue.stats().depth).toBe(50);
  });
});

describe('test support: MemoryQueue', () => {
  it('peeks oldest first, after a sequence number, and skips acknowledged records', () => {
    const queue = new MemoryQueue();
    const records = makeTestRecords(10);
    queue.append(records);
    queue.append(records.slice(0, 2));
    expect(queue.stats().depth).toBe(10);
    const seqs = queue.peek(100).map((item) => item.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(queue.peek(3, 4).map((item) => item.seq)).toEqual([5, 6, 7]);
    queue.acknowledge([records[0]!.id, records[5]!.id, 'unknown']);
    expect(queue.peek(3).map((item) => item.seq)).toEqual([2, 3, 4]);
    expect(queue.peek(3, 4).map((item) => item.seq)).toEqual([5, 7, 8]);
    expect(queue.stats().depth).toBe(8);
  });
});
