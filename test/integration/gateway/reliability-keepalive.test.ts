import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Uplink } from '../../../firmware-profiles/src/index.js';
import type { RawMessage, UplinkSink } from '../../../gateway/src/core/uplink.js';
import { chirpstackSource } from '../../../gateway/src/ingest/chirpstack/source.js';
import type { MqttUpstreamSource } from '../../../gateway/src/ingest/mqtt-upstream.js';
import { Em310Stream, publishWindowed } from '../../support/chirpstack-uplinks.js';
import { pollUntil } from '../../support/gateway-process.js';
import { type Mosquitto, mosquittoMissing, startMosquitto } from '../../support/mosquitto.js';

/**
 * Reliability 4b (found by the 10⁵-message test): a backlog in the gateway's broker session that
 * takes longer than the MQTT keepalive to work through. The gateway acknowledges each message only
 * after its commit, so the broker's PINGRESP waits behind the PUBLISH packets ahead of it while the
 * sink is the bottleneck; the connection must survive that. A dropped connection makes the broker redeliver
 * the message in progress: a second dead letter for it, a second count, and a reconnect pause.
 * Here the keepalive is 2 s (the gateway's is 30 s: the same happens after 45 s of backlog).
 */

const clientId = 'gw-keepalive-chirpstack';
const backlog = Number(process.env.SENSORBRO_RELIABILITY_BACKLOG ?? 4000);
const devices = ['24e124136b540001'];

/** Takes ~1 ms per uplink, one after another (a sink slower than the broker); counts what it was handed, per message. */
class SlowSink implements UplinkSink {
  readonly seen = new Map<string, number>();
  handed = 0;
  private tail: Promise<unknown> = Promise.resolve();
  async accept(uplink: Uplink): Promise<void> {
    const turn = this.tail.then(() => new Promise((resolve) => setTimeout(resolve, 1)));
    this.tail = turn;
    await turn;
    this.handed++;
    const key = uplink.messageId ?? '';
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
  }
  async reject(_raw: RawMessage, _reason: string): Promise<void> {
    this.handed++;
  }
}

describe.skipIf(mosquittoMissing !== '')(`a broker-session backlog longer than the keepalive${mosquittoMissing}`, () => {
  let broker: Mosquitto;
  let source: MqttUpstreamSource | undefined;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

  beforeAll(async () => {
    broker = await startMosquitto();
  });

  afterAll(async () => {
    await source?.stop();
    await broker?.dispose();
  });

  it('is worked through on one connection, each message handed on once', async () => {
    const began = Date.now();
    const options = { url: broker.url, clientId, maxPayloadBytes: 64 * 1024, logger, keepaliveS: 2 };
    // The session and its subscription, then the gateway goes away.
    const first = chirpstackSource(options);
    source = first;
    await first.start(new SlowSink());
    expect(await pollUntil(() => first.state().connected, 10_000), 'connected').toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the SUBACK
    await first.stop();

    // The backlog: queued in the session while the gateway is away.
    const publisher = await connectAsync(broker.url, { clientId: 'network-server-keepalive', clean: true });
    const stream = new Em310Stream(`keepalive-${began}`, devices);
    const run = publishWindowed(publisher, backlog, (index) => stream.message(index), { window: 500 });
    await run.done;
    await publisher.endAsync();
    expect(run.ackedCount).toBe(backlog);

    const connectionsBefore = broker.log().split('\n').filter((line) => line.includes(` as ${clientId} `)).length;
    const sink = new SlowSink();
    const second = chirpstackSource(options);
    source = second;
    const drainStarted = Date.now();
    await second.start(sink);
    const drained = await pollUntil(() => sink.seen.size >= backlog, 120_000, 20);
    const drainS = (Date.now() - drainStarted) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const connections = broker.log().split('\n').filter((line) => line.includes(` as ${clientId} `)).length - connectionsBefore;
    const handedTwice = [...sink.seen.values()].filter((times) => times > 1).length;
    console.log(
      `[reliability-keepalive] ${JSON.stringify({ backlog, keepaliveS: 2, drainS, drained, connections, handed: sink.handed, distinct: sink.seen.size, handedTwice, counters: second.counters })}`,
    );

    expect(drained).toBe(true);
    expect(drainS).toBeGreaterThan(3); // the premise: the backlog outlasts 1.5 × keepalive
    // One connection for the whole backlog: no "Keepalive timeout", no redelivery.
    expect(connections).toBe(1);
    expect(handedTwice).toBe(0);
    expect(sink.handed).toBe(backlog);
    expect(second.counters.unacknowledged).toBe(0);
  }, 180_000);
});
