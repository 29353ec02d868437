import { z } from 'zod';
import type { Uplink } from './uplink.js';

/** Battery and link margin a network server reports for a device (ChirpStack `status` event). */
export interface DeviceStatusEvent {
  kind: 'status';
  source: Uplink['source'];
  deviceKey: string;
  receivedAt: string;
  /** 0–100; absent when the device runs on external power or cannot measure its battery. */
  batteryPercent?: number;
  externalPower?: boolean;
  /** Demodulation margin (SNR above the floor) of the device's last DevStatusAns, dB. */
  marginDb?: number;
}

/** A device (re)joined the network (OTAA). */
export interface DeviceJoinEvent {
  kind: 'join';
  source: Uplink['source'];
  deviceKey: string;
  receivedAt: string;
  devAddr?: string;
}

/** What an envelope says about a device's health rather than its measurements. */
export type DeviceEvent = DeviceStatusEvent | DeviceJoinEvent;

export type EnvelopeFailure = { ok: false; reason: string; deviceKey?: string };
export type UplinkResult = { ok: true; kind: 'uplink'; uplink: Uplink } | EnvelopeFailure;
export type EnvelopeResult =
  | UplinkResult
  | { ok: true; kind: 'status'; event: DeviceStatusEvent }
  | { ok: true; kind: 'join'; event: DeviceJoinEvent };

/** Reads one envelope: topic and payload as they arrived, refused above `maxBytes`. */
export type EnvelopeParser = (topic: string, payload: Uint8Array, maxBytes: number) => EnvelopeResult;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Size check, UTF-8, JSON.parse, then the zod schema; the reason names what was wrong. */
export function readJson<T>(
  payload: Uint8Array,
  maxBytes: number,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; reason: string; json?: unknown } {
  if (payload.byteLength > maxBytes) {
    return { ok: false, reason: `payload of ${payload.byteLength} bytes exceeds the limit of ${maxBytes} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(payload));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error), json };
  return { ok: true, value: parsed.data };
}

function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  const more = error.issues.length > shown.length ? ` (+${error.issues.length - shown.length} more)` : '';
  return `unexpected shape: ${shown.join('; ')}${more}`;
}

/** RFC 3339 with an explicit offset; any number of fraction digits (network servers send ns). */
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
/** Standard or URL-safe base64, padding optional (the protobuf JSON mapping of `bytes`). */
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const base64Url = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;
const eui64 = /^[0-9A-Fa-f]{16}$/;

/** Envelope fields both network servers use, with the protobuf defaults where a value may be omitted. */
export const fields = {
  time: z.string().refine((value) => rfc3339.test(value) && !Number.isNaN(Date.parse(value)), 'must be an RFC 3339 time with an offset'),
  devEui: z.string().regex(eui64, 'must be 16 hex digits (a DevEUI)'),
  fCnt: z.number().int().min(0).max(0xffffffff).default(0),
  fPort: z.number().int().min(0).max(255).optional(),
  base64: z.string().refine((value) => base64.test(value) || base64Url.test(value), 'must be base64'),
};

/** A time read by fields.time as ISO 8601 UTC with milliseconds (fraction truncated); now when absent. */
export function normaliseTime(value: string | undefined, now: () => Date = () => new Date()): string {
  return (value === undefined ? now() : new Date(Date.parse(value))).toISOString();
}

/** A DevEUI from a topic, as a hint for a dead letter: lower-case when it is one, else nothing. */
export function euiHint(value: string | undefined): string | undefined {
  return value !== undefined && eui64.test(value) ? value.toLowerCase() : undefined;
}

export interface Reception {
  rssiDbm: number;
  snrDb: number;
  gatewayEui?: string;
}

/**
 * One gateway's reception. An entry without RSSI counts as none: proto3 JSON omits 0, and 0 dBm at
 * a gateway is implausible, whereas SNR 0 dB is common (so an absent SNR is 0).
 */
export function reception(rssiDbm: number | undefined, snrDb: number, gatewayEui: string | undefined): Reception[] {
  if (rssiDbm === undefined) return [];
  return [gatewayEui && eui64.test(gatewayEui) ? { rssiDbm, snrDb, gatewayEui: gatewayEui.toLowerCase() } : { rssiDbm, snrDb }];
}

/** The gateway that heard the device best: highest RSSI, the first on a tie. */
function bestReception(receptions: readonly Reception[]): Reception | undefined {
  let best: Reception | undefined;
  for (const candidate of receptions) if (!best || candidate.rssiDbm > best.rssiDbm) best = candidate;
  return best;
}

/**
 * fPort and payload as the Uplink carries them. The protobuf JSON mapping omits zero and empty
 * values: fPort absent is fPort 0, which LoRaWAN reserves for MAC commands; network servers then
 * send no application data (ChirpStack v4: `f_port: mac.f_port.unwrap_or(0)`, `data` only for a
 * raw FRMPayload). Such an uplink carries neither fPort nor bytes. An application port with no
 * data is an empty payload.
 */
function applicationPayload(
  fPort: number | undefined,
  data: string | undefined,
): { ok: true; payload: Pick<Uplink, 'fPort' | 'bytes'> } | { ok: false; reason: string } {
  if (!fPort) {
    if (data) return { ok: false, reason: 'payload data on fPort 0 (reserved for MAC commands)' };
    return { ok: true, payload: {} };
  }
  // A Uint8Array of its own, not a view into Node's shared Buffer pool.
  return { ok: true, payload: { fPort, bytes: data ? new Uint8Array(Buffer.from(data, 'base64')) : new Uint8Array(0) } };
}

function radioOf(fCnt: number, best: Reception | undefined): NonNullable<Uplink['radio']> {
  return best ? { ...best, fCnt } : { fCnt };
}

/** A network server's uplink event, its fields already read from the server's own envelope. */
export interface UplinkEvent {
  source: 'chirpstack' | 'tts';
  deviceKey: string;
  fPort: number | undefined;
  /** FRMPayload, base64. */
  data: string | undefined;
  fCnt: number;
  receptions: readonly Reception[];
  /** When the network server received it; absent: now. */
  receivedAt: string | undefined;
  /** The server's id of the message, the same on every redelivery. */
  messageId: string | undefined;
}

/** The Uplink of a network server's event; payload data on fPort 0 fails. */
export function uplinkOf(event: UplinkEvent, now?: () => Date): UplinkResult {
  const { source, deviceKey } = event;
  const application = applicationPayload(event.fPort, event.data);
  if (!application.ok) return { ok: false, reason: `${source} up: ${application.reason}`, deviceKey };
  return {
    ok: true,
    kind: 'uplink',
    uplink: {
      source,
      deviceKey,
      receivedAt: normaliseTime(event.receivedAt, now),
      ...application.payload,
      radio: radioOf(event.fCnt, bestReception(event.receptions)),
      ...(event.messageId !== undefined && { messageId: event.messageId }),
    },
  };
}
