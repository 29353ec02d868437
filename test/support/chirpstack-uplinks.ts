import type { MqttClient } from 'mqtt';

/**
 * ChirpStack v4 uplink events (MQTT integration, JSON encoding) as a network server publishes
 * them, and a publisher that keeps a window of QoS 1 messages in flight and records which ones the
 * broker acknowledged (PUBACK).
 */

export interface ChirpstackUp {
  devEui: string;
  /** Unique per message: the gateway derives the record ids from it. */
  deduplicationId: string;
  /** Network-server time, ISO 8601; the records' receivedAt. */
  time: string;
  fPort: number;
  bytes: Uint8Array;
  fCnt?: number;
  applicationId?: string;
}

export interface MqttMessage {
  topic: string;
  payload: Buffer;
}

export function chirpstackUpTopic(devEui: string, applicationId = 'app-1'): string {
  return `application/${applicationId}/device/${devEui}/event/up`;
}

/** The JSON object of an `up` event (integration.UplinkEvent, protobuf JSON mapping). */
export function chirpstackUpEvent(up: ChirpstackUp): Record<string, unknown> {
  const applicationId = up.applicationId ?? 'app-1';
  return {
    deduplicationId: up.deduplicationId,
    time: up.time,
    deviceInfo: { tenantId: 't', applicationId, devEui: up.devEui, deviceName: up.devEui },
    fCnt: up.fCnt ?? 1,
    fPort: up.fPort,
    data: Buffer.from(up.bytes).toString('base64'),
    rxInfo: [{ gatewayId: '0016c001f153a14c', rssi: -97, snr: 6.5 }],
  };
}

export function chirpstackUplink(up: ChirpstackUp): MqttMessage {
  return { topic: chirpstackUpTopic(up.devEui, up.applicationId), payload: Buffer.from(JSON.stringify(chirpstackUpEvent(up))) };
}

/** Milesight EM310-UDL on fPort 85: battery (01 75), distance (03 82, u16 LE), tilt (04 00). */
export function em310Bytes(reading: { batteryPercent: number; distanceMm: number; tilted: boolean }): Buffer {
  const bytes = Buffer.from('01755C03824408040001', 'hex');
  bytes[2] = reading.batteryPercent;
  bytes.writeUInt16LE(reading.distanceMm, 5);
  bytes[9] = reading.tilted ? 1 : 0;
  return bytes;
}

export interface WindowedPublish {
  /** acked[i] is 1 once the broker acknowledged message i (QoS 1 PUBACK). */
  readonly acked: Uint8Array;
  /** failed[i] is 1 when the publish of message i ended in an error (never acknowledged). */
  readonly failed: Uint8Array;
  readonly ackedCount: number;
  readonly failedCount: number;
  /** Messages handed to the client so far. */
  readonly sent: number;
  /** Settles when every message was acknowledged or failed. */
  readonly done: Promise<void>;
}

/**
 * Publishes messages 0..count-1 with QoS 1, at most `window` unacknowledged at once (MQTT.js keeps
 * them in its outgoing store and resends them after a reconnect). `make(i)` builds message i.
 */
export function publishWindowed(
  client: MqttClient,
  count: number,
  make: (index: number) => MqttMessage,
  options: { window?: number } = {},
): WindowedPublish {
  const window = options.window ?? 200;
  const acked = new Uint8Array(count);
  const failed = new Uint8Array(count);
  let ackedCount = 0;
  let failedCount = 0;
  let next = 0;
  let inFlight = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));

  const pump = () => {
    while (inFlight < window && next < count) {
      const index = next++;
      const message = make(index);
      inFlight++;
      client.publish(message.topic, message.payload, { qos: 1 }, (error) => {
        inFlight--;
        if (error) {
          failed[index] = 1;
          failedCount++;
        } else {
          acked[index] = 1;
          ackedCount++;
        }
        if (ackedCount + failedCount === count) finish();
        // Refill outside the callback's stack.
        else setImmediate(pump);
      });
    }
  };
  if (count === 0) finish();
  else pump();

  return {
    acked,
    failed,
    get ackedCount() {
      return ackedCount;
    },
    get failedCount() {
      return failedCount;
    },
    get sent() {
      return next;
    },
    done,
  };
}

/**
 * A numbered stream of EM310-UDL uplinks over a few devices: message i has its own
 * deduplicationId and network-server time (base + i ms), so each record at the cloud tells which
 * message it came from (receivedAt), whatever id the gateway gave it.
 */
export class Em310Stream {
  constructor(
    readonly runId: string,
    readonly devices: readonly string[],
    readonly baseMs = Date.parse('2026-01-01T00:00:00.000Z'),
  ) {}

  deviceOf(index: number): string {
    return this.devices[index % this.devices.length]!;
  }

  timeOf(index: number): string {
    return new Date(this.baseMs + index).toISOString();
  }

  distanceOf(index: number): number {
    return 20 + ((index * 7) % 4980);
  }

  message(index: number): MqttMessage {
    return chirpstackUplink({
      devEui: this.deviceOf(index),
      deduplicationId: `${this.runId}-${index}`,
      time: this.timeOf(index),
      fCnt: index,
      fPort: 85,
      bytes: em310Bytes({ batteryPercent: 50 + (index % 50), distanceMm: this.distanceOf(index), tilted: index % 2 === 1 }),
    });
  }

  /** Which message a stored record came from; undefined for a record of no message of this stream. */
  indexOf(record: { deviceId?: unknown; receivedAt?: unknown }): number | undefined {
    if (typeof record.receivedAt !== 'string') return undefined;
    const index = Date.parse(record.receivedAt) - this.baseMs;
    if (!Number.isInteger(index) || index < 0 || this.deviceOf(index) !== record.deviceId) return undefined;
    return index;
  }
}

export interface DeliveryReport {
  /** Messages that must be in the store (acknowledged by the broker). */
  expected: number;
  /** Records of the stream's devices in the store. */
  stored: number;
  /** Records of other devices (e.g. the gateway's own heartbeats), not part of the comparison. */
  others: number;
  /** Expected messages with no record (first few indexes in `missingSample`). */
  missing: number;
  missingSample: number[];
  /** Records of messages that are not expected (published but never acknowledged) or of no message at all. */
  unexpected: number;
  /** Records beyond the first for the same message (a duplicate stored under another id). */
  repeated: number;
  /** Records whose distance is not the message's. */
  wrongValue: number;
}

/** Matches the cloud's stored records to the messages of a stream; `expected[i]` is 1 when message i must be stored. */
export function deliveryReport(
  stream: Em310Stream,
  expected: Uint8Array,
  stored: readonly { deviceId?: unknown; receivedAt?: unknown; distanceMm?: unknown }[],
): DeliveryReport {
  const seen = new Uint32Array(expected.length);
  let unexpected = 0;
  let repeated = 0;
  let wrongValue = 0;
  let others = 0;
  for (const record of stored) {
    if (!stream.devices.includes(record.deviceId as string)) {
      others++;
      continue;
    }
    const index = stream.indexOf(record);
    if (index === undefined || index >= expected.length || expected[index] !== 1) {
      unexpected++;
      continue;
    }
    if (++seen[index]! > 1) repeated++;
    if (record.distanceMm !== stream.distanceOf(index)) wrongValue++;
  }
  let expectedCount = 0;
  let missing = 0;
  const missingSample: number[] = [];
  for (let index = 0; index < expected.length; index++) {
    if (expected[index] !== 1) continue;
    expectedCount++;
    if (seen[index] === 0) {
      missing++;
      if (missingSample.length < 20) missingSample.push(index);
    }
  }
  return { expected: expectedCount, stored: stored.length - others, others, missing, missingSample, unexpected, repeated, wrongValue };
}
