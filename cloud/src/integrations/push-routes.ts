import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/rate-limit';
import { z } from 'zod';
import { chirpstackEventTypes } from '../../../firmware-profiles/src/index.js';
import { ingestResult } from '../../../standards/src/index.js';
import type { Clock } from '../clock.js';
import { routeSchema } from '../api/route-schema.js';
import { isJsonContentType } from './content-type.js';
import { presentedKey } from './credentials.js';
import type { IntegrationDeadLetters } from './dead-letters.js';
import type { IntegrationKeys, IntegrationKind, IntegrationPrincipal } from './integration-keys.js';
import { type PushedBody, protobufRefusal } from './push-body.js';
import type { IngestAnswer, UplinkIngest } from './uplink-ingest.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which integration's keys a push route accepts. */
    integration?: IntegrationKind;
  }
  interface FastifyRequest {
    /** Set on push routes once the integration key verified (before the body is read). */
    integration?: IntegrationPrincipal | null;
  }
}

const CHIRPSTACK_PATH = '/api/v1/integrations/chirpstack';
const OS2IOT_PATH = '/api/v1/integrations/os2iot';

export interface PushRouteOptions {
  keys: IntegrationKeys;
  ingest: UplinkIngest;
  deadLetters: IntegrationDeadLetters;
  /** Largest body, else 413 (not read to the end, not kept); UplinkIngest reads the body with the same limit. */
  maxBodyBytes: number;
  /** Pushes per key per minute, else 429 with Retry-After. */
  ratePerKeyPerMinute: number;
  now: Clock;
}

const errorBody = z.object({ error: z.string() });
const refusedBody = z.object({ error: z.string(), code: z.string(), deadLetterId: z.number().int() });
const storedBody = z.object({ deviceKey: z.string(), results: z.array(ingestResult) });
const ignoredBody = z.object({ event: z.string(), outcome: z.literal('ignored') });
const chirpstackQuery = z.object({ event: z.enum(chirpstackEventTypes) });
const storeRetryAfterS = 5;

function answer(request: FastifyRequest, reply: FastifyReply, result: IngestAnswer) {
  if (result.ok) return reply.send({ deviceKey: result.deviceKey, results: result.results });
  const { kommune, gatewayId } = request.integration!;
  request.log.info({ kommune, gatewayId, code: result.code, deadLetterId: result.deadLetterId }, 'integration push kept as a dead letter');
  if (result.status === 503) void reply.header('retry-after', String(storeRetryAfterS));
  return reply.code(result.status).send({ error: result.error, code: result.code, deadLetterId: result.deadLetterId });
}

/** Answers to a verified key the endpoint refused without reading the body, counted per kommune. */
const refusalCounters: Record<number, string> = { 413: 'refused.too-large', 429: 'refused.rate-limited' };

/**
 * The push endpoints of the network servers a kommune runs without our gateway. The integration
 * key is checked first (onRequest, before the body is read; a wrong key gets a bare 401), then
 * the key's rate limit; the body is taken as bytes whatever its content type, so what cannot be
 * used is kept byte for byte.
 */
export async function pushRoutes(app: FastifyInstance, options: PushRouteOptions): Promise<void> {
  const { keys, ingest, deadLetters, maxBodyBytes, ratePerKeyPerMinute, now } = options;
  // A route's own onRequest hooks run after the scope's, so the limit only ever sees verified keys:
  // a wrong key is answered 401 before it, is never counted, and 429 tells nothing about other keys.
  const rateLimit = {
    max: ratePerKeyPerMinute,
    timeWindow: 60_000,
    hook: 'onRequest' as const,
    keyGenerator: (request: FastifyRequest) => (request.integration ? `integration:${request.integration.keyId}` : `integration-ip:${request.ip}`),
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) => done(null, body));
  app.decorateRequest('integration', null);

  app.addHook('onRequest', async (request, reply) => {
    const kind = request.routeOptions.config.integration;
    const key = presentedKey(request.headers.authorization);
    const principal = kind === undefined || key === undefined ? undefined : keys.verify(key, kind);
    if (!principal) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
    request.integration = principal;
    return undefined;
  });
  app.addHook('onResponse', async (request, reply) => {
    const counter = refusalCounters[reply.statusCode];
    if (counter !== undefined && request.integration) deadLetters.increment(request.integration.kommune, { [counter]: 1 });
  });

  const bodyOf = (body: unknown, contentType: string | undefined): PushedBody => ({
    raw: Buffer.isBuffer(body) ? body : Buffer.alloc(0),
    contentType: contentType ?? null,
  });

  app.post(
    CHIRPSTACK_PATH,
    {
      bodyLimit: maxBodyBytes,
      config: { access: 'integration', integration: 'chirpstack', rateLimit },
      ...routeSchema({
        summary: 'ChirpStack v4 HTTP integration (JSON encoding): uplinks decoded through the device\'s firmware profile',
        description:
          'Set as the HTTP integration\'s event endpoint URL; ChirpStack adds ?event=<type>. Header Authorization: Bearer <integration key ' +
          'sbi_… of integration chirpstack>. up: the device must be registered in the key\'s kommune; records are stored with gatewayId ' +
          'chirpstack:<key name>. Other events are acknowledged and ignored. 400 / 422 / 503: the uplink was kept as a dead letter; ' +
          '415: protobuf encoding. 429: over the key\'s pushes per minute (not kept; retry after Retry-After).',
        tags: ['integrations'],
        querystring: chirpstackQuery,
        response: { 200: z.union([storedBody, ignoredBody]), 400: refusedBody, 401: errorBody, 413: errorBody, 415: refusedBody, 422: refusedBody, 429: errorBody, 503: refusedBody },
      }),
    },
    async (request, reply) => {
      const key = request.integration!;
      const body = bodyOf(request.body, request.headers['content-type']);
      const { event } = request.query as z.infer<typeof chirpstackQuery>;
      if (event !== 'up') {
        if (!isJsonContentType(body.contentType)) return reply.code(415).send({ error: protobufRefusal });
        deadLetters.increment(key.kommune, { 'events.ignored': 1 });
        return { event, outcome: 'ignored' as const };
      }
      return answer(request, reply, await ingest.push(key, body, now));
    },
  );

  app.post(
    OS2IOT_PATH,
    {
      bodyLimit: maxBodyBytes,
      config: { access: 'integration', integration: 'os2iot', rateLimit },
      ...routeSchema({
        summary: 'OS2iot HTTP push data target: ChirpStack uplink events as OS2iot forwards them, decoded through the device\'s firmware profile',
        description:
          'Set as the data target URL. Authorization (OS2iot\'s header field, sent verbatim): Bearer <integration key sbi_… of integration ' +
          'os2iot>, or the key alone; or basic auth with the key as password. Connect devices to the data target without a payload ' +
          'decoder: OS2iot then posts ChirpStack\'s uplink event JSON. Records are stored with gatewayId os2iot:<key name>. ' +
          '400 / 422 / 503: the body was kept as a dead letter. 429: over the key\'s pushes per minute (not kept; retry after Retry-After).',
        tags: ['integrations'],
        response: { 200: storedBody, 400: refusedBody, 401: errorBody, 413: errorBody, 422: refusedBody, 429: errorBody, 503: refusedBody },
      }),
    },
    async (request, reply) => {
      const key = request.integration!;
      return answer(request, reply, await ingest.push(key, bodyOf(request.body, request.headers['content-type']), now));
    },
  );
}
