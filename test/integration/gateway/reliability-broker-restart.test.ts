import { describe, expect, it } from 'vitest';
import { deliveryReport, Em310Stream, publishWindowed } from '../../support/chirpstack-uplinks.js';
import { pollUntil } from '../../support/gateway-process.js';
import { mosquittoMissing } from '../../support/mosquitto.js';
import { reliabilityRig } from '../../support/reliability-rig.js';

/**
 * Reliability 3: the upstream Mosquitto is restarted (SIGTERM: it saves its persistence; then
 * started again on the same port) twice while a stream of QoS 1 uplinks goes through it. The
 * gateway reconnects to its persistent session, and the messages the broker held for it (taken
 * from the publisher before the restart, and published while the gateway was still reconnecting)
 * reach the cloud's store, each exactly once.
 *
 * The gateway takes messages far faster than a publisher sends them, so it would rarely leave any
 * in its session by itself: before each restart it is frozen (SIGSTOP) for a moment while the
 * publisher goes on, then the broker is stopped, and the gateway thawed while the broker is down.
 */

const messages = Number(process.env.SENSORBRO_RELIABILITY_MESSAGES ?? 6000);
const devices = ['24e124136b520001', '24e124136b520002', '24e124136b520003'];
const seconds = (ms: number) => ms / 1000;

describe.skipIf(mosquittoMissing !== '')(`upstream Mosquitto restarted mid-stream${mosquittoMissing}`, () => {
  const rig = reliabilityRig({
    name: 'broker',
    devices: devices.map((deviceKey, i) => ({ deviceKey, profile: 'milesight-em310-udl', assetId: `container-${i + 1}` })),
    publisherReconnectMs: 100,
  });

  it('takes the QoS 1 messages the broker session held across two broker restarts, each once', async () => {
    const { broker, cloud, gateway } = rig;
    const began = Date.now();
    const stream = new Em310Stream(`broker-${process.pid}-${began}`, devices);
    const restarts: Record<string, unknown>[] = [];
    const restart = async (moment: string) => {
      const ingestedAtStop = await rig.ingested();
      // Frozen, the gateway takes nothing more: what the publisher sends meanwhile stays in its session.
      process.kill(gateway.pid, 'SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await broker.stop();
      const ackedAtStop = ackedCount();
      process.kill(gateway.pid, 'SIGCONT');
      const stoppedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await broker.start();
      const entry = { moment, ackedAtStop, ingestedAtStop, heldForGatewayAtStop: ackedAtStop - ingestedAtStop, downS: seconds(Date.now() - stoppedAt) };
      restarts.push(entry);
      console.log(`[reliability-broker-restart] restart ${JSON.stringify(entry)}`);
      return entry;
    };

    // The stream in two halves, one restart while each is being published (the gateway frozen
    // meanwhile), the second once the gateway has taken messages again after the first.
    const half = Math.floor(messages / 2);
    const publish = (from: number, count: number) => publishWindowed(rig.publisher, count, (index) => stream.message(from + index), { window: 200 });
    const runs: ReturnType<typeof publish>[] = [publish(0, half)];
    const ackedCount = () => runs.reduce((sum, one) => sum + one.ackedCount, 0);
    expect(await pollUntil(() => runs[0]!.ackedCount >= half * 0.4, 60_000, 2), 'publisher progress').toBe(true);
    const first = await restart('while publishing the first half');
    await runs[0]!.done;
    expect(await pollUntil(async () => (await rig.ingested()) >= first.ingestedAtStop + messages * 0.1, 120_000, 20), 'the gateway took messages after restart 1').toBe(true);
    runs.push(publish(half, messages - half));
    expect(await pollUntil(() => runs[1]!.ackedCount >= (messages - half) * 0.1, 60_000, 2), 'publisher progress').toBe(true);
    const second = await restart('while publishing the second half');
    await runs[1]!.done;
    const run = {
      ackedCount: ackedCount(),
      failedCount: runs.reduce((sum, one) => sum + one.failedCount, 0),
      acked: Uint8Array.from([...runs[0]!.acked, ...runs[1]!.acked]),
    };

    const acknowledged = run.ackedCount;
    const drained = await rig.drained(acknowledged, 150_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const status = await gateway.status();
    const report = deliveryReport(stream, run.acked, cloud.stored());
    console.log(
      `[reliability-broker-restart] ${JSON.stringify({
        published: messages,
        acknowledgedByBroker: acknowledged,
        publishFailed: run.failedCount,
        storedAtCloud: cloud.counts.stored,
        duplicatesRefusedByCloud: cloud.counts.duplicates,
        ...report,
        missingSample: report.missingSample.join(',') || undefined,
        gatewayUplinksTaken: status.pipeline.uplinks,
        queueDepthAtEnd: status.queue.depth,
        sources: status.sources,
        drained,
        seconds: seconds(Date.now() - began),
      })}`,
    );
    if (report.missing > 0) console.log(`[reliability-broker-restart] broker log:\n${broker.log().slice(-4000)}\ngateway output:\n${gateway.output().slice(-4000)}`);

    // The premise: the broker held messages for the gateway over each restart.
    expect(first.heldForGatewayAtStop).toBeGreaterThan(0);
    expect(second.heldForGatewayAtStop).toBeGreaterThan(0);
    rig.expectEachAcknowledgedStoredOnce(report, acknowledged, status);
    expect(status.sources.every((source) => source.connected)).toBe(true);
  }, 300_000);
});
