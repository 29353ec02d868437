/** One message from a sensor, as an ingest adapter hands it on (DESIGN.md §2, Uplink). */
export interface Uplink {
  source: 'chirpstack' | 'tts' | 'mqtt' | 'opcua';
  /** DevEUI in lower-case hex for LoRaWAN; the topic-derived id for MQTT; the configured id for OPC UA. */
  deviceKey: string;
  /** Network server (or broker) time of receipt, ISO 8601 UTC. */
  receivedAt: string;
  fPort?: number;
  bytes?: Uint8Array;
  /** Already-decoded JSON (MQTT sensors that publish JSON, OPC UA values). */
  json?: unknown;
  radio?: { rssiDbm?: number; snrDb?: number; gatewayEui?: string; fCnt?: number };
  /**
   * The network server's id of this message (ChirpStack deduplicationId, The Things Stack
   * correlation id), when it has one. Record ids are derived from it, so a message the broker
   * delivers twice (QoS 1 after a lost PUBACK) gives the same records, which the cloud dedups.
   */
  messageId?: string;
}

/** What arrived, kept byte for byte when it cannot be used: the dead-letter store's raw data. */
export interface RawMessage {
  /** Where it came from; 'cloud' for a record the cloud rejected. */
  source: Uplink['source'] | 'cloud';
  /** MQTT topic, OPC UA node id, the cloud's ingest path, … */
  address: string;
  payload: Uint8Array;
}

/**
 * Where adapters hand messages. Both promises resolve once the message is durable (queued as
 * records or kept as a dead letter); an adapter acknowledges upstream (MQTT PUBACK) only then.
 */
export interface UplinkSink {
  accept(uplink: Uplink, raw: RawMessage): Promise<void>;
  /** A message the adapter itself could not read (malformed envelope, oversized, …). */
  reject(raw: RawMessage, reason: string, deviceKey?: string): Promise<void>;
}

/** One ingest adapter (ChirpStack, The Things Stack, embedded broker, OPC UA), Telegraf-style. */
export interface IngestSource {
  readonly name: string;
  start(sink: UplinkSink): Promise<void>;
  stop(): Promise<void>;
  /** For the status page: connected or not, and the last error if any. */
  state(): { connected: boolean; detail?: string };
}
