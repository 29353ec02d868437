import { z } from 'zod';
import { kommuneCode } from '../../../standards/src/index.js';

/** A secret: written in the file, or better, named: an environment variable or a file (e.g. a mounted secret). */
export const secret = z.union([
  z.string().min(1),
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name') }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type Secret = z.infer<typeof secret>;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes');
const mqttUrl = z.string().regex(/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be mqtt://host[:port] or mqtts://host[:port]');

const upstreamBase = {
  url: mqttUrl,
  username: z.string().min(1).optional(),
  password: secret.optional(),
  /** Stable client id: the broker keeps the QoS 1 session (and queued messages) under it. */
  clientId: z.string().min(1).max(64).optional(),
  maxPayloadBytes: z.number().int().min(256).max(1024 * 1024).default(64 * 1024),
};

const chirpstackSource = z.strictObject({
  type: z.literal('chirpstack'),
  ...upstreamBase,
  applicationId: z.string().min(1).default('+').describe('ChirpStack application id, or + for all'),
});

const ttsSource = z.strictObject({
  type: z.literal('tts'),
  ...upstreamBase,
  applicationId: z.string().min(1).describe('The Things Stack application id'),
  tenant: z.string().min(1).optional().describe('tenant id of a multi-tenant deployment (app@tenant)'),
});

const brokerTopic = z.strictObject({
  pattern: z
    .string()
    .max(256)
    .regex(/^[^#+]*\{deviceKey\}[^#+]*$/, 'must contain {deviceKey} and no MQTT wildcards, e.g. "sensors/{deviceKey}/up"')
    .refine((pattern) => !pattern.startsWith('$'), 'must not start with $ (topics reserved for the broker)'),
  format: z.enum(['json', 'binary']),
  fPort: z.number().int().min(0).max(255).optional().describe('fPort given to binary payloads'),
});

const brokerSource = z.strictObject({
  type: z.literal('mqtt-broker'),
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(1).max(65535).default(1883),
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  maxPayloadBytes: z.number().int().min(256).max(1024 * 1024).default(16 * 1024),
  topics: z.array(brokerTopic).min(1),
});

export const sourceConfig = z.discriminatedUnion('type', [chirpstackSource, ttsSource, brokerSource]);
export type SourceConfig = z.infer<typeof sourceConfig>;

const deviceConfig = z.strictObject({
  deviceKey: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
    .transform((key) => (/^[0-9A-Fa-f]{16}$/.test(key) ? key.toLowerCase() : key))
    .describe('DevEUI (16 hex digits, any case) for LoRaWAN devices; the topic id for MQTT sensors'),
  profile: z.string().min(1),
  assetId: z.string().min(1).max(128).optional(),
  params: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
  mqtt: z.strictObject({ username: z.string().min(1).max(128), password: secret }).optional(),
});
export type DeviceConfig = z.infer<typeof deviceConfig>;

export const gatewayConfig = z.strictObject({
  gateway: z.strictObject({ id: slug, kommune: kommuneCode, name: z.string().max(200).optional() }),
  cloud: z.strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .refine((url) => url.startsWith('https://') || /^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/.test(url), {
        message: 'must be https:// (plain http only to localhost)',
      }),
    token: secret,
    batchSize: z.number().int().min(1).max(10_000).default(1000),
    lingerMs: z.number().int().min(0).max(60_000).default(500),
    /**
     * Requests on the wire at once while the cloud answers (1 while it fails). While one request
     * waits for its answer the next is read and gzipped; 4 drained a 1,000,000-record backlog
     * ~15 % faster than 2 in bench:gateway.
     */
    maxInFlight: z.number().int().min(1).max(16).default(4),
    heartbeatIntervalS: z.number().int().min(10).max(3600).default(60),
  }),
  storage: z
    .strictObject({
      dir: z.string().min(1).default('./data'),
      queueQuotaMb: z.number().min(1).max(1024 * 1024).default(1024),
      deadLetterMax: z.number().int().min(100).max(10_000_000).default(100_000),
    })
    .default({ dir: './data', queueQuotaMb: 1024, deadLetterMax: 100_000 }),
  status: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Bearer token for the status page and metrics; required when they listen beyond loopback. */
      token: secret.optional(),
    })
    .refine((status) => status.token !== undefined || isLoopback(status.host), {
      message: 'a status page that listens beyond loopback needs a token',
      path: ['token'],
    })
    .default({ host: '127.0.0.1', port: 8080 }),
  sources: z.array(sourceConfig).default([]),
  devices: z.array(deviceConfig).default([]),
});
export type GatewayConfig = z.infer<typeof gatewayConfig>;
