import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { publishSimulation } from '../../../gateway/src/simulator/publisher.js';
import { createSimulator } from '../../../gateway/src/simulator/simulator.js';

interface TestBroker {
  url: string;
  received: string[];
  close(): Promise<void>;
}

const open: TestBroker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((broker) => broker.close()));
});

/** An aedes broker on a free loopback port, recording the topics published to it. */
async function startBroker(options: AedesOptions = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker(options);
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const received: string[] = [];
  broker.on('publish', (packet, client) => {
    if (client) received.push(packet.topic);
  });
  const handle: TestBroker = {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        // the broker closes its clients' connections, then the server can close
        broker.close(() => server.close(() => resolve()));
      }),
  };
  open.push(handle);
  return handle;
}

const simulator = () =>
  createSimulator({
    seed: 'publish',
    devices: { 'milesight-em310-udl': 5, 'dragino-lds02': 5, 'elvaco-cmi4110': 2 },
    networkServer: 'chirpstack',
    applicationId: 'demo-app',
  });

describe('publishSimulation', () => {
  it('publishes a count of messages at the rate, each acknowledged by the broker', async () => {
    const broker = await startBroker({
      authenticate: (_client, username, password, done) => done(null, username === 'sim' && password?.toString() === 'secret'),
    });
    const result = await publishSimulation({ simulator: simulator(), mqttUrl: broker.url, username: 'sim', password: 'secret', ratePerSecond: 200, count: 60 });
    expect(result).toMatchObject({ published: 60, acknowledged: 60, failed: 0, stoppedBy: 'count' });
    // 59 gaps at 200/s: 0.295 s at least
    expect(result.elapsedS).toBeGreaterThan(0.25);
    expect(result.elapsedS).toBeLessThan(5);
    expect(broker.received).toHaveLength(60);
    for (const topic of broker.received) expect(topic).toMatch(/^application\/demo-app\/device\/[0-9a-f]{16}\/event\/up$/);
  });

  it('stops by itself after its duration', async () => {
    const broker = await startBroker();
    const result = await publishSimulation({ simulator: simulator(), mqttUrl: broker.url, ratePerSecond: 40, durationS: 0.5 });
    expect(result.stoppedBy).toBe('duration');
    expect(result.published).toBeGreaterThanOrEqual(10); // 21 at most: one token to start, 40/s for 0.5 s
    expect(result.published).toBeLessThanOrEqual(22);
    expect(result.acknowledged).toBe(result.published);
  });

  it('stops when aborted', async () => {
    const broker = await startBroker();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await publishSimulation({ simulator: simulator(), mqttUrl: broker.url, ratePerSecond: 50, count: 10_000, signal: controller.signal });
    expect(result.stoppedBy).toBe('abort');
    expect(result.published).toBeGreaterThan(5);
    expect(result.published).toBeLessThan(40);
    expect(result.acknowledged).toBe(result.published);
  });

  it('replays uplinks already made, e.g. a past day, until they run out', async () => {
    const broker = await startBroker();
    const start = Date.parse('2025-02-03T00:00:00Z');
    const past = createSimulator({ seed: 'replay', devices: { 'milesight-em310-udl': 2 }, networkServer: 'tts', applicationId: 'demo', startTime: start });
    const result = await publishSimulation({ simulator: past.pastUplinks(start, start + 86_400_000), mqttUrl: broker.url, ratePerSecond: 2000 });
    expect(result).toMatchObject({ published: 96, acknowledged: 96, failed: 0, stoppedBy: 'exhausted' });
    expect(broker.received).toHaveLength(96);
  });

  it('keeps at most maxInFlight messages unacknowledged, and counts what was never acknowledged', async () => {
    // a broker that never lets a publish through, so never acknowledges it
    const broker = await startBroker({ authorizePublish: () => undefined });
    const result = await publishSimulation({
      simulator: simulator(),
      mqttUrl: broker.url,
      ratePerSecond: 1000,
      durationS: 0.4,
      maxInFlight: 5,
      drainTimeoutMs: 200,
    });
    expect(result).toMatchObject({ published: 5, acknowledged: 0, failed: 5, stoppedBy: 'duration' });
  });

  it('fails when there is no broker, and refuses a run without an end', async () => {
    const broker = await startBroker();
    const url = broker.url;
    await broker.close();
    open.length = 0;
    await expect(publishSimulation({ simulator: simulator(), mqttUrl: url, ratePerSecond: 10, count: 1, connectTimeoutMs: 2000 })).rejects.toThrow();
    await expect(publishSimulation({ simulator: simulator(), mqttUrl: url, ratePerSecond: 10 })).rejects.toThrow(/durationS or count/);
    await expect(publishSimulation({ simulator: simulator(), mqttUrl: 'http://x', ratePerSecond: 10, count: 1 })).rejects.toThrow(/mqttUrl/);
  });
});
