import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, connect as mqttConnect, type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Uplink } from '../../../firmware-profiles/src/index.js';
import type { RawMessage, UplinkSink } from '../../../gateway/src/core/uplink.js';
import type { DeviceCredential } from '../../../gateway/src/ingest/broker/logins.js';
import { hashPassword } from '../../../gateway/src/ingest/broker/passwords.js';
import { type BrokerSource, type BrokerSourceOptions, brokerSource } from '../../../gateway/src/ingest/broker/source.js';
import { waitFor } from '../../support/wait-for.js';

/** Everything the broker logs, to prove no password is in it. */
const logLines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

const A = { username: 'dev-a', password: 'secret-a-123', deviceKey: 'a84041000181c7d1' };
const B = { username: 'dev-b', password: 'secret-b-456', deviceKey: 'pump-7' };
const credentials = new Map<string, DeviceCredential>(
  [A, B].map((device) => [device.username, { deviceKey: device.deviceKey, passwordHash: hashPassword(device.password) }]),
);
const topics: BrokerSourceOptions['topics'] = [
  { pattern: 'sensors/{deviceKey}/up', format: 'binary', fPort: 5 },
  { pattern: 'sensors/{deviceKey}/json', format: 'json' },
  { pattern: 'raw/{deviceKey}', format: 'binary' },
];

/** Records what it is handed; `hold()` makes accept() wait until `release()`; `failNext()` makes the next accept() throw. */
class TestSink implements UplinkSink {
  readonly calls: Uplink[] = [];
  readonly accepted: Uplink[] = [];
  readonly rejected: { raw: RawMessage; reason: string; deviceKey?: string }[] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private failures = 0;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  failNext(): void {
    this.failures++;
  }

  async accept(uplink: Uplink): Promise<void> {
    this.calls.push(uplink);
    await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('disk full');
    }
    this.accepted.push(uplink);
  }

  async reject(raw: RawMessage, reason: string, deviceKey?: string): Promise<void> {
    this.rejected.push({ raw, reason, ...(deviceKey ? { deviceKey } : {}) });
  }

  get handed(): number {
    return this.calls.length + this.rejected.length;
  }
}

describe('embedded MQTT broker (aedes) with real MQTT.js clients', () => {
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  }, 60_000);

  async function broker(sink: UplinkSink, extra: Partial<BrokerSourceOptions> = {}): Promise<BrokerSource> {
    const source = brokerSource({ host: '127.0.0.1', port: 0, topics, maxPayloadBytes: 256, credentials, logger, ...extra });
    await source.start(sink);
    cleanup.push(() => source.stop());
    return source;
  }

  const url = (source: BrokerSource) => `mqtt://127.0.0.1:${source.address().port}`;

  /** A device's MQTT.js client, connected; keeps the packets it sent and received. */
  async function device(
    source: BrokerSource,
    who: { username: string; password: string },
    options: IClientOptions = {},
  ): Promise<MqttClient & { sent: Packet[]; received: Packet[] }> {
    const client = await connectAsync(url(source), { username: who.username, password: who.password, reconnectPeriod: 0, ...options });
    const probed = Object.assign(client, { sent: [] as Packet[], received: [] as Packet[] });
    client.on('packetsend', (packet) => probed.sent.push(packet));
    client.on('packetreceive', (packet) => probed.received.push(packet));
    cleanup.push(() => client.endAsync(true));
    return probed;
  }

  /** The CONNACK return code a login gets (0 accepted), or -1 when the connection closed without one. */
  function loginCode(target: string, options: IClientOptions): Promise<number> {
    return new Promise((resolve) => {
      const client = mqttConnect(target, { reconnectPeriod: 0, connectTimeout: 10_000, ...options });
      client.on('connect', () => resolve(0));
      client.on('error', (error) => {
        const code = (error as Error & { code?: unknown }).code;
        resolve(typeof code === 'number' ? code : -1);
      });
      client.on('close', () => resolve(-1));
      cleanup.push(() => client.endAsync(true));
    });
  }

  /** Publishes without waiting; `done` turns true when the QoS 1/2 handshake completed. */
  function publish(client: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 | 2 = 1): { done: boolean } {
    const state = { done: false };
    client.publish(topic, payload, { qos }, (error) => {
      if (!error) state.done = true;
    });
    return state;
  }

  it('logs in configured devices; wrong password, unknown user and anonymous are refused, and no password is logged', async () => {
    const source = await broker(new TestSink(), { loginThrottle: { maxFailures: 100 } });
    expect(await loginCode(url(source), { username: A.username, password: A.password })).toBe(0);
    expect(await loginCode(url(source), { username: A.username, password: 'wrong-password-1' })).toBe(4);
    expect(await loginCode(url(source), { username: A.username, password: B.password })).toBe(4);
    expect(await loginCode(url(source), { username: 'nobody', password: 'wrong-password-2' })).toBe(4);
    expect(await loginCode(url(source), {})).toBe(5);
    expect(source.counters).toMatchObject({ logins: 1, loginsRefused: 4, loginsThrottled: 0 });
    const logged = logLines.join('\n');
    expect(logged).toContain('login refused');
    for (const secret of [A.password, B.password, 'wrong-password-1', 'wrong-password-2']) expect(logged).not.toContain(secret);
  });

  it('throttles an address after repeated failed logins, then lets it in again', async () => {
    const source = await broker(new TestSink(), { loginThrottle: { maxFailures: 2, initialBlockMs: 200, maxBlockMs: 200 } });
    expect(await loginCode(url(source), { username: A.username, password: 'guess-1' })).toBe(4);
    expect(await loginCode(url(source), { username: A.username, password: 'guess-2' })).toBe(4);
    // Blocked: refused without the password being looked at, even the right one.
    expect(await loginCode(url(source), { username: A.username, password: A.password })).toBe(5);
    expect(source.counters.loginsThrottled).toBe(1);
    let code = -2;
    await waitFor(async () => (code = await loginCode(url(source), { username: A.username, password: A.password })) === 0, 'the block to end');
    expect(code).toBe(0);
  });

  it("refuses a device publishing to another device's topic: the connection closes unacknowledged and nothing reaches the sink", async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const a = await device(source, A);
    const attempt = publish(a, `sensors/${B.deviceKey}/up`, Buffer.from([1, 2, 3]));
    await waitFor(() => source.counters.refusedPublishes === 1, 'the refusal');
    await waitFor(() => !a.connected, 'the connection to close');
    expect(attempt.done).toBe(false);
    expect(a.received.filter((packet) => packet.cmd === 'puback')).toEqual([]);

    // Topics of no pattern and the broker's own are refused alike.
    for (const topic of ['other/topic', `$SYS/sensors/${A.deviceKey}/up`, `sensors/${A.deviceKey}/up/more`]) {
      const again = await device(source, A);
      publish(again, topic, 'x');
      await waitFor(() => !again.connected, `the connection publishing to ${topic} to close`);
    }
    expect(source.counters.refusedPublishes).toBe(4);

    // B's own topic works, and only B's message is in the sink.
    const b = await device(source, B);
    await b.publishAsync(`sensors/${B.deviceKey}/up`, Buffer.from([9]), { qos: 1 });
    expect(sink.calls.map((uplink) => [uplink.deviceKey, [...uplink.bytes!]])).toEqual([[B.deviceKey, [9]]]);
    expect(sink.rejected).toEqual([]);
  });

  it('refuses subscriptions (SUBACK 128) and keeps the connection', async () => {
    const source = await broker(new TestSink());
    const a = await device(source, A);
    await expect(a.subscribeAsync('sensors/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(a.received.find((packet) => packet.cmd === 'suback')).toMatchObject({ granted: [128] });
    expect(source.counters.refusedSubscriptions).toBe(1);
    await a.publishAsync(`sensors/${A.deviceKey}/up`, Buffer.from([1]), { qos: 1 });
    expect(a.connected).toBe(true);
  });

  it('hands binary payloads on as bytes with the fPort of their pattern (default 1)', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const a = await device(source, A);
    // The DevEUI in the topic in upper case: the device key is the configuration's lower-case one.
    await a.publishAsync(`sensors/${A.deviceKey.toUpperCase()}/up`, Buffer.from([0x01, 0x75, 0x64]), { qos: 1 });
    await a.publishAsync(`raw/${A.deviceKey}`, Buffer.from([0xff]), { qos: 1 });
    expect(sink.accepted).toHaveLength(2);
    await a.publishAsync(`raw/${A.deviceKey}`, Buffer.from([0x00]), { qos: 0 });
    await waitFor(() => sink.accepted.length === 3, 'the QoS 0 message');
    const [first, second] = sink.accepted;
    expect(first).toMatchObject({ source: 'mqtt', deviceKey: A.deviceKey, fPort: 5, bytes: new Uint8Array([0x01, 0x75, 0x64]) });
    expect(Number.isNaN(Date.parse(first!.receivedAt))).toBe(false);
    expect(first!.json).toBeUndefined();
    expect(second).toMatchObject({ deviceKey: A.deviceKey, fPort: 1, bytes: new Uint8Array([0xff]) });
    expect(sink.accepted[2]).toMatchObject({ deviceKey: A.deviceKey, fPort: 1, bytes: new Uint8Array([0x00]) });
    expect(source.counters).toMatchObject({ messages: 3, uplinks: 3, rejected: 0 });
  });

  it('hands JSON payloads on parsed; malformed JSON and oversized payloads become dead letters, acknowledged', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const b = await device(source, B);
    await b.publishAsync(`sensors/${B.deviceKey}/json`, JSON.stringify({ distanceMm: 812, battery: 3.6 }), { qos: 1 });
    expect(sink.accepted).toEqual([{ source: 'mqtt', deviceKey: B.deviceKey, receivedAt: expect.any(String), json: { distanceMm: 812, battery: 3.6 } }]);

    await b.publishAsync(`sensors/${B.deviceKey}/json`, '{"distanceMm": 8', { qos: 1 });
    const big = Buffer.alloc(1000, 0x41);
    await b.publishAsync(`sensors/${B.deviceKey}/up`, big, { qos: 1 });
    expect(sink.rejected).toHaveLength(2);
    const [malformed, oversized] = sink.rejected;
    expect(malformed).toMatchObject({ deviceKey: B.deviceKey, reason: expect.stringMatching(/^not JSON/) });
    expect(malformed!.raw).toEqual({ source: 'mqtt', address: `sensors/${B.deviceKey}/json`, payload: new Uint8Array(Buffer.from('{"distanceMm": 8')) });
    expect(oversized).toMatchObject({ deviceKey: B.deviceKey, reason: 'payload of 1000 bytes exceeds the limit of 256 bytes (the dead letter keeps the first 256)' });
    expect(oversized!.raw.payload).toEqual(new Uint8Array(256).fill(0x41));
    expect(sink.accepted).toHaveLength(1);
    expect(source.counters).toMatchObject({ messages: 3, uplinks: 1, rejected: 2 });
  });

  it('closes a connection that announces a packet above the frame limit, before reading it; garbage closes it too', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const a = await device(source, A);
    const attempt = publish(a, `sensors/${A.deviceKey}/up`, Buffer.alloc(200_000, 1));
    await waitFor(() => !a.connected, 'the connection to close');
    expect(source.counters.oversizedFrames).toBe(1);
    expect(attempt.done).toBe(false);

    const garbage = createConnection({ host: '127.0.0.1', port: source.address().port });
    cleanup.push(() => garbage.destroy());
    garbage.on('error', () => {});
    garbage.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37]));
    await new Promise((resolve) => garbage.once('close', resolve));

    // The broker goes on.
    const again = await device(source, A);
    await again.publishAsync(`sensors/${A.deviceKey}/up`, Buffer.from([2]), { qos: 1 });
    expect(sink.accepted.map((uplink) => [...uplink.bytes!])).toEqual([[2]]);
    expect(sink.rejected).toEqual([]);
  });

  it('sends the PUBACK only after the sink resolved, and hands one device’s messages on in order', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const a = await device(source, A);
    sink.hold();
    const first = publish(a, `sensors/${A.deviceKey}/up`, Buffer.from([1]));
    await waitFor(() => sink.calls.length === 1, 'the message in the sink');
    const second = publish(a, `sensors/${A.deviceKey}/up`, Buffer.from([2]));
    const third = publish(a, `sensors/${A.deviceKey}/up`, Buffer.from([3]));
    await waitFor(() => a.sent.filter((packet) => packet.cmd === 'publish').length === 3, 'all three sent');
    // The sink holds the first: nothing acknowledged, nothing after it handed on.
    expect(first.done).toBe(false);
    expect(a.received.filter((packet) => packet.cmd === 'puback')).toEqual([]);
    expect(sink.calls).toHaveLength(1);
    sink.release();
    await waitFor(() => first.done && second.done && third.done, 'the three acknowledgements');
    expect(sink.accepted.map((uplink) => uplink.bytes![0])).toEqual([1, 2, 3]);
  });

  it('acknowledges QoS 2 after the sink too, handing the message on once', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const a = await device(source, A);
    sink.hold();
    const attempt = publish(a, `sensors/${A.deviceKey}/up`, Buffer.from([7]), 2);
    await waitFor(() => sink.calls.length === 1, 'the message in the sink');
    expect(a.received.filter((packet) => packet.cmd === 'pubrec')).toEqual([]);
    sink.release();
    await waitFor(() => attempt.done, 'the QoS 2 handshake');
    expect(sink.accepted).toHaveLength(1);
    expect(source.counters.duplicates).toBe(0);
  });

  it('hands a QoS 2 retransmission (PUBREC lost) on once; the packet id is free again after PUBREL', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const wire = await rawClient(source.address().port);
    cleanup.push(() => wire.socket.destroy());
    wire.socket.write(connectPacket('raw-qos2', A.username, A.password));
    await waitFor(() => wire.count([0x20, 0x02, 0x00, 0x00]) === 1, 'the CONNACK');
    const topic = `sensors/${A.deviceKey}/up`;
    const pubrec = [0x50, 0x02, 0x00, 0x01];

    wire.socket.write(publishPacket(topic, 1, Buffer.from([1]), false));
    await waitFor(() => wire.count(pubrec) === 1, 'the PUBREC');
    wire.socket.write(publishPacket(topic, 1, Buffer.from([1]), true));
    await waitFor(() => wire.count(pubrec) === 2, 'the PUBREC of the retransmission');
    expect(sink.calls).toHaveLength(1);
    expect(source.counters.duplicates).toBe(1);

    wire.socket.write(Buffer.from([0x62, 0x02, 0x00, 0x01])); // PUBREL
    await waitFor(() => wire.count([0x70, 0x02, 0x00, 0x01]) === 1, 'the PUBCOMP');
    wire.socket.write(publishPacket(topic, 1, Buffer.from([2]), false));
    await waitFor(() => wire.count(pubrec) === 3, 'the PUBREC of the next message');
    expect(sink.accepted.map((uplink) => uplink.bytes![0])).toEqual([1, 2]);
  });

  it('drops connections above maxConnections', async () => {
    const source = await broker(new TestSink(), { maxConnections: 1 });
    await device(source, A);
    expect(await loginCode(url(source), { username: B.username, password: B.password })).toBe(-1);
    await waitFor(() => source.counters.droppedConnections === 1, 'the drop to be counted');
  });

  it('closes the connection unacknowledged when the sink fails; the device sends again and it is stored', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const a = await device(source, A, { clean: false, clientId: 'retrying', reconnectPeriod: 50 });
    sink.failNext();
    const attempt = publish(a, `sensors/${A.deviceKey}/up`, Buffer.from([5]));
    await waitFor(() => source.counters.sinkFailures === 1, 'the sink failure');
    await waitFor(() => sink.accepted.length === 1, 'the message sent again');
    await waitFor(() => attempt.done, 'the acknowledgement');
    expect(sink.accepted[0]!.bytes).toEqual(new Uint8Array([5]));
  });

  it("keeps each device's client ids apart: the same id from another device takes over nothing", async () => {
    const source = await broker(new TestSink());
    const a1 = await device(source, A, { clientId: 'sensor' });
    await device(source, B, { clientId: 'sensor' });
    expect(source.state()).toEqual({ connected: true, detail: '2 device connection(s)', counters: expect.objectContaining({ logins: 2 }) });
    expect(a1.connected).toBe(true);
    // The same device connecting again with the same id replaces its older connection (MQTT-3.1.4-2).
    await device(source, A, { clientId: 'sensor' });
    await waitFor(() => !a1.connected, 'the older connection of the same device to close');
    expect(source.state()).toEqual({ connected: true, detail: '2 device connection(s)', counters: expect.objectContaining({ logins: 3 }) });
  });

  it('does not hand on will messages', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const a = await device(source, A, { will: { topic: `sensors/${A.deviceKey}/json`, payload: Buffer.from('{"offline":true}'), qos: 1, retain: false } });
    await waitFor(() => source.state().detail === '1 device connection(s)', 'the connection');
    a.stream.destroy(); // unclean: aedes publishes the will
    await waitFor(() => source.state().detail === '0 device connection(s)', 'the disconnect');
    expect(sink.handed).toBe(0);
    expect(logLines.join('\n')).toContain('will message not handed on');
  });

  it('stops: the message in the sink is finished and acknowledged, then clients are closed', async () => {
    const sink = new TestSink();
    const source = await broker(sink);
    const port = source.address().port;
    const a = await device(source, A);
    sink.hold();
    const attempt = publish(a, `sensors/${A.deviceKey}/up`, Buffer.from([1]));
    await waitFor(() => sink.calls.length === 1, 'the message in the sink');
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    expect(source.state().connected).toBe(false);
    expect(stopped).toBe(false);
    sink.release();
    await stopping;
    await waitFor(() => attempt.done && !a.connected, 'the acknowledgement, then the close');
    expect(source.state()).toEqual({ connected: false, detail: 'stopped', counters: expect.objectContaining({ messages: 1, uplinks: 1 }) });
    expect(await loginCode(`mqtt://127.0.0.1:${port}`, { username: A.username, password: A.password })).toBe(-1);
  });

  it('speaks TLS with the configured certificate; a client without the CA is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sensorbro-broker-tls-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    const cert = readFileSync(certFile, 'utf8');
    const sink = new TestSink();
    const source = await broker(sink, { tls: { cert, key: readFileSync(keyFile, 'utf8') } });
    const tlsUrl = `mqtts://127.0.0.1:${source.address().port}`;

    const client = await connectAsync(tlsUrl, { username: B.username, password: B.password, ca: cert, reconnectPeriod: 0 });
    cleanup.push(() => client.endAsync(true));
    await client.publishAsync(`sensors/${B.deviceKey}/json`, '{"levelM":1.25}', { qos: 1 });
    expect(sink.accepted).toMatchObject([{ deviceKey: B.deviceKey, json: { levelM: 1.25 } }]);

    expect(await loginCode(tlsUrl, { username: B.username, password: B.password })).not.toBe(0);
    expect(await loginCode(url(source), { username: B.username, password: B.password })).not.toBe(0);
  });
});

/** A TCP connection speaking MQTT 3.1.1 by hand, for what MQTT.js will not send (a QoS 2 retransmission on demand). */
async function rawClient(port: number): Promise<{ socket: Socket; count: (bytes: number[]) => number }> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const count = (bytes: number[]) => {
    const needle = Buffer.from(bytes);
    let found = 0;
    for (let at = received.indexOf(needle); at !== -1; at = received.indexOf(needle, at + 1)) found++;
    return found;
  };
  return { socket, count };
}

const mqttString = (text: string) => {
  const bytes = Buffer.from(text);
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
};

function mqttPacket(first: number, body: Buffer): Buffer {
  const length: number[] = [];
  let rest = body.length;
  do {
    length.push((rest % 128) | (rest >= 128 ? 0x80 : 0));
    rest = Math.floor(rest / 128);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([first, ...length]), body]);
}

/** CONNECT, MQTT 3.1.1, clean session, user name and password, keep-alive 60 s. */
const connectPacket = (clientId: string, username: string, password: string) =>
  mqttPacket(0x10, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0xc2, 0, 60]), mqttString(clientId), mqttString(username), mqttString(password)]));

/** PUBLISH at QoS 2, DUP set for a retransmission. */
const publishPacket = (topic: string, packetId: number, payload: Buffer, dup: boolean) =>
  mqttPacket(0x34 | (dup ? 0x08 : 0), Buffer.concat([mqttString(topic), Buffer.from([packetId >> 8, packetId & 0xff]), payload]));
