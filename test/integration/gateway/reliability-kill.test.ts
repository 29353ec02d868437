import { describe, expect, it } from 'vitest';
import { deliveryReport, Em310Stream, publishWindowed } from '../../support/chirpstack-uplinks.js';
import { gatewayRunner, pollUntil } from '../../support/gateway-process.js';
import { mosquittoMissing } from '../../support/mosquitto.js';
import { reliabilityRig } from '../../support/reliability-rig.js';

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
  const rig = reliabilityRig({
    name: 'kill',
    devices: devices.map((deviceKey, i) => ({ deviceKey, profile: 'milesight-em310-udl', assetId: `container-${i + 1}`, params: { emptyDistanceMm: 5000 } })),
    config: { batchSize: 200, lingerMs: 10 },
  });

  it('stores every uplink the broker acknowledged exactly once, across four SIGKILLs', async () => {
    const { cloud } = rig;
    const began = Date.now();
    const { runner, why } = gatewayRunner();
    const stream = new Em310Stream(`kill-${process.pid}-${began}`, devices);
    const expected = new Uint8Array(messages);

    const run = publishWindowed(rig.publisher, messages, (index) => stream.message(index), { window: 200 });
    const kills: Record<string, number | undefined>[] = [];
    const killAndRestart = async (moment: string) => {
      const before = await rig.gateway.status().catch(() => undefined);
      const exit = await rig.gateway.kill9();
      expect(exit.signal).toBe('SIGKILL');
      kills.push({ acknowledgedByBroker: run.ackedCount, storedAtCloud: cloud.counts.stored, processedByThisRun: before?.pipeline.uplinks, queueDepth: before?.queue.depth });
      console.log(`[reliability-kill] SIGKILL ${moment}: ${JSON.stringify(kills.at(-1))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await rig.startGateway();
    };

    // Kill 1 while the publisher is still publishing at full rate; kills 2–4 while the restarted
    // gateway replays the broker's backlog (or takes the rest of the stream) and forwards to the cloud.
    expect(await pollUntil(() => run.ackedCount >= messages * 0.25, 60_000, 2), 'publisher progress').toBe(true);
    await killAndRestart('1, while publishing');
    for (const [n, share] of [[2, 0.35], [3, 0.6], [4, 0.85]] as const) {
      expect(await pollUntil(() => rig.deviceRecordsAtCloud() >= messages * share, 120_000, 5), `cloud progress to ${share * 100} %`).toBe(true);
      await killAndRestart(`${n}, while replaying the backlog and forwarding`);
    }

    await run.done;
    for (let index = 0; index < messages; index++) expected[index] = run.acked[index]!;
    const acknowledged = run.ackedCount;
    const drained = await rig.drained(acknowledged, 120_000);
    // A late duplicate would come now, if at all.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const status = await rig.gateway.status();
    const report = deliveryReport(stream, expected, cloud.stored());
    const summary = {
      runner: `${runner} (${why})`,
      published: messages,
      acknowledgedByBroker: acknowledged,
      publishFailed: run.failedCount,
      storedAtCloud: cloud.counts.stored,
      streamRecordsAtCloud: rig.deviceRecordsAtCloud(),
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

    rig.expectEachAcknowledgedStoredOnce(report, acknowledged, status);

    // And it stops in order on SIGTERM.
    expect(await rig.gateway.stop()).toEqual({ code: 0, signal: null });
  }, 300_000);
});
