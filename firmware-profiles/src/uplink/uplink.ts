/**
 * One message from a sensor, as an ingest adapter hands it on (DESIGN.md §2, Uplink). Gateway and
 * cloud both make Uplinks (gateway: MQTT and OPC UA adapters; cloud: HTTP integrations).
 */
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
   * correlation id), when it has one. Record ids are derived from it, so a message delivered twice
   * (QoS 1 after a lost PUBACK, a retried HTTP POST) gives the same records, which the cloud dedups.
   */
  messageId?: string;
}
