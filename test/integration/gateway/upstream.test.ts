import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, connect as mqttConnect, type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceEvent, Uplink } from '../../../firmware-profiles/src/index.js';
import type { RawMessage, UplinkSink } from '../../../gateway/src/core/uplink.js';
import { chirpstackSource } from '../../../gateway/src/ingest/chirpstack/source.js';
import type { MqttUpstreamSource, UpstreamOptions } from '../../../gateway/src/ingest/mqtt-upstream.js';
import { ttsSource } from '../../../gateway/src/ingest/tts/source.js';
import { type Mosquitto, mosquittoBinary, mosquittoMissing, startMosquitto } from '../../support/mosquitto.js';

const envelopes = (
  JSON.parse(readFileSync(new URL('../../../../shared/vectors/decoder-vectors.json', import.meta.url), 'utf8')) as {
    envelopes: Record<'chirpstack-v4-up' | 'tts-v3-up', { topic: string; json: Record<string, unknown> }>;
  }
).envelopes;
const chirpstack = envelopes['chirpstack-v4-up'];
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A ChirpStack uplink of the shared vector, told apart by its frame counter. */
function uplink(fCnt: number): { topic: string; payload: string } {
  return { topic: chirpstack.topic, payload: JSON.stringify({ ...chirpstack.json, fCnt }) };
}

/** Polls until the condition holds; the bound only keeps a broken test from hanging. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Records what it is handed; `hold()` makes accept() wait until `release()`. */
class TestSink implements UplinkSink {
  readonly calls: number[] = [];
  readonly accepted: Uplink[] = [];
  readonly rejected: { raw: RawMessage; reason: string; deviceKey?: string }[] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async accept(uplink: Uplink): Promise<void> {
    this.calls.push(uplink.radio?.fCnt ?? -1);
    await this.gate;
    this.accepted.push(uplink);
  }

  async reject(raw: RawMessage, reason: string, deviceKey?: string): Promise<void> {
    this.rejected.push({ raw, reason, ...(deviceKey ? { deviceKey } : {}) });
  }

  fCnts(): number[] {
    return this.accepted.map((up) => up.radio?.fCnt ?? -1);
  }
}

/** The MQTT client a source makes, with the packets it sent and received. */
interface Probe {
  client: MqttClient | undefined;
  sent: Packet[];
  received: Packet[];
}

function probe(): Probe & { connect: NonNullable<UpstreamOptions['connect']> } {
  const result: Probe & { connect: NonNullable<UpstreamOptions['connect']> } = {
    client: undefined,
    sent: [],
    received: [],
    connect: (url: string, options: IClientOptions) => {
      const client = mqttConnect(url, options);
      client.on('packetsend', (packet) => result.sent.push(packet));
      client.on('packetreceive', (packet) => result.received.push(packet));
      result.client = client;
      return client;
    },
  };
  return result;
}

const count = (packets: Packet[], cmd: Packet['cmd']) => packets.filter((packet) => packet.cmd === cmd).length;

describe(`upstream MQTT sources against a real Mosquitto${mosquittoMissing}`, { skip: !mosquittoBinary }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  }, 60_000);

  async function broker(options?: Parameters<typeof startMosquitto>[0]): Promise<Mosquitto> {
    const started = await startMosquitto(options);
    cleanup.push(() => started.dispose());
    return started;
  }

  async function publisher(mosquitto: Mosquitto, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await connectAsync(mosquitto.url, { clientId: `publisher-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 100, ...options });
    cleanup.push(() => client.endAsync(true));
    return client;
  }

  function source(mosquitto: Mosquitto, clientId: string, extra: Partial<UpstreamOptions> = {}): MqttUpstreamSource {
    const made = chirpstackSource({ url: mosquitto.url, clientId, maxPayloadBytes: 4096, logger, reconnect: { initialMs: 100, maxMs: 1000 }, ...extra });
    cleanup.push(() => made.stop());
    return made;
  }

  /** Started and subscribed: messages published from now on are in its session. */
  async function started(made: MqttUpstreamSource, sink: UplinkSink, watch: Probe, subacks = 1): Promise<void> {
    await made.start(sink);
    await waitFor('the subscription', () => count(watch.received, 'suback') >= subacks);
  }

  it('acknowledges a message only after the sink resolved; unresolved ones come again after a hard kill', async () => {
    const mosquitto = await broker();
    const pub = await publisher(mosquitto);

    const held = new TestSink();
    held.hold();
    const watch1 = probe();
    const first = source(mosquitto, 'gateway-ack', { connect: watch1.connect });
    await started(first, held, watch1);

    cleanup.push(async () => held.release());

    for (let fCnt = 1; fCnt <= 5; fCnt++) await pub.publishAsync(uplink(fCnt).topic, uplink(fCnt).payload, { qos: 1 });
    // The messages in flight are handed on together (so the pipeline can commit them as one).
    await waitFor('all five messages in the sink', () => held.calls.length === 5);
    expect(held.calls).toEqual([1, 2, 3, 4, 5]);
    expect(count(watch1.sent, 'puback')).toBe(0);

    watch1.client!.end(true); // the gateway's connection dies before the sink resolved
    await waitFor('the connection to close', () => !watch1.client!.connected);
    held.release();
    await waitFor('the held messages to be given up', () => first.counters.unacknowledged >= 5);
    expect(count(watch1.sent, 'puback')).toBe(0);
    // Durable downstream but unacknowledged upstream.
    expect(held.fCnts()).toEqual([1, 2, 3, 4, 5]);

    const sink = new TestSink();
    const watch2 = probe();
    const second = source(mosquitto, 'gateway-ack', { connect: watch2.connect });
    await second.start(sink);
    await waitFor('redelivery of all five', () => sink.accepted.length >= 5);
    expect(sink.fCnts()).toEqual([1, 2, 3, 4, 5]);
    await waitFor('five acknowledgements', () => count(watch2.sent, 'puback') === 5);
    await second.stop();

    // Acknowledged means gone from the session: the next client of it gets only what came later.
    await pub.publishAsync(uplink(6).topic, uplink(6).payload, { qos: 1 });
    const after = new TestSink();
    const third = source(mosquitto, 'gateway-ack');
    await third.start(after);
    await waitFor('the message published after', () => after.accepted.length >= 1);
    expect(after.fCnts()).toEqual([6]);
  });

  it('acknowledges in arrival order: a message durable early waits for the ones before it', async () => {
    const mosquitto = await broker();
    const pub = await publisher(mosquitto);
    /** Holds fCnt 1 until released; the others resolve at once. */
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const accepted: number[] = [];
    const sink: UplinkSink = {
      async accept(up: Uplink) {
        if (up.radio?.fCnt === 1) await firstHeld;
        accepted.push(up.radio?.fCnt ?? -1);
      },
      async reject() {},
    };
    cleanup.push(async () => releaseFirst());
    const watch = probe();
    const gateway = source(mosquitto, 'gateway-order', { connect: watch.connect });
    await started(gateway, sink, watch);

    for (let fCnt = 1; fCnt <= 5; fCnt++) await pub.publishAsync(uplink(fCnt).topic, uplink(fCnt).payload, { qos: 1 });
    await waitFor('the four later messages durable', () => accepted.length === 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(count(watch.sent, 'puback')).toBe(0);

    releaseFirst();
    await waitFor('five acknowledgements', () => count(watch.sent, 'puback') === 5);
    const ids = (packets: Packet[], cmd: 'publish' | 'puback') =>
      packets.filter((packet) => packet.cmd === cmd).map((packet) => (packet as { messageId?: number }).messageId);
    expect(ids(watch.sent, 'puback')).toEqual(ids(watch.received, 'publish'));
    expect(accepted).toEqual([2, 3, 4, 5, 1]);
    expect(gateway.counters.unacknowledged).toBe(0);
  });

  it('hands on at most maxInFlight unacknowledged messages, then the rest once those are acknowledged', async () => {
    const mosquitto = await broker();
    const pub = await publisher(mosquitto);
    const held = new TestSink();
    held.hold();
    cleanup.push(async () => held.release());
    const watch = probe();
    const gateway = source(mosquitto, 'gateway-window', { connect: watch.connect, maxInFlight: 3 });
    await started(gateway, held, watch);

    for (let fCnt = 1; fCnt <= 10; fCnt++) await pub.publishAsync(uplink(fCnt).topic, uplink(fCnt).payload, { qos: 1 });
    await waitFor('three messages in the sink', () => held.calls.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(held.calls).toEqual([1, 2, 3]);

    held.release();
    await waitFor('ten acknowledgements', () => count(watch.sent, 'puback') === 10);
    expect(held.fCnts()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(gateway.counters.unacknowledged).toBe(0);
  });

  it('after a sink failure acknowledges nothing from that message on, reconnects and takes them again', async () => {
    const mosquitto = await broker();
    const pub = await publisher(mosquitto);
    let failed = false;
    const accepted: number[] = [];
    const sink: UplinkSink = {
      async accept(up: Uplink) {
        const fCnt = up.radio?.fCnt ?? -1;
        if (fCnt === 3 && !failed) {
          failed = true;
          throw new Error('disk full');
        }
        accepted.push(fCnt);
      },
      async reject() {},
    };
    // PUBLISH (with its fCnt) and PUBACK packets, by connection.
    let connection = 0;
    const publishes: { connection: number; messageId?: number; fCnt: number }[] = [];
    const pubacks: { connection: number; messageId?: number }[] = [];
    const watch = probe();
    const gateway = source(mosquitto, 'gateway-sink-failure', {
      connect: (url, options) => {
        const client = watch.connect(url, options);
        client.on('connect', () => connection++);
        client.on('packetreceive', (packet) => {
          if (packet.cmd === 'publish') publishes.push({ connection, messageId: packet.messageId, fCnt: (JSON.parse(packet.payload.toString()) as { fCnt: number }).fCnt });
        });
        client.on('packetsend', (packet) => {
          if (packet.cmd === 'puback') pubacks.push({ connection, messageId: packet.messageId });
        });
        return client;
      },
    });
    await started(gateway, sink, watch);

    for (let fCnt = 1; fCnt <= 6; fCnt++) await pub.publishAsync(uplink(fCnt).topic, uplink(fCnt).payload, { qos: 1 });
    await waitFor('all six durable', () => [1, 2, 3, 4, 5, 6].every((fCnt) => accepted.includes(fCnt)));
    const ackedFCnts = (on: (connection: number) => boolean) =>
      publishes.filter((p) => on(p.connection) && pubacks.some((a) => a.connection === p.connection && a.messageId === p.messageId)).map((p) => p.fCnt);
    await waitFor('3–6 acknowledged on a later connection', () => [3, 4, 5, 6].every((fCnt) => ackedFCnts((c) => c > 1).includes(fCnt)));

    expect(failed).toBe(true);
    // On the failed connection nothing from the failed message on was acknowledged.
    expect(ackedFCnts((c) => c === 1).filter((fCnt) => fCnt >= 3)).toEqual([]);
    expect(accepted.filter((fCnt) => fCnt === 3)).toEqual([3]);
    expect(gateway.counters.unacknowledged).toBeGreaterThanOrEqual(4);
  });

  it('survives a broker restart mid-stream: the QoS 1 messages queued in the session arrive, none lost', async () => {
    const mosquitto = await broker();
    const pub = await publisher(mosquitto, { clean: false, clientId: 'publisher-restart' });
    const sink = new TestSink();
    const watch = probe();
    const gateway = source(mosquitto, 'gateway-restart', { connect: watch.connect });
    await started(gateway, sink, watch);

    cleanup.push(async () => sink.release());
    const total = 300;
    const publish = (fCnt: number) => pub.publishAsync(uplink(fCnt).topic, uplink(fCnt).payload, { qos: 1 });
    await publish(1);
    await waitFor('the first message in the sink', () => sink.accepted.length === 1);

    // The sink falls behind: a backlog builds up in the broker session, then the broker restarts
    // (SIGTERM: it saves the session with its queue) while the gateway holds a message unacknowledged.
    sink.hold();
    for (let fCnt = 2; fCnt <= 150; fCnt++) await publish(fCnt);
    await waitFor('messages held in the sink', () => sink.calls.length >= 2);
    await mosquitto.restart();
    // Published while the gateway reconnects or works through the backlog: queued in its session too.
    for (let fCnt = 151; fCnt <= total; fCnt++) await publish(fCnt);
    sink.release();

    const unique = () => new Set(sink.fCnts());
    await waitFor(`all ${total} uplinks`, () => unique().size === total, 45_000);
    expect([...unique()]).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // At-least-once: what the client had read from the dead connection (the messages in the sink,
    // at most Mosquitto's max_inflight_messages, 20) may come twice; their PUBACKs were lost.
    const duplicates = sink.accepted.length - total;
    expect(duplicates).toBeLessThanOrEqual(20);
    expect(gateway.state()).toEqual({ connected: true, counters: expect.objectContaining({ messages: expect.any(Number), unacknowledged: expect.any(Number) }) });
  });

  it('subscribes again when the broker has lost the session', async () => {
    const mosquitto = await broker();
    const pub = await publisher(mosquitto);
    const sink = new TestSink();
    const watch = probe();
    const gateway = source(mosquitto, 'gateway-resubscribe', { connect: watch.connect });
    await started(gateway, sink, watch);

    await mosquitto.stop();
    rmSync(join(mosquitto.dir, 'data'), { recursive: true, force: true }); // the broker forgets every session
    await mosquitto.start();
    await waitFor('the new subscription', () => count(watch.received, 'suback') === 2);

    await pub.publishAsync(uplink(42).topic, uplink(42).payload, { qos: 1 });
    await waitFor('the uplink', () => sink.accepted.length === 1);
    expect(sink.fCnts()).toEqual([42]);
  });

  it('logs in with username and password; bad input is rejected with its reason and counted, good input accepted', async () => {
    const mosquitto = await broker({ users: { gateway: 'gw-secret', chirpstack: 'ns-secret' } });
    const pub = await publisher(mosquitto, { username: 'chirpstack', password: 'ns-secret' });
    const sink = new TestSink();
    const events: DeviceEvent[] = [];
    const watch = probe();
    const gateway = source(mosquitto, 'gateway-auth', {
      connect: watch.connect,
      username: 'gateway',
      password: 'gw-secret',
      maxPayloadBytes: 1024,
      onDeviceEvent: (event) => void events.push(event),
    });
    await started(gateway, sink, watch);

    const statusTopic = chirpstack.topic.replace(/\/up$/, '/status');
    await pub.publishAsync(chirpstack.topic, '{"not json', { qos: 1 });
    await pub.publishAsync(chirpstack.topic, JSON.stringify({ ...chirpstack.json, padding: 'x'.repeat(2000) }), { qos: 1 });
    await pub.publishAsync(chirpstack.topic, JSON.stringify({ ...chirpstack.json, fCnt: 'three' }), { qos: 1 });
    await pub.publishAsync(statusTopic, JSON.stringify({ deviceInfo: { devEui: '0101010101010101' }, margin: 5, batteryLevel: 50 }), { qos: 1 });
    await pub.publishAsync(uplink(9).topic, uplink(9).payload, { qos: 1 });
    await waitFor('all five messages handed on', () => count(watch.sent, 'puback') === 5);

    expect(sink.rejected.map((entry) => entry.reason)).toEqual([
      expect.stringMatching(/^chirpstack up: not JSON/),
      expect.stringMatching(/^chirpstack up: payload of \d+ bytes exceeds the limit of 1024 bytes$/),
      expect.stringMatching(/^chirpstack up: unexpected shape: fCnt/),
    ]);
    expect(sink.rejected.every((entry) => entry.deviceKey === '0101010101010101' && entry.raw.source === 'chirpstack' && entry.raw.address === chirpstack.topic)).toBe(true);
    expect(Buffer.from(sink.rejected[0]!.raw.payload).toString()).toBe('{"not json');
    expect(events).toMatchObject([{ kind: 'status', deviceKey: '0101010101010101', batteryPercent: 50, marginDb: 5 }]);
    expect(sink.fCnts()).toEqual([9]);
    expect(gateway.counters).toEqual({ messages: 5, uplinks: 1, rejected: 3, deviceEvents: 1, unacknowledged: 0 });
  });

  it('reports a refused login on the status page', async () => {
    const mosquitto = await broker({ users: { gateway: 'gw-secret' } });
    const gateway = source(mosquitto, 'gateway-badauth', { username: 'gateway', password: 'wrong' });
    await gateway.start(new TestSink());
    await waitFor('the refusal', () => /refused/i.test(gateway.state().detail ?? ''));
    expect(gateway.state().connected).toBe(false);
    expect(gateway.state().detail).not.toContain('wrong');
  });

  it('takes The Things Stack v3 uplinks from a tenant application topic', async () => {
    const mosquitto = await broker();
    const pub = await publisher(mosquitto);
    const sink = new TestSink();
    const watch = probe();
    const tts = ttsSource({ url: mosquitto.url, clientId: 'gateway-tts', maxPayloadBytes: 4096, logger, applicationId: 'app1', tenant: 'ttn', connect: watch.connect });
    cleanup.push(() => tts.stop());
    await started(tts, sink, watch);

    const vector = envelopes['tts-v3-up'];
    await pub.publishAsync(vector.topic, JSON.stringify(vector.json), { qos: 1 });
    await pub.publishAsync('v3/app1@ttn/devices/dev1/up', '[]', { qos: 1 });
    await waitFor('both messages', () => sink.accepted.length + sink.rejected.length === 2);
    expect(sink.accepted).toMatchObject([{ source: 'tts', deviceKey: '0004a30b001c0530', fPort: 1, radio: { rssiDbm: -35, snrDb: 5, fCnt: 1 } }]);
    expect(sink.rejected).toMatchObject([{ reason: expect.stringMatching(/^tts up: unexpected shape/) }]);
  });
});
