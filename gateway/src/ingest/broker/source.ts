import type { EventEmitter } from 'node:events';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type ConnectPacket } from 'aedes';
import type { Logger } from 'pino';
import type { IngestSource, SourceState, UplinkSink } from '../../core/uplink.js';
import { guardConnection } from './frame-guard.js';
import type { LoginThrottleOptions } from './login-throttle.js';
import { type DeviceCredential, DeviceLogins, type Session } from './logins.js';
import { clip, type IncomingStore, type PublishCounters, PublishHandler } from './publishes.js';
import { type BrokerTopic, compileTopics } from './topics.js';

export interface BrokerSourceOptions {
  /** Name on the status page and in logs (default `mqtt-broker`). */
  name?: string;
  host: string;
  /** 0 picks a free port (tests); see address(). */
  port: number;
  /** PEM contents, not file names. Without it the broker speaks plain TCP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  topics: readonly BrokerTopic[];
  /** Payloads above it are refused and kept as dead letters cut to this size. */
  maxPayloadBytes: number;
  /** Per MQTT user name; copied at construction. */
  credentials: ReadonlyMap<string, DeviceCredential>;
  logger: Logger;
  loginThrottle?: LoginThrottleOptions;
  /**
   * A packet announcing more than this closes the connection before it is read (default: twice
   * maxPayloadBytes plus 64 KiB for the topic). Payloads between maxPayloadBytes and this limit are
   * read and kept as (cut) dead letters.
   */
  maxFrameBytes?: number;
  /** Connections at the same time, logged in or not (default 10,000). */
  maxConnections?: number;
  /** A connection that sends no CONNECT in this time is closed (default 10 s). */
  connectTimeoutMs?: number;
}

export interface BrokerCounters extends PublishCounters {
  connections: number;
  logins: number;
  /** Wrong password, unknown user, anonymous. */
  loginsRefused: number;
  /** Refused without a look at the password: too many failures from the address. */
  loginsThrottled: number;
  refusedSubscriptions: number;
  /** Packets above maxFrameBytes (or malformed lengths): the connection was closed. */
  oversizedFrames: number;
  /** Connections closed at once because maxConnections were open. */
  droppedConnections: number;
  tlsErrors: number;
}

/** MQTT 3.1.1 allows 23 characters; aedes checks that for MQTT 3.1 only. Room for our user name prefix. */
const maxClientIdLength = 23 + 1 + 128;

/**
 * The embedded MQTT broker for sensors that speak MQTT themselves (DESIGN.md §1): aedes on a TCP
 * or TLS server. Every device logs in with its own user name and password; it may publish only to
 * the configured topic patterns with its own device key, and subscribe to nothing. A publish is
 * acknowledged after the sink made it durable (see PublishHandler).
 *
 * Client ids are free, but each lives in its user's name space (`<username>/<clientId>`): one
 * device cannot take over another's session (aedes closes the older of two clients with the same
 * id, MQTT-3.1.4-2), and devices whose firmware uses the same fixed client id do not push each
 * other off.
 */
export class BrokerSource implements IngestSource {
  readonly name: string;
  private readonly log: Logger;
  private readonly logins: DeviceLogins;
  private readonly publishes: PublishHandler;
  private readonly sessions = new WeakMap<Client, Session>();
  private readonly sockets = new Set<Socket>();
  private readonly maxFrameBytes: number;
  private readonly ownCounters = { connections: 0, logins: 0, loginsRefused: 0, loginsThrottled: 0, refusedSubscriptions: 0, oversizedFrames: 0, droppedConnections: 0, tlsErrors: 0 };
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private stopping = false;
  private detail: string | undefined = 'not started';

  constructor(private readonly options: BrokerSourceOptions) {
    this.name = options.name ?? 'mqtt-broker';
    this.log = options.logger.child({ source: this.name });
    this.logins = new DeviceLogins(options.credentials, options.loginThrottle);
    this.maxFrameBytes = options.maxFrameBytes ?? options.maxPayloadBytes * 2 + 64 * 1024;
    this.publishes = new PublishHandler({ match: compileTopics(options.topics), maxPayloadBytes: options.maxPayloadBytes, logger: this.log });
  }

  get counters(): BrokerCounters {
    return { ...this.publishes.counters, ...this.ownCounters };
  }

  /** Where the broker listens (the port picked when `port` was 0). */
  address(): { host: string; port: number } {
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error(`${this.name}: not listening`);
    return { host: (address as AddressInfo).address, port: (address as AddressInfo).port };
  }

  async start(sink: UplinkSink): Promise<void> {
    if (this.broker) throw new Error(`${this.name}: already started`);
    const { options } = this;
    this.stopping = false;
    if (this.logins.size === 0) this.log.warn('no device has MQTT credentials: every login will be refused');
    const broker = await Aedes.createBroker({
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      maxClientsIdLength: maxClientIdLength,
      preConnect: (client, packet, callback) => this.preConnect(client, packet, callback),
      authenticate: (client, username, password, callback) => this.authenticate(client, username, password, callback),
      authorizePublish: (client, packet, callback) =>
        this.publishes.authorize(client, client ? this.sessions.get(client) : undefined, packet, callback),
      authorizeSubscribe: (client, subscription, callback) => {
        // Sensors only publish. A refused subscription is granted 128 in the SUBACK; the connection stays.
        this.ownCounters.refusedSubscriptions++;
        this.log.info({ deviceKey: this.sessions.get(client)?.deviceKey, topic: clip(subscription.topic) }, 'subscription refused');
        callback(null, null);
      },
      authorizeForward: () => null,
    });
    this.publishes.start(sink);
    const incoming = (broker as unknown as { persistence?: Partial<IncomingStore> }).persistence;
    if (typeof incoming?.incomingGetPacket === 'function') this.publishes.useIncomingStore(incoming as IncomingStore);
    broker.on('clientError', (client, error) => this.log.debug({ clientId: client.id, error: error.message }, 'client connection ended with an error'));
    broker.on('connectionError', (client, error) => this.log.debug({ address: remoteAddress(client), error: error.message }, 'connection refused or failed before login'));
    broker.on('clientDisconnect', (client) => this.log.debug({ deviceKey: this.sessions.get(client)?.deviceKey, clientId: client.id }, 'device disconnected'));
    // aedes emits 'error' on persistence failures; unhandled, an EventEmitter error would end the process.
    (broker as EventEmitter).on('error', (error: Error) => this.log.error({ error: error.message }, 'broker error'));

    const server = options.tls
      ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2', handshakeTimeout: options.connectTimeoutMs ?? 10_000 })
      : createTcpServer();
    server.maxConnections = options.maxConnections ?? 10_000;
    server.on('drop', (data?: { remoteAddress?: string }) => {
      this.ownCounters.droppedConnections++;
      this.log.debug({ address: data?.remoteAddress, limit: server.maxConnections }, 'connection dropped: too many connections');
    });
    server.on('connection', (socket: Socket) => {
      this.ownCounters.connections++;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      if (!options.tls) this.accept(broker, socket);
    });
    if (options.tls) {
      server.on('secureConnection', (socket: Socket) => this.accept(broker, socket));
      server.on('tlsClientError', (error: Error, socket: Socket) => {
        this.ownCounters.tlsErrors++;
        this.log.info({ address: socket.remoteAddress, error: error.message }, 'TLS handshake failed');
      });
    }
    try {
      await listen(server, options.port, options.host);
    } catch (error) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      this.detail = `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`;
      throw new Error(`${this.name}: ${this.detail}`);
    }
    server.on('error', (error) => {
      this.detail = error.message;
      this.log.error({ error: error.message }, 'broker server error');
    });
    this.broker = broker;
    this.server = server;
    this.detail = undefined;
    const { port } = this.address();
    this.log.info({ host: options.host, port, tls: options.tls !== undefined, devices: this.logins.size, topics: options.topics.map((topic) => topic.pattern) }, 'embedded MQTT broker listening');
  }

  async stop(): Promise<void> {
    const { broker, server } = this;
    if (!broker || !server) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Messages being handed on finish and are acknowledged; later ones are refused, and their
    // devices send them again to the next broker.
    await this.publishes.drain();
    // The last acknowledgements are corked until the next tick (mqtt-packet's writeToStream), and
    // aedes closes connections with destroy(): let them reach the sockets first.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.broker = undefined;
    this.server = undefined;
    this.detail = 'stopped';
    this.log.info('embedded MQTT broker stopped');
  }

  state(): SourceState {
    const connected = this.server?.listening === true && !this.stopping;
    const detail = this.detail ?? `${this.broker?.connectedClients ?? 0} device connection(s)`;
    return { connected, detail, counters: { ...this.counters } };
  }

  private accept(broker: Aedes, socket: Socket): void {
    broker.handle(socket);
    // After handle(): aedes' 'readable' listener must be there first, so the guard's 'data'
    // listener does not switch the socket to flowing mode.
    guardConnection(socket, this.maxFrameBytes, (check) => {
      this.ownCounters.oversizedFrames++;
      this.log.warn(
        { address: socket.remoteAddress, reason: check.reason, frameBytes: check.frameBytes, limit: this.maxFrameBytes },
        'packet too large; closing the connection',
      );
    });
  }

  private preConnect(client: Client, packet: ConnectPacket, callback: (error: Error | null, success: boolean) => void): void {
    // aedes leaves a connection open when preConnect refuses without an error; with one it closes it.
    if (this.stopping) return callback(new Error('broker stopping'), false);
    // Each user's client ids in a name space of their own (see the class comment). An empty id
    // stays empty: aedes then makes a unique one.
    if (packet.username !== undefined && packet.clientId) packet.clientId = `${packet.username}/${packet.clientId}`;
    callback(null, true);
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    callback: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const address = remoteAddress(client);
    const result = this.logins.login(username, password, address);
    if (result.ok) {
      this.sessions.set(client, result.session);
      this.ownCounters.logins++;
      this.log.debug({ deviceKey: result.session.deviceKey, clientId: client.id, address }, 'device logged in');
      return callback(null, true);
    }
    if (result.reason === 'throttled') this.ownCounters.loginsThrottled++;
    else this.ownCounters.loginsRefused++;
    // Never the password; the user name clipped (it is whatever the client sent).
    this.log.warn({ username: clip(username), address, reason: result.reason }, 'login refused');
    const error = Object.assign(new Error(`login refused: ${result.reason}`), { returnCode: result.returnCode as AuthenticateError['returnCode'] });
    callback(error, null);
  }
}

export function brokerSource(options: BrokerSourceOptions): BrokerSource {
  return new BrokerSource(options);
}

function remoteAddress(client: Client): string {
  const conn = client.conn as Partial<Socket>;
  return conn.remoteAddress ?? 'unknown';
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.removeListener('error', failed);
      resolve();
    });
  });
}
