import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf, type Auditor } from '../api/audit.js';
import { adminSecurity, errorBody, tokenIdParams } from '../api/admin/schemas.js';
import { requireRole } from '../api/auth/require-role.js';
import { routeSchema } from '../api/route-schema.js';
import { integrationKinds, type IntegrationKeys } from './integration-keys.js';

export const newIntegrationKeyBody = z.strictObject({
  integration: z.enum(integrationKinds),
  /** Names the sender; records carry `<integration>:<name>` as gatewayId, the same across key rotations. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and - (at most 63), e.g. aarhus-chirpstack'),
});

const keyView = z.object({
  id: z.string(),
  integration: z.enum(integrationKinds),
  name: z.string(),
  gatewayId: z.string(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  active: z.boolean(),
});
const issuedView = keyView.extend({ key: z.string().meta({ description: 'Shown this once; put it into the sender\'s Authorization header.' }) });

/** The kommune's integration keys (admin: issue, shown once; list; revoke; all audited). */
export async function integrationAdminRoutes(app: FastifyInstance, options: { keys: IntegrationKeys; auditor: Auditor }): Promise<void> {
  const { keys, auditor } = options;

  app.get(
    '/api/v1/integrations/keys',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({ summary: "The kommune's integration keys (never the keys themselves)", tags: ['integrations'], security: adminSecurity, response: { 200: z.array(keyView) } }),
    },
    async (request) => keys.list(request.principal!.kommune),
  );

  app.post(
    '/api/v1/integrations/keys',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({
        summary: 'Issue an integration key (ChirpStack HTTP integration or OS2iot data target); the answer shows it once',
        description: 'An integration key may only push uplinks to its integration\'s endpoint; it opens nothing else.',
        tags: ['integrations'],
        security: adminSecurity,
        body: newIntegrationKeyBody,
        response: { 201: issuedView, 400: errorBody },
      }),
    },
    async (request, reply) => {
      const principal = request.principal!;
      const body = request.body as z.infer<typeof newIntegrationKeyBody>;
      const issued = keys.issue(principal.kommune, { ...body, createdBy: actorOf(principal) });
      auditor.record(request, 'integration-key.created', { target: `integration-key:${issued.id}`, detail: { integration: issued.integration, name: issued.name } });
      return reply.code(201).header('cache-control', 'no-store').send(issued);
    },
  );

  app.delete(
    '/api/v1/integrations/keys/:id',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({ summary: 'Revoke an integration key', tags: ['integrations'], security: adminSecurity, params: tokenIdParams, response: { 404: errorBody } }),
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof tokenIdParams>;
      if (!keys.revoke(request.principal!.kommune, id)) return reply.code(404).send({ error: 'no such active key' });
      auditor.record(request, 'integration-key.revoked', { target: `integration-key:${id}` });
      return reply.code(204).send();
    },
  );
}
