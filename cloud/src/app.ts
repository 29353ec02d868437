import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { apiTokenRoutes } from './api/admin/api-token-routes.js';
import { auditRoutes } from './api/admin/audit-routes.js';
import { gatewayTokenRoutes } from './api/admin/gateway-token-routes.js';
import { usersRoutes } from './api/admin/users-routes.js';
import { registerAuthentication } from './api/auth/authenticate.js';
import { loginRoutes } from './api/auth/login-routes.js';
import { normalizeOrigins } from './api/auth/origin-check.js';
import { registerErrorHandling } from './api/errors.js';
import { accessOf } from './api/route-access.js';
import type { Principal } from './api/principal.js';
import { defaultIngestLimits, type IngestLimits, ingestRoute } from './api/ingest/ingest-route.js';
import { type CloudServiceOptions, type CloudServices, createCloudServices } from './services.js';
import type { CloudDatabase } from './db/open-database.js';
import type { TimeSeriesStore } from './store/time-series-store.js';

export interface CloudAppOptions extends CloudServiceOptions {
  database: CloudDatabase;
  store: TimeSeriesStore;
  logger: Logger;
  /** Signs the session cookie (config.ts keeps one in the data dir). At least 32 characters. */
  cookieSecret: string;
  /**
   * The origins browsers reach the cloud at (e.g. https://sensorbro.aarhus.dk), for the CSRF check.
   * Empty: the origin each request was addressed to (scheme + Host), right when nothing rewrites Host.
   */
  publicOrigins?: readonly string[];
  /** Behind a reverse proxy: take client address and scheme from X-Forwarded-*. */
  trustProxy?: boolean;
  ingest?: Partial<IngestLimits>;
  /** Login attempts per client address per minute; default 10. */
  loginRatePerMinute?: number;
  /**
   * Requests per minute of one user session or API token on the authenticated API (routes that set
   * their own limit keep it: ingest, login); default 1200 (a dashboard page makes tens of requests).
   */
  apiRatePerMinute?: number;
  /** Serve the OpenAPI document and Swagger UI at /docs; default true. */
  docs?: boolean;
  /** Built beforehand on the same database (tests, or a process sharing them); default: made here. */
  services?: CloudServices;
  /**
   * Route modules of other parts (registry, domains, web), registered after the cloud's own, behind
   * the same authentication hook: under /api/ a route needs a principal unless its config says
   * `access: 'public'`; add `preHandler: requireRole(…)` and scope every query to
   * `request.principal.kommune`.
   */
  routes?: readonly CloudRoutes[];
}

/** A part's routes: `async (app, services) => { app.get('/api/v1/sites', { preHandler: requireRole('admin') }, …) }`. */
export type CloudRoutes = (app: FastifyInstance, services: CloudServices) => Promise<void> | void;

export interface CloudApp {
  app: FastifyInstance;
  services: CloudServices;
}

const principalKey = (principal: Principal) =>
  principal.kind === 'user' ? `user:${principal.userId}` : principal.kind === 'api-token' ? `api-token:${principal.tokenId}` : `gateway:${principal.tokenId}`;

/**
 * Gives every authenticated API route without a limit of its own a rate limit per caller (user or
 * API token). Added before the rate-limit plugin, whose onRoute hook then sees the limit; checked
 * at preHandler, after the authentication hook has named the caller.
 */
function limitRatePerPrincipal(app: FastifyInstance, perMinute: number): void {
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { access?: Parameters<typeof accessOf>[1]; rateLimit?: unknown };
    if (config.rateLimit !== undefined || accessOf(route.url, config.access) !== 'authenticated') return;
    route.config = {
      ...config,
      rateLimit: {
        max: perMinute,
        timeWindow: 60_000,
        hook: 'preHandler',
        keyGenerator: (request: FastifyRequest) => (request.principal ? principalKey(request.principal) : `ip:${request.ip}`),
      },
    };
  });
}

/** Largest body of the JSON API routes (login, admin); ingest has its own limits. */
const apiBodyLimitBytes = 64 * 1024;
const sweepEveryMs = 10 * 60_000;

/**
 * The cloud's HTTP app: authentication (gateway tokens, API tokens, session cookie), login,
 * ingest, token / user / audit administration, OpenAPI at /docs. Store and database belong to
 * the caller (closing the app closes neither).
 */
export async function buildCloudApp(options: CloudAppOptions): Promise<CloudApp> {
  if (options.cookieSecret.length < 32) throw new Error('cookieSecret must be at least 32 characters');
  const services = options.services ?? createCloudServices(options.database, options);
  const { repositories, auditor, clock } = services;
  const limits: IngestLimits = { ...defaultIngestLimits, ...options.ingest };

  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: apiBodyLimitBytes,
    trustProxy: options.trustProxy ?? false,
    // Fastify logs requests by method, url, address, status and time; never headers (tokens, cookies).
  });

  registerErrorHandling(app);
  limitRatePerPrincipal(app, options.apiRatePerMinute ?? 1200);
  await app.register(fastifyCookie, { secret: options.cookieSecret, hook: 'onRequest' });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => Object.assign(new Error('too many requests'), { statusCode: context.statusCode }),
  });
  if (options.docs ?? true) {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'sensorbro cloud', version: '1', description: 'Ingest for gateways; REST API for the kommune (DESIGN.md §2).' },
        components: {
          securitySchemes: {
            gatewayToken: { type: 'http', scheme: 'bearer', description: 'Gateway token sbg_…; only POST /api/v1/ingest.' },
            apiToken: { type: 'http', scheme: 'bearer', description: 'API token sba_… of one kommune, with roles.' },
            session: { type: 'apiKey', in: 'cookie', name: 'sensorbro_session', description: 'Session cookie set by POST /api/v1/login.' },
          },
        },
      },
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  }

  registerAuthentication(app, {
    gatewayTokens: services.gatewayTokens,
    apiTokens: services.apiTokens,
    sessions: services.sessions,
    publicOrigins: normalizeOrigins(options.publicOrigins ?? []),
  });

  await app.register(ingestRoute, { store: options.store, health: repositories.gatewayHealth, limits, now: clock });
  await app.register(loginRoutes, {
    passwordProvider: services.passwordProvider,
    directory: services.directory,
    sessions: services.sessions,
    users: repositories.users,
    auditor,
    loginRatePerMinute: options.loginRatePerMinute ?? 10,
  });
  await app.register(usersRoutes, { users: repositories.users, userService: services.users, auditor });
  await app.register(apiTokenRoutes, { apiTokens: services.apiTokens, auditor, now: clock });
  await app.register(gatewayTokenRoutes, { gatewayTokens: services.gatewayTokens, auditor });
  await app.register(auditRoutes, { audit: repositories.audit });
  for (const routes of options.routes ?? []) await app.register(async (scope) => routes(scope, services));

  const sweep = () => {
    try {
      services.sessions.sweep();
      services.gatewayTokens.sweep();
    } catch (error) {
      app.log.error({ err: error }, 'sweep of expired sessions and tokens failed');
    }
  };
  const sweeper = setInterval(sweep, sweepEveryMs);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));
  sweep();

  return { app, services };
}
