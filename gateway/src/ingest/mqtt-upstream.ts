import { connect, type DoneCallback, type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { DeviceEvent, EnvelopeParser, EnvelopeResult, Uplink } from '../../../firmware-profiles/src/index.js';
import type { IngestSource, RawMessage, SourceState, UplinkSink } from '../core/uplink.js';

/** How to reach one upstream broker (a network server's MQTT integration). */
export interface UpstreamOptions {
  /** Name on the status page and in logs; defaults to the protocol's source name. */
  name?: string;
  /** mqtt://host[:port] or mqtts://host[:port]. */
  url: string;
  /** Stable and unique per gateway: the broker keeps the persistent session (and queued QoS 1 messages) under it. */
  clientId: string;
  username?: string;
  password?: string;
  /** For mqtts://: CA bundle of a private PKI, client certificate, … (PEM). */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  maxPayloadBytes: number;
  logger: Logger;
  /** Device health (battery, margin) and joins; awaited before the message is acknowledged. */
  onDeviceEvent?: (event: DeviceEvent) => void | Promise<void>;
  keepaliveS?: number;
  /** Messages handed on and not yet acknowledged, at most (default 1000); beyond it the client reads no further. */
  maxInFlight?: number;
  /** Reconnect backoff: doubles from initialMs to maxMs, ±20 % jitter. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Makes the MQTT client; tests pass one that keeps a handle on it. */
  connect?: (url: string, options: IClientOptions) => MqttClient;
}

/** What differs between network servers: their topic filters and envelope parser. */
export interface UpstreamProtocol {
  source: Extract<Uplink['source'], 'chirpstack' | 'tts'>;
  topics: readonly string[];
  parse: EnvelopeParser;
}

export interface UpstreamCounters {
  messages: number;
  uplinks: number;
  rejected: number;
  deviceEvents: number;
  /** Messages left unacknowledged (sink failed, or the connection changed): the broker redelivers them. */
  unacknowledged: number;
}

/**
 * An IngestSource for a network server's MQTT broker: persistent session (clean: false, stable
 * client id), QoS 1 subscriptions made again whenever the broker has no session for us, reconnect
 * with backoff.
 *
 * Acknowledgement: a QoS 1 message is acknowledged (PUBACK) only after sink.accept/reject resolved
 * (the message is durable), only on the connection it arrived on, and in the order the messages
 * arrived (MQTT 3.1.1 §4.6). MQTT.js reads the connection's next packet only once `handleMessage`'s
 * callback was called, and sends the PUBACK from that callback; one message at a time would make
 * every message its own fsync'd commit. So the callback is called at once with an error (MQTT.js
 * then sends nothing and reads on), the messages that arrive meanwhile (up to maxInFlight) are
 * handed on together, and the pipeline commits them in one transaction; each PUBACK is sent by us
 * once it and every message before it are settled. A message not acknowledged stays in the broker
 * session and comes again on the next connection; after a sink failure the connection is closed so
 * that happens (with backoff).
 */
export class MqttUpstreamSource implements IngestSource {
  readonly name: string;
  readonly counters: UpstreamCounters = { messages: 0, uplinks: 0, rejected: 0, deviceEvents: 0, unacknowledged: 0 };
  private readonly log: Logger;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxInFlight: number;
  private delayMs: number;
  private client: MqttClient | undefined;
  private sink: UplinkSink | undefined;
  /** Messages handed on and not yet acknowledged or given up, in arrival order (across connections). */
  private inFlight: InFlight[] = [];
  /** MQTT.js packet pumps waiting for room in `inFlight` (at most one per connection). */
  private waitingPumps: (() => void)[] = [];
  /** Counts CONNACKs: a message is acknowledged only on the connection it came on. */
  private connection = 0;
  private failedConnection = -1;
  private subscribed = false;
  private stopping = false;
  private detail: string | undefined = 'not started';

  constructor(
    private readonly protocol: UpstreamProtocol,
    private readonly options: UpstreamOptions,
  ) {
    this.name = options.name ?? protocol.source;
    this.log = options.logger.child({ source: this.name });
    this.initialDelayMs = options.reconnect?.initialMs ?? 1000;
    this.maxDelayMs = Math.max(this.initialDelayMs, options.reconnect?.maxMs ?? 60_000);
    this.delayMs = this.initialDelayMs;
    this.maxInFlight = options.maxInFlight ?? 1000;
  }

  async start(sink: UplinkSink): Promise<void> {
    if (this.client) throw new Error(`${this.name}: already started`);
    const { options } = this;
    this.sink = sink;
    this.stopping = false;
    this.detail = 'connecting';
    const client = (options.connect ?? connect)(options.url, {
      clientId: options.clientId,
      clean: false,
      protocolVersion: 4,
      keepalive: options.keepaliveS ?? 30,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...options.tls,
      reconnectPeriod: this.initialDelayMs,
      reconnectOnConnackError: true,
      // Subscriptions are made in onConnect, where the CONNACK's sessionPresent is known.
      resubscribe: false,
    });
    this.client = client;
    client.handleMessage = (packet, done) => this.take(packet, done);
    // MQTT.js restarts its keepalive timer only on acks and PINGRESP. During a long backlog the
    // PINGRESP queues behind PUBLISH packets that wait for the pipeline, and the client would drop
    // a healthy connection every keepalive × 1.5. A PUBLISH arriving proves the link is alive.
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'publish') client.reschedulePing(true);
    });
    client.on('connect', (connack) => this.onConnect(client, connack));
    client.on('reconnect', () => {
      client.options.reconnectPeriod = this.nextDelay();
    });
    client.on('offline', () => {
      this.detail = 'disconnected; reconnecting';
      if (!this.stopping) this.log.warn('upstream broker connection lost; reconnecting');
    });
    client.on('error', (error) => {
      if (error.message !== this.detail) this.log.warn({ error: error.message }, 'upstream broker error');
      this.detail = error.message;
    });
    this.log.info({ broker: safeUrl(options.url), clientId: options.clientId, topics: this.protocol.topics }, 'connecting to upstream broker');
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    // Messages arriving from now on stay unacknowledged in the broker session; those being
    // handed on finish and are acknowledged.
    this.stopping = true;
    await Promise.all(this.inFlight.map((entry) => entry.settled));
    await client.endAsync();
    this.client = undefined;
    this.detail = 'stopped';
    this.log.info('disconnected from upstream broker');
  }

  state(): SourceState {
    const connected = this.client?.connected ?? false;
    const counters = { ...this.counters };
    return this.detail === undefined ? { connected, counters } : { connected, detail: this.detail, counters };
  }

  private onConnect(client: MqttClient, connack: IConnackPacket): void {
    if (this.failedConnection !== this.connection) this.delayMs = this.initialDelayMs;
    client.options.reconnectPeriod = this.initialDelayMs;
    this.connection++;
    this.detail = undefined;
    const sessionPresent = connack.sessionPresent;
    this.log.info({ sessionPresent }, 'connected to upstream broker');
    // On our first connection subscribe even to a present session: the topics may have changed.
    if (sessionPresent && this.subscribed) return;
    const topics = Object.fromEntries(this.protocol.topics.map((topic) => [topic, { qos: 1 as const }]));
    client.subscribe(topics, (error, granted) => {
      const refused = (granted ?? []).filter((grant) => grant.qos === 128).map((grant) => grant.topic);
      if (error || refused.length > 0) {
        this.detail = error ? `subscribe failed: ${error.message}` : `subscription refused by the broker: ${refused.join(', ')}`;
        this.log.error({ error: error?.message, refused }, 'could not subscribe');
        return;
      }
      this.subscribed = true;
    });
  }

  private nextDelay(): number {
    const delay = this.delayMs;
    this.delayMs = Math.min(this.maxDelayMs, this.delayMs * 2);
    return Math.round(delay * (0.8 + Math.random() * 0.4));
  }

  /**
   * Called by MQTT.js per PUBLISH. `done(error)` makes MQTT.js read on without a PUBACK; it is
   * called at once while fewer than maxInFlight messages are unsettled, else once room is made.
   */
  private take(packet: IPublishPacket, done: DoneCallback): void {
    const readOn = () => done(ackedSeparately);
    const connection = this.connection;
    if (!this.sink || this.stopping || this.failedConnection === connection || !this.isCurrent(connection)) {
      // A message of a connection that is gone or failed comes again on the next one.
      this.counters.unacknowledged++;
      readOn();
      return;
    }
    const entry: InFlight = { messageId: packet.messageId, connection, durable: undefined, settled: Promise.resolve() };
    entry.settled = this.handOn(packet, connection).then((durable) => {
      entry.durable = durable;
      this.acknowledgeSettled();
    });
    this.inFlight.push(entry);
    if (this.inFlight.length < this.maxInFlight) readOn();
    else this.waitingPumps.push(readOn);
  }

  /** PUBACKs, in arrival order, for the settled messages at the head of the window. */
  private acknowledgeSettled(): void {
    while (this.inFlight.length > 0 && this.inFlight[0]!.durable !== undefined) {
      const entry = this.inFlight.shift()!;
      const acknowledge = entry.durable && this.failedConnection !== entry.connection && this.isCurrent(entry.connection);
      if (!acknowledge) this.counters.unacknowledged++;
      // A QoS 0 message (a publisher's choice) has no id and gets no PUBACK.
      else if (entry.messageId !== undefined) sendPuback(this.client!, entry.messageId);
    }
    if (this.inFlight.length < this.maxInFlight) {
      const pumps = this.waitingPumps;
      this.waitingPumps = [];
      for (const readOn of pumps) readOn();
    }
  }

  private isCurrent(connection: number): boolean {
    return connection === this.connection && this.client?.connected === true;
  }

  /** True when the message is durable downstream; false when it must stay with the broker. */
  private async handOn(packet: IPublishPacket, connection: number): Promise<boolean> {
    const sink = this.sink!;
    const topic = packet.topic.toString();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const raw: RawMessage = { source: this.protocol.source, address: topic, payload };
    this.counters.messages++;
    try {
      const result = this.read(topic, payload);
      if (!result.ok) {
        this.counters.rejected++;
        this.log.debug({ topic, reason: result.reason, deviceKey: result.deviceKey }, 'rejected upstream message');
        await sink.reject(raw, result.reason, result.deviceKey);
      } else if (result.kind === 'uplink') {
        this.counters.uplinks++;
        await sink.accept(result.uplink, raw);
      } else {
        this.counters.deviceEvents++;
        await this.deviceEvent(result.event);
      }
      return true;
    } catch (error) {
      // Not durable: keep it (and, PUBACKs being in order, every later one) in the broker session.
      // Redelivery needs a new connection.
      if (this.failedConnection !== connection) {
        this.failedConnection = connection;
        this.detail = `sink failed, message left with the broker: ${(error as Error).message}`;
        this.log.error({ topic, error: (error as Error).message }, 'sink failed; reconnecting for redelivery');
        if (this.isCurrent(connection)) this.client?.stream.destroy();
      }
      return false;
    }
  }

  private read(topic: string, payload: Uint8Array): EnvelopeResult {
    try {
      return this.protocol.parse(topic, payload, this.options.maxPayloadBytes);
    } catch (error) {
      return { ok: false, reason: `envelope parser failed: ${(error as Error).message}` };
    }
  }

  /** Device health is not data: a failing handler is logged, and the message still acknowledged. */
  private async deviceEvent(event: DeviceEvent): Promise<void> {
    try {
      await this.options.onDeviceEvent?.(event);
    } catch (error) {
      this.log.warn({ deviceKey: event.deviceKey, kind: event.kind, error: (error as Error).message }, 'device event handler failed');
    }
  }
}

/** Passed to handleMessage's callback: MQTT.js then sends no PUBACK (we send it in order, later). */
const ackedSeparately = new Error('acknowledged by the source once durable');

interface InFlight {
  messageId: number | undefined;
  connection: number;
  /** Undefined until handed on; then whether it may be acknowledged. */
  durable: boolean | undefined;
  settled: Promise<void>;
}

/**
 * Sends a PUBACK through MQTT.js's own packet writer. `_sendPacket` is private API (stable across
 * MQTT.js 4 and 5; test/integration/gateway/upstream.test.ts checks the PUBACKs on the wire).
 * Only called while connected: disconnected, MQTT.js would queue the PUBACK for the next connection.
 */
function sendPuback(client: MqttClient, messageId: number): void {
  const writer = client as unknown as { _sendPacket(packet: { cmd: 'puback'; messageId: number }): void };
  writer._sendPacket({ cmd: 'puback', messageId });
}

/** The broker's address without credentials, for logs. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(invalid url)';
  }
}
