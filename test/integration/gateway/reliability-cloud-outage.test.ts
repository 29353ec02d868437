import { describe, expect, it } from 'vitest';
import { deliveryReport, Em310Stream, publishWindowed } from '../../support/chirpstack-uplinks.js';
import { pollUntil } from '../../support/gateway-process.js';
import { mosquittoMissing } from '../../support/mosquitto.js';
import { reliabilityRig } from '../../support/reliability-rig.js';

/**
 * Reliability 2: the cloud goes away while the gateway ingests, then comes back. The gateway keeps
 * taking uplinks into its queue, and replays all of it once the cloud answers: zero loss, and zero
 * duplicates in the store (a request whose answer was lost is sent again; the cloud's dedup by
 * record id refuses the repeat).
 *
 * Phases of the cloud: up → lose-answers (stores, then cuts the connection: the gateway never
 * learns the outcome) → up → offline (connection refused) while the stream goes on → 503 with
 * Retry-After → up.
 */

const messages = Number(process.env.SENSORBRO_RELIABILITY_MESSAGES ?? 5000);
const devices = ['24e124136b510001', '24e124136b510002', '24e124136b510003'];
const seconds = (ms: number) => ms / 1000;

describe.skipIf(mosquittoMissing !== '')(`cloud down during ingest, then back${mosquittoMissing}`, () => {
  const rig = reliabilityRig({
    name: 'outage',
    devices: devices.map((deviceKey, i) => ({ deviceKey, profile: 'milesight-em310-udl', assetId: `container-${i + 1}` })),
    config: { batchSize: 250, lingerMs: 20 },
  });

  it('replays everything queued during the outage: zero loss, zero duplicates stored', async () => {
    const { cloud, gateway } = rig;
    const began = Date.now();
    const stream = new Em310Stream(`outage-${process.pid}-${began}`, devices);
    const phases: Record<string, unknown>[] = [];
    const phase = (name: string, extra: Record<string, unknown> = {}) => {
      phases.push({ phase: name, atS: seconds(Date.now() - began), storedAtCloud: rig.deviceRecordsAtCloud(), failedRequests: cloud.counts.failed, ...extra });
    };

    // The publisher paces itself by the broker's acknowledgements. The stream comes in two parts;
    // the second is published once the cloud is offline, however fast the gateway took the first.
    const firstPart = Math.floor(messages / 2);
    const run = publishWindowed(rig.publisher, firstPart, (index) => stream.message(index), { window: 50 });

    // 1. Answers lost: the cloud stores a request's records but the gateway never hears back.
    expect(await pollUntil(() => rig.deviceRecordsAtCloud() >= messages * 0.05, 60_000, 5), 'first records at the cloud').toBe(true);
    let failedBefore = cloud.counts.failed;
    let storedBefore = rig.deviceRecordsAtCloud();
    cloud.setMode('lose-answers');
    phase('lose-answers');
    expect(await pollUntil(() => cloud.counts.failed > failedBefore && rig.deviceRecordsAtCloud() > storedBefore, 60_000, 5), 'a request stored without an answer').toBe(true);
    cloud.setMode('up');
    phase('up');

    // 2. Offline (connection refused) while the stream goes on, until the gateway took all of it.
    expect(await pollUntil(() => rig.deviceRecordsAtCloud() >= messages * 0.15, 60_000, 5), 'cloud progress to 15 %').toBe(true);
    await cloud.goOffline();
    const offlineAt = Date.now();
    const ingestedAtOffline = await rig.ingested();
    phase('offline', { acknowledgedByBroker: run.ackedCount, ingested: ingestedAtOffline });
    const rest = publishWindowed(rig.publisher, messages - firstPart, (index) => stream.message(firstPart + index), { window: 50 });
    await Promise.all([run.done, rest.done]);
    const acked = new Uint8Array(messages);
    acked.set(run.acked);
    acked.set(rest.acked, firstPart);
    const acknowledged = run.ackedCount + rest.ackedCount;
    expect(await pollUntil(async () => (await rig.ingested()) >= acknowledged && Date.now() - offlineAt >= 2000, 120_000, 100), 'the gateway took the whole stream while the cloud was offline').toBe(true);
    const duringOutage = await gateway.status();
    phase('offline, stream taken', { queueDepth: duringOutage.queue.depth, cloudState: duringOutage.cloud.state, ingested: await rig.ingested() });

    // 3. Back, but answering 503 with Retry-After: 1 at first.
    failedBefore = cloud.counts.failed;
    cloud.setMode('unavailable', 1);
    await cloud.goOnline();
    phase('unavailable (503)');
    expect(await pollUntil(() => cloud.counts.failed > failedBefore, 120_000, 20), 'a request answered 503').toBe(true);
    cloud.setMode('up');
    phase('up');

    // 4. Up: the backlog drains.
    const drained = await rig.drained(acknowledged, 150_000);
    phase('drained');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const status = await gateway.status();
    const report = deliveryReport(stream, acked, cloud.stored());
    console.log(`[reliability-cloud-outage] phases ${JSON.stringify(phases)}`);
    console.log(
      `[reliability-cloud-outage] ${JSON.stringify({
        published: messages,
        acknowledgedByBroker: acknowledged,
        publishFailed: run.failedCount + rest.failedCount,
        ingestedWhileOffline: acknowledged - ingestedAtOffline,
        queuedWhileOffline: duringOutage.queue.depth,
        storedAtCloud: cloud.counts.stored,
        duplicatesRefusedByCloud: cloud.counts.duplicates,
        failedRequests: cloud.counts.failed,
        requests: cloud.counts.requests,
        ...report,
        missingSample: report.missingSample.join(',') || undefined,
        queueDepthAtEnd: status.queue.depth,
        drained,
        seconds: seconds(Date.now() - began),
      })}`,
    );

    rig.expectEachAcknowledgedStoredOnce(report, acknowledged, status);
    // The outage held records back in the gateway's queue, and the lost answers came back as duplicates.
    expect(acknowledged - ingestedAtOffline).toBeGreaterThan(0);
    expect(duringOutage.queue.depth).toBeGreaterThan(0);
    expect(cloud.counts.duplicates).toBeGreaterThan(0);
  }, 300_000);
});
