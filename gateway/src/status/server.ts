import { timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
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
  logger: Logger;
}

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
  const app = Fastify({ loggerInstance: options.logger.child({ component: 'status' }), bodyLimit: 1024, disableRequestLogging: true });
  const metrics = createMetrics(options.snapshot);

  if (options.token !== undefined) {
    const token = options.token;
    app.addHook('onRequest', async (request, reply) => {
      const given = presentedToken(request.headers.authorization);
      if (given !== undefined && sameSecret(given, token)) return;
      await reply.code(401).header('www-authenticate', 'Basic realm="sensorbro gateway"').send({ error: 'unauthorized' });
    });
  }

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderStatusPage(options.snapshot())));
  app.get('/api/status', async () => options.snapshot());
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));

  const address = await app.listen({ host: options.host, port: options.port });
  return { close: () => app.close(), url: address };
}
