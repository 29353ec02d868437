import { createHash } from 'node:crypto';
import { parseChirpstackUpBody, type Uplink } from '../../../firmware-profiles/src/index.js';
import type { Clock } from '../clock.js';
import { isJsonContentType } from './content-type.js';
import type { IntegrationKind } from './integration-keys.js';

/** The request as it arrived: what a dead letter keeps. */
export interface PushedBody {
  raw: Buffer;
  contentType: string | null;
}

export type PushedUplink = { ok: true; uplink: Uplink } | { ok: false; status: 400 | 415; code: string; reason: string; deviceKey?: string };

/** Also the answer to a non-up event in protobuf (not kept: only up events carry measurements). */
export const protobufRefusal =
  'chirpstack: only the JSON payload encoding is accepted; set the HTTP integration\'s "Payload encoding" to JSON (this body is protobuf)';
const os2iotHint =
  'OS2iot must forward ChirpStack\'s uplink event as it received it: connect the device to the data target without a payload decoder';

/** Record ids come from the network server's message id; without one, from the body, so a retried POST stores nothing twice. */
function withMessageId(uplink: Uplink, integration: IntegrationKind, raw: Buffer): Uplink {
  if (uplink.messageId !== undefined) return uplink;
  return { ...uplink, messageId: `${integration}-body:${createHash('sha256').update(raw).digest('hex')}` };
}

/**
 * The uplink in a pushed body: ChirpStack's up event in its JSON encoding, as ChirpStack posts it
 * and as OS2iot forwards it. `receivedAt` stands in for a body without any time of its own.
 */
export function uplinkOfPush(integration: IntegrationKind, body: PushedBody, maxBodyBytes: number, receivedAt: Clock): PushedUplink {
  if (integration === 'chirpstack' && !isJsonContentType(body.contentType)) return { ok: false, status: 415, code: 'unsupported-encoding', reason: protobufRefusal };
  const parsed = parseChirpstackUpBody(body.raw, maxBodyBytes, receivedAt);
  if (!parsed.ok) {
    const reason = integration === 'os2iot' ? `os2iot: ${parsed.reason}. ${os2iotHint}` : parsed.reason;
    return { ok: false, status: 400, code: 'malformed', reason, deviceKey: parsed.deviceKey };
  }
  return { ok: true, uplink: withMessageId(parsed.uplink, integration, body.raw) };
}
