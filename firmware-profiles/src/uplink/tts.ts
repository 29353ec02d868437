import { z } from 'zod';
import { euiHint, fields, readJson, reception, uplinkOf, type UplinkResult } from './envelope.js';

/**
 * The Things Stack v3 MQTT server: `v3/<applicationId>@<tenantId>/devices/<deviceId>/up` (The Things
 * Stack Cloud / multi-tenant) or `v3/<applicationId>/devices/<deviceId>/up` (open source). The
 * payload is the JSON of ttnpb.ApplicationUp with an `uplink_message`; zero values are omitted.
 */
const topicPattern = /^v3\/([^/@]+)(?:@([^/]+))?\/devices\/([^/]+)\/up$/;

const applicationUp = z.object({
  end_device_ids: z.object({
    device_id: z.string().min(1),
    application_ids: z.object({ application_id: z.string().min(1) }),
    dev_eui: fields.devEui.optional(),
  }),
  received_at: fields.time.optional(),
  correlation_ids: z.array(z.string().max(256)).max(64).default([]),
  uplink_message: z.object({
    f_port: fields.fPort,
    f_cnt: fields.fCnt,
    frm_payload: fields.base64.optional(),
    rx_metadata: z
      .array(
        z.object({
          gateway_ids: z.object({ eui: z.string().optional() }).optional(),
          rssi: z.number().optional(),
          channel_rssi: z.number().optional(),
          snr: z.number().default(0),
        }),
      )
      .default([]),
    /** When the Network Server received the uplink (the top-level received_at is the Application Server's). */
    received_at: fields.time.optional(),
  }),
});

export function parseTtsUp(topic: string, payload: Uint8Array, maxBytes: number, now?: () => Date): UplinkResult {
  const match = topicPattern.exec(topic);
  if (!match) {
    return { ok: false, reason: `topic ${topic} is not a The Things Stack v3 uplink topic (v3/<app>[@<tenant>]/devices/<id>/up)` };
  }
  const [, applicationId, , deviceId] = match;
  const json = readJson(payload, maxBytes, applicationUp);
  if (!json.ok) return { ok: false, reason: `tts up: ${json.reason}`, deviceKey: devEuiHint(json.json) };
  const ids = json.value.end_device_ids;
  if (ids.device_id !== deviceId || ids.application_ids.application_id !== applicationId) {
    return {
      ok: false,
      reason: `tts up: end_device_ids ${ids.application_ids.application_id}/${ids.device_id} do not match the topic's ${applicationId}/${deviceId}`,
      deviceKey: ids.dev_eui?.toLowerCase(),
    };
  }
  if (ids.dev_eui === undefined) {
    return { ok: false, reason: `tts up: device ${ids.device_id} has no dev_eui; LoRaWAN devices are keyed by DevEUI (register it in The Things Stack)` };
  }
  const message = json.value.uplink_message;
  return uplinkOf(
    {
      source: 'tts',
      deviceKey: ids.dev_eui.toLowerCase(),
      fPort: message.f_port,
      data: message.frm_payload,
      fCnt: message.f_cnt,
      receptions: message.rx_metadata.flatMap((rx) => reception(rx.rssi ?? rx.channel_rssi, rx.snr, rx.gateway_ids?.eui)),
      receivedAt: message.received_at ?? json.value.received_at,
      messageId: messageIdOf(json.value.correlation_ids),
    },
    now,
  );
}

/** The application server's uplink correlation id ("as:up:<ULID>"), the same on every redelivery. */
function messageIdOf(correlationIds: readonly string[]): string | undefined {
  const id = correlationIds.find((candidate) => candidate.startsWith('as:up:'));
  return id ? `tts:${id}` : undefined;
}

/** A DevEUI from an envelope that failed validation, if it has a readable one. */
function devEuiHint(json: unknown): string | undefined {
  const eui = (json as { end_device_ids?: { dev_eui?: unknown } } | undefined)?.end_device_ids?.dev_eui;
  return typeof eui === 'string' ? euiHint(eui) : undefined;
}

/** Subscription for one application; `tenant` for The Things Stack Cloud / multi-tenant deployments. */
export function ttsTopics(applicationId: string, tenant?: string): string[] {
  return [`v3/${tenant ? `${applicationId}@${tenant}` : applicationId}/devices/+/up`];
}
