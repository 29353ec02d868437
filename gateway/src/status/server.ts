import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from 'pino';
import { createMetrics } from './metrics.js';
import { renderStatusPage } from './page.js';
import type { GatewayStatus } from './snapshot.js';

export interface StatusServerOptions {
  host: string;
  port: number;
  /** Required beyond loopback: as a Bearer token, or as the password of HTTP Basic auth (for browsers). */
  token: string | undefined;
  snapshot: () => GatewayStatus;
  /** Local commands, allowed only with the admin token (see admin-token.ts). */
  commands: GatewayCommands;
  logger: Logger;
}

export interface GatewayCommands {
  adminToken: string;
  listDeadLetters(query: { limit: number; afterId: number; deviceKey?: string }): unknown[];
  replayDeadLetters(deviceKey?: string): Promise<unknown>;
}

const deadLetterQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  afterId: z.coerce.number().int().min(0).default(0),
  device: z.string().min(1).max(128).optional(),
});
const replayBody = z.object({ device: z.string().min(1).max(128).optional() }).default({});

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (scheme === 'Bearer' && value) return value;
  if (scheme === 'Basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

/** The technician's local status server: HTML page (Danish), JSON status, Prometheus metrics. Read-only. */
export async function startStatusServer(options: StatusServerOptions): Promise<{ close: () => Promise<void>; url: string }> {
  // Requests are not logged (a scraper polls every few seconds); errors are.
  const app = Fastify({ loggerInstance: options.logger.child({ component: 'status' }, { level: 'warn' }), bodyLimit: 1024 });
  const metrics = createMetrics(options.snapshot);

  const { adminToken } = options.commands;
  const isAdmin = (request: FastifyRequest) => {
    const given = presentedToken(request.headers.authorization);
    return given !== undefined && sameSecret(given, adminToken);
  };
  const refuse = (reply: FastifyReply) =>
    reply.code(401).header('www-authenticate', 'Basic realm="sensorbro gateway"').send({ error: 'unauthorized' });

  // Reading the status needs the status token when one is configured (or the admin token).
  if (options.token !== undefined) {
    const token = options.token;
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/api/dead-letters')) return; // admin only, checked below
      const given = presentedToken(request.headers.authorization);
      if (given !== undefined && (sameSecret(given, token) || sameSecret(given, adminToken))) return;
      await refuse(reply);
    });
  }

  app.get('/api/dead-letters', async (request, reply) => {
    if (!isAdmin(request)) return refuse(reply);
    const query = deadLetterQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    const { limit, afterId, device } = query.data;
    return options.commands.listDeadLetters({ limit, afterId, ...(device ? { deviceKey: device } : {}) });
  });
  app.post('/api/dead-letters/replay', async (request, reply) => {
    if (!isAdmin(request)) return refuse(reply);
    const body = replayBody.safeParse(request.body ?? {});
    if (!body.success) return reply.code(400).send({ error: 'body: { device?: string }' });
    return options.commands.replayDeadLetters(body.data.device);
  });

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderStatusPage(options.snapshot())));
  app.get('/api/status', async () => options.snapshot());
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));

  const address = await app.listen({ host: options.host, port: options.port });
  return { close: () => app.close(), url: address };
}
