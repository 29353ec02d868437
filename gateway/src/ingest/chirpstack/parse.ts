import { z } from 'zod';
import {
  applicationPayload,
  bestReception,
  type DeviceJoinEvent,
  type DeviceStatusEvent,
  type EnvelopeFailure,
  type EnvelopeResult,
  euiHint,
  fields,
  normaliseTime,
  radioOf,
  readJson,
  reception,
  type UplinkResult,
} from '../envelope.js';

/**
 * ChirpStack v4 MQTT integration, JSON encoding: `application/<applicationId>/device/<devEui>/event/<event>`.
 * The payload is the protobuf JSON mapping of integration.UplinkEvent / StatusEvent / JoinEvent,
 * in which zero, false and empty fields are omitted (fCnt 0, fPort 0, margin 0, …): the schemas
 * restore the protobuf defaults.
 */
const topicPattern = /^application\/([^/]+)\/device\/([^/]+)\/event\/([^/]+)$/;

const time = fields.time.optional();
const deviceInfo = z.object({ devEui: fields.devEui });

const upEvent = z.object({
  deduplicationId: z.string().min(1).max(128).optional(),
  time,
  deviceInfo,
  fCnt: fields.fCnt,
  fPort: fields.fPort,
  data: fields.base64.optional(),
  rxInfo: z
    .array(
      z.object({
        gatewayId: z.string().optional(),
        rssi: z.number().int().optional(),
        snr: z.number().default(0),
        /** When the network server received it; always set, unlike `time` (the gateways' clock). */
        nsTime: fields.time.optional(),
      }),
    )
    .default([]),
});

const statusEvent = z.object({
  time,
  deviceInfo,
  margin: z.number().int().default(0),
  externalPowerSource: z.boolean().default(false),
  batteryLevelUnavailable: z.boolean().default(false),
  batteryLevel: z.number().min(0).max(100).default(0),
});

const joinEvent = z.object({ time, deviceInfo, devAddr: z.string().optional() });

type Read<T> = { ok: true; value: T; deviceKey: string } | EnvelopeFailure;

/** Topic check, then the envelope; the DevEUI in the topic and in deviceInfo must agree. */
function read<T extends { deviceInfo: { devEui: string } }>(
  event: string,
  topic: string,
  payload: Uint8Array,
  maxBytes: number,
  schema: z.ZodType<T>,
): Read<T> {
  const match = topicPattern.exec(topic);
  const topicEui = match?.[2];
  if (!match || match[3] !== event) {
    return { ok: false, reason: `topic ${topic} is not a ChirpStack v4 '${event}' event topic (application/<id>/device/<devEui>/event/${event})`, deviceKey: euiHint(topicEui) };
  }
  const json = readJson(payload, maxBytes, schema);
  if (!json.ok) return { ok: false, reason: `chirpstack ${event}: ${json.reason}`, deviceKey: euiHint(topicEui) };
  const deviceKey = json.value.deviceInfo.devEui.toLowerCase();
  if (topicEui?.toLowerCase() !== deviceKey) {
    return { ok: false, reason: `chirpstack ${event}: deviceInfo.devEui ${deviceKey} does not match the topic's ${topicEui}`, deviceKey };
  }
  return { ok: true, value: json.value, deviceKey };
}

export function parseChirpstackUp(topic: string, payload: Uint8Array, maxBytes: number, now?: () => Date): UplinkResult {
  const envelope = read('up', topic, payload, maxBytes, upEvent);
  if (!envelope.ok) return envelope;
  const { value, deviceKey } = envelope;
  const application = applicationPayload(value.fPort, value.data);
  if (!application.ok) return { ok: false, reason: `chirpstack up: ${application.reason}`, deviceKey };
  const best = bestReception(value.rxInfo.flatMap((rx) => reception(rx.rssi, rx.snr, rx.gatewayId)));
  return {
    ok: true,
    kind: 'uplink',
    uplink: {
      source: 'chirpstack',
      deviceKey,
      // A redelivered message must keep its time: record ids are derived from it.
      receivedAt: normaliseTime(value.time ?? value.rxInfo.find((rx) => rx.nsTime)?.nsTime, now),
      ...application.payload,
      radio: radioOf(value.fCnt, best),
      ...(value.deduplicationId ? { messageId: `chirpstack:${value.deduplicationId}` } : {}),
    },
  };
}

/** The `status` event (DevStatusAns): battery in percent (to 0.1, as LoRaWAN reports 1/254 steps) and margin. */
export function parseChirpstackStatus(
  topic: string,
  payload: Uint8Array,
  maxBytes: number,
  now?: () => Date,
): { ok: true; kind: 'status'; event: DeviceStatusEvent } | EnvelopeFailure {
  const envelope = read('status', topic, payload, maxBytes, statusEvent);
  if (!envelope.ok) return envelope;
  const { value, deviceKey } = envelope;
  const battery = value.externalPowerSource || value.batteryLevelUnavailable ? {} : { batteryPercent: Math.round(value.batteryLevel * 10) / 10 };
  return {
    ok: true,
    kind: 'status',
    event: {
      kind: 'status',
      source: 'chirpstack',
      deviceKey,
      receivedAt: normaliseTime(value.time, now),
      ...battery,
      externalPower: value.externalPowerSource,
      marginDb: value.margin,
    },
  };
}

export function parseChirpstackJoin(
  topic: string,
  payload: Uint8Array,
  maxBytes: number,
  now?: () => Date,
): { ok: true; kind: 'join'; event: DeviceJoinEvent } | EnvelopeFailure {
  const envelope = read('join', topic, payload, maxBytes, joinEvent);
  if (!envelope.ok) return envelope;
  const { value, deviceKey } = envelope;
  const devAddr = value.devAddr ? { devAddr: value.devAddr.toLowerCase() } : {};
  return { ok: true, kind: 'join', event: { kind: 'join', source: 'chirpstack', deviceKey, receivedAt: normaliseTime(value.time, now), ...devAddr } };
}

const parsers = { up: parseChirpstackUp, status: parseChirpstackStatus, join: parseChirpstackJoin } as const;

/** Any subscribed ChirpStack event, by the event type at the end of its topic. */
export function parseChirpstackEvent(topic: string, payload: Uint8Array, maxBytes: number, now?: () => Date): EnvelopeResult {
  const [, , devEui, event] = topicPattern.exec(topic) ?? [];
  if (event === undefined || !Object.hasOwn(parsers, event)) {
    return { ok: false, reason: `topic ${topic} is not a ChirpStack v4 up, status or join event`, deviceKey: euiHint(devEui) };
  }
  return parsers[event as keyof typeof parsers](topic, payload, maxBytes, now);
}

/** Subscriptions for one application id, or `+` for every application the broker user may read. */
export function chirpstackTopics(applicationId = '+'): string[] {
  return Object.keys(parsers).map((event) => `application/${applicationId}/device/+/event/${event}`);
}
