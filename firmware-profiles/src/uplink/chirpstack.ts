import { z } from 'zod';
import {
  type DeviceEvent,
  type EnvelopeFailure,
  type EnvelopeResult,
  euiHint,
  fields,
  normaliseTime,
  readJson,
  reception,
  uplinkOf,
  type UplinkResult,
} from './envelope.js';

/**
 * ChirpStack v4 integrations, JSON encoding. MQTT: `application/<applicationId>/device/<devEui>/event/<event>`;
 * HTTP: a POST to the configured URL with `?event=<event>`. The body is the protobuf JSON mapping of integration.UplinkEvent / StatusEvent / JoinEvent,
 * in which zero, false and empty fields are omitted (fCnt 0, fPort 0, margin 0, …): the schemas
 * restore the protobuf defaults.
 */
const topicPattern = /^application\/([^/]+)\/device\/([^/]+)\/event\/([^/]+)$/;

/** Every event type ChirpStack v4 integrations emit (chirpstack/src/integration/http.rs: `?event=` of each POST). */
export const chirpstackEventTypes = ['up', 'status', 'join', 'ack', 'txack', 'log', 'location', 'integration'] as const;
export type ChirpstackEventType = (typeof chirpstackEventTypes)[number];

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

/** The event's JSON however it arrived (MQTT payload, HTTP integration body); on failure a DevEUI hint if readable. */
function readBody<T extends { deviceInfo: { devEui: string } }>(event: string, payload: Uint8Array, maxBytes: number, schema: z.ZodType<T>): Read<T> {
  const json = readJson(payload, maxBytes, schema);
  if (!json.ok) return { ok: false, reason: `chirpstack ${event}: ${json.reason}`, deviceKey: devEuiHint(json.json) };
  return { ok: true, value: json.value, deviceKey: json.value.deviceInfo.devEui.toLowerCase() };
}

function devEuiHint(json: unknown): string | undefined {
  const eui = (json as { deviceInfo?: { devEui?: unknown } } | undefined)?.deviceInfo?.devEui;
  return typeof eui === 'string' ? euiHint(eui) : undefined;
}

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
  const body = readBody(event, payload, maxBytes, schema);
  if (!body.ok) return { ...body, deviceKey: euiHint(topicEui) ?? body.deviceKey };
  if (topicEui?.toLowerCase() !== body.deviceKey) {
    return { ok: false, reason: `chirpstack ${event}: deviceInfo.devEui ${body.deviceKey} does not match the topic's ${topicEui}`, deviceKey: body.deviceKey };
  }
  return body;
}

export function parseChirpstackUp(topic: string, payload: Uint8Array, maxBytes: number, now?: () => Date): UplinkResult {
  const envelope = read('up', topic, payload, maxBytes, upEvent);
  return envelope.ok ? toUplink(envelope.value, envelope.deviceKey, now) : envelope;
}

/**
 * An `up` event without a topic: the body of a ChirpStack HTTP integration POST (`?event=up`,
 * JSON marshaler), or of an OS2iot HTTP push data target without a payload decoder (OS2iot
 * forwards ChirpStack's event JSON as it received it).
 */
export function parseChirpstackUpBody(payload: Uint8Array, maxBytes: number, now?: () => Date): UplinkResult {
  const envelope = readBody('up', payload, maxBytes, upEvent);
  return envelope.ok ? toUplink(envelope.value, envelope.deviceKey, now) : envelope;
}

function toUplink(value: z.infer<typeof upEvent>, deviceKey: string, now: (() => Date) | undefined): UplinkResult {
  return uplinkOf(
    {
      source: 'chirpstack',
      deviceKey,
      fPort: value.fPort,
      data: value.data,
      fCnt: value.fCnt,
      receptions: value.rxInfo.flatMap((rx) => reception(rx.rssi, rx.snr, rx.gatewayId)),
      // A redelivered message must keep its time: record ids are derived from it.
      receivedAt: value.time ?? value.rxInfo.find((rx) => rx.nsTime)?.nsTime,
      messageId: value.deduplicationId ? `chirpstack:${value.deduplicationId}` : undefined,
    },
    now,
  );
}

type EventOf<K extends DeviceEvent['kind']> = Extract<DeviceEvent, { kind: K }>;
type EventResult<K extends DeviceEvent['kind']> = { ok: true; kind: K; event: EventOf<K> } | EnvelopeFailure;

/** A read `status` or `join` envelope as its event: the device and time every such event has, and what `details` reads. */
function deviceEvent<K extends DeviceEvent['kind'], T extends { time?: string | undefined }>(
  kind: K,
  envelope: Read<T>,
  now: (() => Date) | undefined,
  details: (value: T) => Omit<EventOf<K>, 'kind' | 'source' | 'deviceKey' | 'receivedAt'>,
): EventResult<K> {
  if (!envelope.ok) return envelope;
  const { value, deviceKey } = envelope;
  const event = { kind, source: 'chirpstack', deviceKey, receivedAt: normaliseTime(value.time, now), ...details(value) } as EventOf<K>;
  return { ok: true, kind, event };
}

/** The `status` event (DevStatusAns): battery in percent (to 0.1, as LoRaWAN reports 1/254 steps) and margin. */
export function parseChirpstackStatus(topic: string, payload: Uint8Array, maxBytes: number, now?: () => Date): EventResult<'status'> {
  return deviceEvent('status', read('status', topic, payload, maxBytes, statusEvent), now, (value) => ({
    ...(value.externalPowerSource || value.batteryLevelUnavailable ? {} : { batteryPercent: Math.round(value.batteryLevel * 10) / 10 }),
    externalPower: value.externalPowerSource,
    marginDb: value.margin,
  }));
}

export function parseChirpstackJoin(topic: string, payload: Uint8Array, maxBytes: number, now?: () => Date): EventResult<'join'> {
  return deviceEvent('join', read('join', topic, payload, maxBytes, joinEvent), now, (value) => (value.devAddr ? { devAddr: value.devAddr.toLowerCase() } : {}));
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
