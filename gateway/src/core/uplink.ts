import type { Uplink } from '../../../firmware-profiles/src/index.js';

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
  /** For the status page: connected or not, the last error if any, and the source's own running totals. */
  state(): SourceState;
}

export interface SourceState {
  connected: boolean;
  detail?: string;
  /** Totals since the source was made, by camelCase name (e.g. `loginsRefused`); never decreasing. */
  counters?: SourceCounters;
}

export type SourceCounters = Readonly<Record<string, number>>;
