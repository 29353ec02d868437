import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryReport, Em310Stream, publishWindowed } from '../../support/chirpstack-uplinks.js';
import {
  type GatewayProcess,
  gatewayConfigYaml,
  gatewayRunner,
  killAllGatewayProcesses,
  pollUntil,
  probeDevice,
  startGatewayProcess,
  waitUntilSubscribed,
} from '../../support/gateway-process.js';
import { type IngestEndpoint, startIngestEndpoint } from '../../support/ingest-endpoint.js';
import { type Mosquitto, mosquittoMissing, startMosquitto } from '../../support/mosquitto.js';

/**
 * Reliability 1: `kill -9` of the gateway while it ingests at a high rate, then a restart on the
 * same configuration and storage. The chain under test: the publisher's PUBACK from the broker
 * means the message is in the gateway's persistent session (clean: false, QoS 1, stable client
 * id); the gateway acknowledges it to the broker only after committing its records to the SQLite
 * queue; the forwarder drops a record from the queue only after the cloud answered for its id.
 * So every acknowledged uplink must end up in the cloud's store exactly once.
 */

const messages = Number(process.env.SENSORBRO_RELIABILITY_MESSAGES ?? 10_000);
const devices = ['24e124136b500001', '24e124136b500002', '24e124136b500003', '24e124136b500004'];

describe.skipIf(mosquittoMissing !== '')(`gateway killed with SIGKILL mid-stream and restarted${mosquittoMissing}`, () => {
  let dir: string;
  let broker: Mosquitto;
  let cloud: IngestEndpoint;
  let publisher: MqttClient;
  let configFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sensorbro-reliability-kill-'));
    broker = await startMosquitto();
    cloud = await startIngestEndpoint({ token: 'test-token', gatewayId: 'gw-kill', kommune: '0751' });
    configFile = join(dir, 'gateway.yaml');
    writeFileSync(
      configFile,
      gatewayConfigYaml({
        gatewayId: 'gw-kill',
        storageDir: join(dir, 'data'),
        mqttUrl: broker.url,
        clientId: 'gw-kill-chirpstack',
        cloudUrl: cloud.url,
        batchSize: 200,
        lingerMs: 10,
        devices: devices.map((deviceKey, i) => ({ deviceKey, profile: 'milesight-em310-udl', assetId: `container-${i + 1}`, params: { emptyDistanceMm: 5000 } })),
      }),
    );
    publisher = await connectAsync(broker.url, { clientId: 'network-server-kill', clean: true, reconnectPeriod: 200 });
  }, 60_000);

  afterAll(async () => {
    await killAllGatewayProcesses();
    await publisher?.endAsync(true);
    await cloud?.close();
    await broker?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores every uplink the broker acknowledged exactly once, across four SIGKILLs', async () => {
    const began = Date.now();
    const { runner, why } = gatewayRunner();
    const stream = new Em310Stream(`kill-${process.pid}-${began}`, devices);
    const expected = new Uint8Array(messages);
    let current: GatewayProcess = await startGatewayProcess(configFile);
    await waitUntilSubscribed(current, (probe) => publisher.publishAsync(probe.topic, probe.payload, { qos: 1 }));

    const run = publishWindowed(publisher, messages, (index) => stream.message(index), { window: 200 });
    const kills: Record<string, number | undefined>[] = [];
    const killAndRestart = async (moment: string) => {
      const before = await current.status().catch(() => undefined);
      const exit = await current.kill9();
      expect(exit.signal).toBe('SIGKILL');
      kills.push({ acknowledgedByBroker: run.ackedCount, storedAtCloud: cloud.counts.stored, processedByThisRun: before?.pipeline.uplinks, queueDepth: before?.queue.depth });
      console.log(`[reliability-kill] SIGKILL ${moment}: ${JSON.stringify(kills.at(-1))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      current = await startGatewayProcess(configFile);
    };

    // Kill 1 while the publisher is still publishing at full rate; kills 2–4 while the restarted
    // gateway replays the broker's backlog (or takes the rest of the stream) and forwards to the cloud.
    expect(await pollUntil(() => run.ackedCount >= messages * 0.25, 60_000, 2), 'publisher progress').toBe(true);
    await killAndRestart('1, while publishing');
    const streamStored = () => cloud.stored().filter((record) => devices.includes(record.deviceId)).length;
    for (const [n, share] of [[2, 0.35], [3, 0.6], [4, 0.85]] as const) {
      expect(await pollUntil(() => streamStored() >= messages * share, 120_000, 5), `cloud progress to ${share * 100} %`).toBe(true);
      await killAndRestart(`${n}, while replaying the backlog and forwarding`);
    }

    await run.done;
    for (let index = 0; index < messages; index++) expected[index] = run.acked[index]!;
    const acknowledged = run.ackedCount;
    const drained = await pollUntil(async () => streamStored() >= acknowledged && (await current.status()).queue.depth === 0, 120_000, 100);
    // A late duplicate would come now, if at all.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const status = await current.status();
    const report = deliveryReport(stream, expected, cloud.stored());
    const summary = {
      runner: `${runner} (${why})`,
      published: messages,
      acknowledgedByBroker: acknowledged,
      publishFailed: run.failedCount,
      storedAtCloud: cloud.counts.stored,
      streamRecordsAtCloud: streamStored(),
      duplicatesRefusedByCloud: cloud.counts.duplicates,
      rejectedByCloud: cloud.counts.rejected,
      cloudRequests: cloud.counts.requests,
      ...report,
      missingSample: report.missingSample.join(',') || undefined,
      queueDepthAtEnd: status.queue.depth,
      deadLetters: status.deadLetters.total,
      drained,
      seconds: (Date.now() - began) / 1000,
    };
    console.log(`[reliability-kill] ${JSON.stringify(summary)}`);

    expect(report).toMatchObject({ missing: 0, unexpected: 0, repeated: 0, wrongValue: 0 });
    expect(report.stored).toBe(acknowledged);
    expect(cloud.counts.rejected).toBe(0);
    expect(status.queue).toMatchObject({ depth: 0, droppedAtQuota: 0 });
    // The only dead letters are the subscription probes.
    expect(Object.keys(status.deadLetters.byDevice)).toEqual([probeDevice]);
    expect(current.alive()).toBe(true);

    // And it stops in order on SIGTERM.
    expect(await current.stop()).toEqual({ code: 0, signal: null });
  }, 300_000);
});
