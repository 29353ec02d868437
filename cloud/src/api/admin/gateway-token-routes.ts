import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { GatewayTokenService } from '../../auth/gateway-tokens.js';
import type { Auditor } from '../audit.js';
import { actorOf } from '../audit.js';
import { requireRole } from '../auth/require-role.js';
import { routeSchema } from '../route-schema.js';
import { adminSecurity, errorBody, gatewayIdSchema, tokenIdParams } from './schemas.js';

export const issueGatewayTokenBody = z.strictObject({
  gatewayId: gatewayIdSchema,
  /** How long the gateway's current tokens stay valid (rotation); default 24 h, 0: revoked at once. */
  graceSeconds: z.number().int().min(0).max(30 * 86_400).optional(),
});

const tokenView = z.object({
  id: z.string(),
  gatewayId: z.string(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  rotatedFrom: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  active: z.boolean(),
});
const issuedView = z.object({
  id: z.string(),
  gatewayId: z.string(),
  token: z.string().meta({ description: "Shown this once: put it in the gateway's configuration (cloud.token)." }),
  createdAt: z.string(),
  rotatedFrom: z.string().nullable(),
  previousValidUntil: z.string().nullable(),
});
const listQuery = z.strictObject({ gatewayId: gatewayIdSchema.optional() });

/**
 * Gateway tokens of the kommune (admin): issue or rotate (the token is shown once), list, revoke.
 * The gateways' health is the query API's GET /api/v1/gateways/health.
 */
export async function gatewayTokenRoutes(
  app: FastifyInstance,
  options: { gatewayTokens: GatewayTokenService; auditor: Auditor },
): Promise<void> {
  const { gatewayTokens, auditor } = options;

  app.get(
    '/api/v1/gateway-tokens',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({ summary: "The kommune's gateway tokens (never the tokens themselves)", tags: ['tokens'], security: adminSecurity, querystring: listQuery, response: { 200: z.array(tokenView) } }),
    },
    async (request) => {
      const { gatewayId } = request.query as z.infer<typeof listQuery>;
      return gatewayTokens.list(request.principal!.kommune, gatewayId).map(({ kommune: _kommune, ...rest }) => rest);
    },
  );

  app.post(
    '/api/v1/gateway-tokens',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({
        summary: 'Issue a token for a gateway; its current tokens stay valid for the grace period (rotation)',
        tags: ['tokens'],
        security: adminSecurity,
        body: issueGatewayTokenBody,
        response: { 201: issuedView, 400: errorBody },
      }),
    },
    async (request, reply) => {
      const principal = request.principal!;
      const body = request.body as z.infer<typeof issueGatewayTokenBody>;
      const issued = gatewayTokens.issue(principal.kommune, body.gatewayId, {
        createdBy: actorOf(principal),
        ...(body.graceSeconds !== undefined ? { graceMs: body.graceSeconds * 1000 } : {}),
      });
      auditor.record(request, issued.rotatedFrom ? 'gateway-token.rotated' : 'gateway-token.issued', {
        target: `gateway:${issued.gatewayId}`,
        detail: { tokenId: issued.id, rotatedFrom: issued.rotatedFrom, previousValidUntil: issued.previousValidUntil },
      });
      const { kommune: _kommune, ...shown } = issued;
      return reply.code(201).header('cache-control', 'no-store').send(shown);
    },
  );

  app.delete(
    '/api/v1/gateway-tokens/:id',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({ summary: 'Revoke a gateway token at once', tags: ['tokens'], security: adminSecurity, params: tokenIdParams, response: { 404: errorBody } }),
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof tokenIdParams>;
      if (!gatewayTokens.revoke(request.principal!.kommune, id)) return reply.code(404).send({ error: 'no such active token' });
      auditor.record(request, 'gateway-token.revoked', { target: `gateway-token:${id}` });
      return reply.code(204).send();
    },
  );
}
