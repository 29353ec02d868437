import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/rate-limit';
import { z } from 'zod';
import { INGEST_PATH, type IngestResponse, ingestRequest, ingestResponse } from '../../../../standards/src/index.js';
import type { GatewayHealthRepository } from '../../db/gateway-health.js';
import type { Clock } from '../../clock.js';
import type { TimeSeriesStore } from '../../store/time-series-store.js';
import { describeZodError, routeSchema } from '../route-schema.js';
import { ingestRecords } from './ingest-records.js';
import { readIngestBody } from './read-body.js';

export interface IngestLimits {
  /** Largest body on the wire (gzip as sent), else 413 before it is read to the end. Default 8 MiB. */
  maxBodyBytes: number;
  /** Largest body after gunzip, else 413 (zip bombs). Default 32 MiB. */
  maxJsonBytes: number;
  /** Most records in one request, else 413 (the gateway splits its batch). Default 10,000. */
  maxRecords: number;
  /** Requests per gateway token per minute, else 429 with Retry-After. Default 600. */
  requestsPerMinute: number;
}

export const defaultIngestLimits: IngestLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxJsonBytes: 32 * 1024 * 1024,
  maxRecords: 10_000,
  requestsPerMinute: 600,
};

export interface IngestRouteOptions {
  store: TimeSeriesStore;
  health: GatewayHealthRepository;
  limits: IngestLimits;
  now: Clock;
}

const errorBody = z.object({ error: z.string() });
/** Seconds a gateway waits after a store failure before sending again. */
const storeRetryAfterS = 5;

/**
 * POST /api/v1/ingest (DESIGN.md §2, Ingest API; standards/src/ingest-contract.ts). The gateway
 * token was checked by the authentication hook before the body is read, and the per-token rate
 * limit applied; here: body (size, gzip, JSON, envelope), the token's gateway, each record, the
 * store, gateway health. Registered in a scope of its own: the body is read as bytes, not JSON.
 */
export async function ingestRoute(app: FastifyInstance, options: IngestRouteOptions): Promise<void> {
  const { store, health, limits, now } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes }, (_request, body, done) => done(null, body));

  app.post(
    INGEST_PATH,
    {
      bodyLimit: limits.maxBodyBytes,
      config: {
        access: 'gateway',
        rateLimit: {
          max: limits.requestsPerMinute,
          timeWindow: 60_000,
          hook: 'onRequest',
          keyGenerator: (request) => (request.principal?.kind === 'gateway' ? `ingest:${request.principal.tokenId}` : `ingest-ip:${request.ip}`),
        },
      },
      ...routeSchema({
        summary: 'Gateways deliver records (gzip JSON); the answer has one outcome per record',
        description:
          'Authorization: Bearer <gateway token>. Content-Encoding: gzip (or none). Each record is a record of a standard ' +
          '(standards/json-schema); a record that is invalid, of another kommune, or naming another gateway is rejected with a reason; ' +
          'a record id stored before is a duplicate. 401: bad token; 403: gatewayId is not the token\'s gateway; 413: too large (split); ' +
          '429 / 503: retry after Retry-After.',
        tags: ['ingest'],
        security: [{ gatewayToken: [] }],
        bodyDocs: ingestRequest,
        response: { 200: ingestResponse, 400: errorBody, 401: errorBody, 403: errorBody, 413: errorBody, 429: errorBody, 503: errorBody },
      }),
    },
    async (request, reply) => {
      const gateway = request.principal;
      if (gateway?.kind !== 'gateway') return reply.code(401).send({ error: 'unauthorized' });
      if (!Buffer.isBuffer(request.body)) return reply.code(400).send({ error: 'body is missing' });

      const reading = await readIngestBody(request.body, request.headers['content-encoding'], limits.maxJsonBytes);
      if (!reading.ok) return reply.code(reading.status).send({ error: reading.error });
      const envelope = ingestRequest.safeParse(reading.json);
      if (!envelope.success) return reply.code(400).send({ error: describeZodError(envelope.error) });
      const { gatewayId, records } = envelope.data;
      if (gatewayId !== gateway.gatewayId) {
        request.log.warn({ tokenId: gateway.tokenId, tokenGateway: gateway.gatewayId, bodyGateway: gatewayId }, 'ingest for another gateway refused');
        return reply.code(403).send({ error: 'gatewayId: this token belongs to another gateway' });
      }
      if (records.length > limits.maxRecords) {
        return reply.code(413).send({ error: `records: at most ${limits.maxRecords} records per request` });
      }

      let outcome;
      try {
        outcome = await ingestRecords(gateway, records, store);
      } catch (error) {
        request.log.error({ err: error, gatewayId, records: records.length }, 'the store could not take the records');
        return reply.code(503).header('retry-after', String(storeRetryAfterS)).send({ error: 'store unavailable, retry later' });
      }

      const at = now();
      try {
        health.recordContact(gateway.kommune, gateway.gatewayId, at, outcome.counts);
        for (const heartbeat of outcome.heartbeats) health.recordHeartbeat(heartbeat, at);
      } catch (error) {
        // The records are stored; health is secondary and must not make the gateway send them again.
        request.log.error({ err: error, gatewayId }, 'could not update gateway health');
      }
      request.log.info(
        { gatewayId, kommune: gateway.kommune, records: records.length, jsonBytes: reading.jsonBytes, ...outcome.counts },
        'ingest',
      );
      return { results: outcome.results } satisfies IngestResponse;
    },
  );
}
