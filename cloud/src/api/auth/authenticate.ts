import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiTokenService } from '../../auth/api-tokens.js';
import type { GatewayTokenService } from '../../auth/gateway-tokens.js';
import type { SessionService } from '../../auth/session-service.js';
import type { Principal } from '../principal.js';
import { accessOf } from '../route-access.js';
import { isStateChanging, originAllowed } from './origin-check.js';
import { readSessionCookie } from './session-cookie.js';

export interface AuthenticationOptions {
  gatewayTokens: GatewayTokenService;
  apiTokens: ApiTokenService;
  sessions: SessionService;
  /** Origins of the cloud for the CSRF check; empty: the origin each request was addressed to. */
  publicOrigins: readonly string[];
}

const bearerPattern = /^Bearer +(\S+) *$/i;

/** 401 with nothing that tells a wrong token from a revoked or unknown one. */
function unauthorized(reply: FastifyReply): FastifyReply {
  return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
}

/**
 * The authentication hook (onRequest, before the body is read): sets `request.principal` from
 *   (a) `Authorization: Bearer sbg_…` → gateway, accepted only on routes with access 'gateway';
 *   (b) `Authorization: Bearer sba_…` → API token, accepted everywhere but the gateway routes;
 *   (c) the signed session cookie → user (with the CSRF origin check on state changes).
 * An Authorization header that does not verify is refused with 401 (never a fall-back to the
 * cookie). Then the route's access (route-access.ts) is enforced.
 */
export function registerAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  const { gatewayTokens, apiTokens, sessions, publicOrigins } = options;

  function fromBearer(header: string, gatewayRoute: boolean): Principal | undefined {
    const token = bearerPattern.exec(header)?.[1];
    if (token === undefined) return undefined;
    if (token.startsWith('sbg_')) return gatewayRoute ? gatewayTokens.verify(token) : undefined;
    if (token.startsWith('sba_')) return gatewayRoute ? undefined : apiTokens.verify(token);
    return undefined;
  }

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = accessOf(request.url, request.routeOptions.config?.access);
    if (access === 'integration') return undefined;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const principal = fromBearer(header, access === 'gateway');
      if (!principal) return unauthorized(reply);
      request.principal = principal;
    } else if (access !== 'gateway') {
      const secret = readSessionCookie(request);
      const session = secret === undefined ? undefined : sessions.resolve(secret);
      if (session) request.principal = session.principal;
    }

    if (access !== 'gateway' && isStateChanging(request.method)) {
      const cookieAuthenticated = request.principal?.kind === 'user';
      const claimsOrigin = request.headers.origin !== undefined;
      if ((cookieAuthenticated || claimsOrigin) && !originAllowed(request, publicOrigins)) {
        request.log.warn({ origin: request.headers.origin ?? null, method: request.method, url: request.url }, 'cross-origin request refused');
        return reply.code(403).send({ error: 'cross-origin request refused' });
      }
    }

    if (access === 'public') return undefined;
    if (!request.principal) return unauthorized(reply);
    if ((access === 'gateway') !== (request.principal.kind === 'gateway')) return unauthorized(reply);
    return undefined;
  });
}
