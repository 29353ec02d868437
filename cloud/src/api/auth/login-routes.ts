import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/rate-limit';
import { z } from 'zod';
import { kommuneCode } from '../../../../standards/src/index.js';
import type { PasswordIdentityProvider } from '../../auth/password-provider.js';
import { maxPasswordLength } from '../../auth/password-hash.js';
import type { SessionService } from '../../auth/session-service.js';
import type { UserDirectory } from '../../auth/user-directory.js';
import type { UserRepository } from '../../db/users.js';
import type { Auditor } from '../audit.js';
import { roles } from '../principal.js';
import { routeSchema } from '../route-schema.js';
import { clearSessionCookie, setSessionCookie } from './session-cookie.js';

export interface LoginRoutesOptions {
  passwordProvider: PasswordIdentityProvider;
  directory: UserDirectory;
  sessions: SessionService;
  users: UserRepository;
  auditor: Auditor;
  /** Login attempts per client address per minute. */
  loginRatePerMinute: number;
}

export const loginBody = z.strictObject({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(maxPasswordLength),
  kommune: kommuneCode,
});

const errorBody = z.object({ error: z.string() });

export const meResponse = z.object({
  kind: z.enum(['user', 'api-token']),
  kommune: kommuneCode,
  roles: z.array(z.enum(roles as [string, ...string[]])),
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }).optional(),
  tokenId: z.string().optional(),
});
type Me = z.infer<typeof meResponse>;

const sessionSecurity = [{ session: [] }];

/**
 * POST /api/v1/login (password provider → user directory → session cookie), POST /api/v1/logout,
 * GET /api/v1/me. A failed login says only "invalid credentials", whatever failed (unknown
 * e-mail, wrong password, no role in that kommune, disabled user); it is rate-limited per client
 * address and audited, success too.
 */
export async function loginRoutes(app: FastifyInstance, options: LoginRoutesOptions): Promise<void> {
  const { passwordProvider, directory, sessions, users, auditor } = options;

  app.post(
    '/api/v1/login',
    {
      config: {
        access: 'public',
        rateLimit: { max: options.loginRatePerMinute, timeWindow: 60_000, keyGenerator: (request) => `login:${request.ip}` },
      },
      ...routeSchema({
        summary: 'Log in with e-mail and password for one kommune; sets the session cookie',
        tags: ['auth'],
        body: loginBody,
        response: { 200: meResponse, 401: errorBody, 429: errorBody },
      }),
    },
    async (request, reply) => {
      const body = request.body as z.infer<typeof loginBody>;
      const identity = await passwordProvider.verify(body);
      const resolved = identity ? directory.resolve(identity) : undefined;
      if (!identity || !resolved) {
        auditor.record(request, 'login.failed', {
          kommune: body.kommune,
          actor: 'anonymous',
          target: `email:${body.email.toLowerCase()}`,
          detail: { provider: passwordProvider.id },
        });
        return reply.code(401).send({ error: 'invalid credentials' });
      }
      // A new session id at every login (no fixation); a session the browser still had ends.
      if (request.principal?.kind === 'user') sessions.end(request.principal.sessionId);
      const session = sessions.start(resolved.user.id, resolved.kommune, identity.provider, request.ip);
      setSessionCookie(request, reply, session.secret, sessions.ttlMs);
      auditor.record(request, 'login.succeeded', {
        kommune: resolved.kommune,
        actor: `user:${resolved.user.id}`,
        target: `user:${resolved.user.id}`,
        detail: { provider: identity.provider },
      });
      return {
        kind: 'user',
        kommune: resolved.kommune,
        roles: resolved.roles,
        user: { id: resolved.user.id, email: resolved.user.email, name: resolved.user.name },
      } satisfies Me;
    },
  );

  app.post(
    '/api/v1/logout',
    {
      config: { access: 'public' },
      ...routeSchema({ summary: 'End the session and clear its cookie', tags: ['auth'], security: sessionSecurity }),
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.kind === 'user') {
        sessions.end(principal.sessionId);
        auditor.record(request, 'logout', { target: `user:${principal.userId}` });
      }
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/me',
    routeSchema({
      summary: 'Who is calling: kommune, roles, user or API token',
      tags: ['auth'],
      security: [{ session: [] }, { apiToken: [] }],
      response: { 200: meResponse, 401: errorBody },
    }),
    async (request, reply) => {
      const principal = request.principal;
      if (!principal || principal.kind === 'gateway') return reply.code(401).send({ error: 'unauthorized' });
      if (principal.kind === 'api-token') {
        return { kind: 'api-token', kommune: principal.kommune, roles: [...principal.roles], tokenId: principal.tokenId } satisfies Me;
      }
      const user = users.getById(principal.userId);
      if (!user) return reply.code(401).send({ error: 'unauthorized' });
      return {
        kind: 'user',
        kommune: principal.kommune,
        roles: [...principal.roles],
        user: { id: user.id, email: user.email, name: user.name },
      } satisfies Me;
    },
  );
}
