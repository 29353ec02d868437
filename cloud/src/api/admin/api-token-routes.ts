import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiTokenService } from '../../auth/api-tokens.js';
import type { Clock } from '../../clock.js';
import type { Auditor } from '../audit.js';
import { actorOf } from '../audit.js';
import { requireRole } from '../auth/require-role.js';
import { routeSchema } from '../route-schema.js';
import { adminSecurity, errorBody, roleList, tokenIdParams } from './schemas.js';

export const newApiTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  roles: roleList,
  /** Omitted: valid until revoked. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

const apiTokenView = z.object({
  id: z.string(),
  name: z.string(),
  roles: roleList,
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  active: z.boolean(),
});
const issuedView = apiTokenView.extend({ token: z.string().meta({ description: 'Shown this once; keep it secret.' }) });

/** API tokens of the kommune (admin): issue (the token is shown once), list, revoke. */
export async function apiTokenRoutes(app: FastifyInstance, options: { apiTokens: ApiTokenService; auditor: Auditor; now: Clock }): Promise<void> {
  const { apiTokens, auditor, now } = options;
  const view = ({ kommune: _kommune, ...rest }: ReturnType<ApiTokenService['list']>[number]) => rest;

  app.get(
    '/api/v1/api-tokens',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({ summary: "The kommune's API tokens (never the tokens themselves)", tags: ['tokens'], security: adminSecurity, response: { 200: z.array(apiTokenView) } }),
    },
    async (request) => apiTokens.list(request.principal!.kommune).map(view),
  );

  app.post(
    '/api/v1/api-tokens',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({
        summary: 'Issue an API token with roles; the answer shows it once',
        tags: ['tokens'],
        security: adminSecurity,
        body: newApiTokenBody,
        response: { 201: issuedView, 400: errorBody },
      }),
    },
    async (request, reply) => {
      const principal = request.principal!;
      const body = request.body as z.infer<typeof newApiTokenBody>;
      const expiresAt = body.expiresInDays === undefined ? undefined : new Date(now().getTime() + body.expiresInDays * 86_400_000);
      const issued = apiTokens.issue(principal.kommune, { name: body.name, roles: body.roles, createdBy: actorOf(principal), ...(expiresAt ? { expiresAt } : {}) });
      auditor.record(request, 'api-token.created', { target: `api-token:${issued.id}`, detail: { name: issued.name, roles: issued.roles, expiresAt: issued.expiresAt } });
      const { kommune: _kommune, ...shown } = issued;
      return reply.code(201).header('cache-control', 'no-store').send(shown);
    },
  );

  app.delete(
    '/api/v1/api-tokens/:id',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({ summary: 'Revoke an API token', tags: ['tokens'], security: adminSecurity, params: tokenIdParams, response: { 404: errorBody } }),
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof tokenIdParams>;
      if (!apiTokens.revoke(request.principal!.kommune, id)) return reply.code(404).send({ error: 'no such active token' });
      auditor.record(request, 'api-token.revoked', { target: `api-token:${id}` });
      return reply.code(204).send();
    },
  );
}
