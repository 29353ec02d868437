import type { Client, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { RawMessage, UplinkSink } from '../../core/uplink.js';
import type { Session } from './logins.js';
import { readPayload } from './payload.js';
import type { TopicMatch, TopicMatcher } from './topics.js';

export interface PublishCounters {
  /** Publishes handed to the sink (as uplink or dead letter). */
  messages: number;
  uplinks: number;
  /** Handed to the sink as dead letters: oversized, or not JSON on a JSON topic. */
  rejected: number;
  /** Refused by the ACL: another device's topic, or a topic of no pattern. Nothing reaches the sink. */
  refusedPublishes: number;
  /** QoS 2 retransmissions of a message already handed on (acknowledged again, not handed on twice). */
  duplicates: number;
  /** The sink failed: the connection is closed without acknowledgement, the device sends again. */
  sinkFailures: number;
}

/** aedes' store of inbound QoS 2 messages awaiting PUBREL (aedes-persistence API). */
export interface IncomingStore {
  incomingGetPacket(client: Client, packet: { messageId?: number }): Promise<unknown>;
}

export interface PublishHandlerOptions {
  match: TopicMatcher;
  maxPayloadBytes: number;
  logger: Logger;
  now?: () => Date;
}

/** Why aedes is told to drop a publish; aedes then closes the connection without acknowledging it. */
export class PublishRefused extends Error {}

/**
 * The embedded broker's authorizePublish hook. aedes calls it for each PUBLISH before it
 * acknowledges (QoS 1 PUBACK, QoS 2 PUBREC) or routes the message, and goes on only when the
 * callback is called (node_modules/aedes/lib/handlers/publish.js: handlePublish runs
 * [authorizePublish, enqueuePublish] in series; enqueuePublish writes the PUBACK). So the callback
 * is called after sink.accept/reject resolved: a message is acknowledged only once it is durable.
 * Refused: anything but the device's own topics. A callback error makes aedes close the connection
 * without an acknowledgement (MQTT 3.1.1 has no negative PUBACK; MQTT-3.3.5-2).
 */
export class PublishHandler {
  readonly counters: PublishCounters = { messages: 0, uplinks: 0, rejected: 0, refusedPublishes: 0, duplicates: 0, sinkFailures: 0 };
  private sink: UplinkSink | undefined;
  private stopping = false;
  /** aedes hands on the packets of one socket read concurrently; each client's go to the sink in order. */
  private readonly chains = new WeakMap<Client, Promise<void>>();
  /** Clients whose sink call failed: what else they sent is not handed on (their connection is closing). */
  private readonly failed = new WeakSet<Client>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => Date;
  private incoming: IncomingStore | undefined;

  constructor(private readonly options: PublishHandlerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** aedes' store of inbound QoS 2 messages, for telling a retransmission from a new message. */
  useIncomingStore(incoming: IncomingStore): void {
    this.incoming = incoming;
  }

  start(sink: UplinkSink): void {
    this.sink = sink;
    this.stopping = false;
  }

  /** Refuses publishes from now on and resolves when those already taken were handed on. */
  async drain(): Promise<void> {
    this.stopping = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** `session` undefined: the client never logged in (or aedes publishes the will of a client that is gone); refused. */
  authorize(client: Client | null, session: Session | undefined, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    const sink = this.sink;
    if (!client || !session || !sink) return callback(new PublishRefused('not logged in'));
    // A will (last will and testament) is published by aedes when a connection ends uncleanly: it
    // says the device went away, it is no measurement. Not handed on. aedes drops it on an error.
    if (packet.cmd !== 'publish' || client.closed) {
      this.options.logger.debug({ deviceKey: session.deviceKey, topic: clip(packet.topic) }, 'will message not handed on');
      return callback(new PublishRefused('will messages are not handed on'));
    }
    if (this.stopping) return callback(new PublishRefused('the gateway is stopping; send again later'));
    const topic = packet.topic;
    const match = this.options.match(topic);
    if (!match || match.deviceKey !== session.deviceKey) {
      this.counters.refusedPublishes++;
      const reason = match ? `topic of device ${match.deviceKey}` : 'topic matches no configured pattern';
      this.options.logger.warn({ deviceKey: session.deviceKey, clientId: client.id, topic: clip(topic), reason }, 'publish refused; closing the connection');
      return callback(new PublishRefused(`device ${session.deviceKey} may not publish to ${clip(topic)}: ${reason}`));
    }
    // Nothing subscribes on this broker: a retained copy would only take memory.
    packet.retain = false;
    const previous = this.chains.get(client) ?? Promise.resolve();
    const work = previous.then(() => this.handOn(sink, client, session, match, packet)).then(
      () => callback(null),
      (error: Error) => callback(error),
    );
    this.chains.set(client, work);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handOn(sink: UplinkSink, client: Client, session: Session, match: TopicMatch, packet: PublishPacket): Promise<void> {
    if (this.failed.has(client)) throw new PublishRefused('an earlier message of this connection was not handed on');
    if (packet.qos === 2 && (await this.alreadyStored(client, packet))) {
      this.counters.duplicates++;
      return;
    }
    const topic = packet.topic;
    const payload = new Uint8Array(typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
    const raw: RawMessage = { source: 'mqtt', address: topic, payload };
    this.counters.messages++;
    const result = readPayload(match, payload, this.options.maxPayloadBytes, this.now().toISOString());
    try {
      if (result.ok) {
        this.counters.uplinks++;
        await sink.accept(result.uplink, raw);
      } else {
        this.counters.rejected++;
        this.options.logger.info({ deviceKey: session.deviceKey, topic, reason: result.reason }, 'publish kept as dead letter');
        await sink.reject({ ...raw, payload: result.kept }, result.reason, session.deviceKey);
      }
    } catch (error) {
      this.failed.add(client);
      this.counters.sinkFailures++;
      this.options.logger.error({ deviceKey: session.deviceKey, topic, error: (error as Error).message }, 'sink failed; closing the connection unacknowledged');
      throw new Error(`not stored: ${(error as Error).message}`);
    }
  }

  /**
   * A QoS 2 PUBLISH aedes has stored already: the device did not get our PUBREC and sent it again.
   * aedes checks this itself only after authorizePublish (publish.js, enqueuePublish).
   */
  private async alreadyStored(client: Client, packet: PublishPacket): Promise<boolean> {
    const incoming = this.incoming;
    if (!incoming || packet.messageId === undefined) return false;
    return incoming.incomingGetPacket(client, { messageId: packet.messageId }).then(
      () => true,
      () => false,
    );
  }
}

/** At most 200 characters of something a client sent, for logs. */
export function clip(text: string | undefined): string | undefined {
  return text === undefined || text.length <= 200 ? text : `${text.slice(0, 200)}…`;
}
