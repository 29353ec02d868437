import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimeSeriesStore } from '../../../cloud/src/store/time-series-store.js';
import { createForwarder } from '../../../gateway/src/forward/forwarder.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import { startEmptyTestCloud } from '../../support/cloud-app.js';
import { MemoryQueue, makeTestRecords } from '../../support/memory-queue.js';

/**
 * The gateway's forwarder against the real cloud: HTTP on loopback, gzip, the gateway token, the
 * real SQLite time-series store. Nothing in between is a stand-in but the gateway's queue.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startCloud() {
  const { app, services, store, logs } = await startEmptyTestCloud({ name: 'cloud-ingest-it', logLevel: 'info' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { url: `http://127.0.0.1:${address.port}`, services, store, logs };
}

function startForwarder(cloudUrl: string, token: string, queue: MemoryQueue, rejected: { record: SensorRecord; reason: string }[], logs: string[]) {
  const forwarder = createForwarder({
    queue,
    cloudUrl,
    token,
    gatewayId: 'gw-test',
    batchSize: 200,
    lingerMs: 0,
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
    onRejected: (record, reason) => void rejected.push({ record, reason }),
    backoff: { baseMs: 5, capMs: 50, unauthorizedMs: 50 },
    idlePollMs: 50,
  });
  cleanups.push(() => forwarder.stop({ timeoutMs: 2000 }));
  forwarder.start();
  return forwarder;
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function storedIds(store: TimeSeriesStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const record of store.raw({ kommune: '0751', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' })) ids.push(record.id);
  return ids.sort();
}

describe('gateway forwarder → cloud ingest', () => {
  it('delivers every record into the store; a replay of the same records is answered duplicate and stores nothing twice', async () => {
    const cloud = await startCloud();
    const { token } = cloud.services.gatewayTokens.issue('0751', 'gw-test');
    const records = makeTestRecords(1000);
    const queue = new MemoryQueue();
    const rejected: { record: SensorRecord; reason: string }[] = [];
    const gatewayLogs: string[] = [];
    queue.append(records);
    const forwarder = startForwarder(cloud.url, token, queue, rejected, gatewayLogs);
    await waitFor(() => queue.stats().depth === 0 && forwarder.state().inFlightRecords === 0);

    expect(forwarder.state()).toMatchObject({ storedRecords: 1000, duplicateRecords: 0, rejectedRecords: 0, status: 'connected' });
    expect(await storedIds(cloud.store)).toEqual(records.map((record) => record.id).sort());
    expect(cloud.services.repositories.gatewayHealth.get('0751', 'gw-test')).toMatchObject({ recordsStoredTotal: 1000 });

    queue.append(records);
    forwarder.notify();
    await waitFor(() => queue.stats().depth === 0 && forwarder.state().inFlightRecords === 0);
    expect(forwarder.state()).toMatchObject({ storedRecords: 1000, duplicateRecords: 1000, rejectedRecords: 0 });
    expect(await storedIds(cloud.store)).toHaveLength(1000);
    expect(rejected).toEqual([]);

    for (const line of [...cloud.logs, ...gatewayLogs]) expect(line).not.toContain(token);
  });

  it('records the cloud rejects (invalid, another kommune) reach the gateway with the reason and leave its queue', async () => {
    const cloud = await startCloud();
    const { token } = cloud.services.gatewayTokens.issue('0751', 'gw-test');
    const records = makeTestRecords(10, { overrides: (i) => (i === 3 ? { kommune: '0101' } : i === 7 ? { distanceMm: -5 } : undefined) });
    const queue = new MemoryQueue();
    const rejected: { record: SensorRecord; reason: string }[] = [];
    queue.append(records);
    const forwarder = startForwarder(cloud.url, token, queue, rejected, []);
    await waitFor(() => queue.stats().depth === 0 && forwarder.state().inFlightRecords === 0);
    expect(forwarder.state()).toMatchObject({ storedRecords: 8, rejectedRecords: 2 });
    expect(rejected.map(({ record }) => record.id)).toEqual([records[3]!.id, records[7]!.id]);
    expect(rejected[0]!.reason).toMatch(/^kommune: /);
    expect(rejected[1]!.reason).toMatch(/^distanceMm: /);
  });

  it('a revoked token leaves the forwarder unauthorized with everything kept queued; a new token delivers it', async () => {
    const cloud = await startCloud();
    const first = cloud.services.gatewayTokens.issue('0751', 'gw-test');
    cloud.services.gatewayTokens.revoke('0751', first.id);
    const queue = new MemoryQueue();
    const records = makeTestRecords(50);
    queue.append(records);
    const refused = startForwarder(cloud.url, first.token, queue, [], []);
    await waitFor(() => refused.state().status === 'unauthorized');
    expect(queue.stats().depth).toBe(50);
    await refused.stop();

    const second = cloud.services.gatewayTokens.issue('0751', 'gw-test');
    const forwarder = startForwarder(cloud.url, second.token, queue, [], []);
    await waitFor(() => queue.stats().depth === 0 && forwarder.state().inFlightRecords === 0);
    expect(await storedIds(cloud.store)).toHaveLength(50);
  });
});
