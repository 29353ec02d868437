import { z } from 'zod';
import { readJson, type Uplink } from '../../../../firmware-profiles/src/index.js';
import type { TopicMatch } from './topics.js';

export type PayloadResult =
  | { ok: true; uplink: Uplink }
  /** `kept` is what the dead letter keeps: the payload, cut to the size limit when it was over it. */
  | { ok: false; reason: string; kept: Uint8Array };

const anyJson = z.unknown();

/**
 * An authorized publish as an Uplink: binary payloads as bytes with the pattern's fPort (default 1),
 * JSON payloads parsed. Refused when over `maxBytes` or when a JSON topic carries no JSON.
 */
export function readPayload(match: TopicMatch, payload: Uint8Array, maxBytes: number, receivedAt: string): PayloadResult {
  if (payload.byteLength > maxBytes) {
    return {
      ok: false,
      reason: `payload of ${payload.byteLength} bytes exceeds the limit of ${maxBytes} bytes (the dead letter keeps the first ${maxBytes})`,
      // A copy of its own (a Buffer's slice would be a view and keep the whole payload alive).
      kept: new Uint8Array(payload.subarray(0, maxBytes)),
    };
  }
  const { deviceKey, topic } = match;
  if (topic.format === 'binary') {
    // A copy of its own, not a view into a larger buffer of the connection.
    return { ok: true, uplink: { source: 'mqtt', deviceKey, receivedAt, fPort: topic.fPort ?? 1, bytes: new Uint8Array(payload) } };
  }
  const json = readJson(payload, maxBytes, anyJson);
  if (!json.ok) return { ok: false, reason: json.reason, kept: payload };
  return { ok: true, uplink: { source: 'mqtt', deviceKey, receivedAt, json: json.value } };
}
