import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditLogRepository } from '../../db/audit-log.js';
import { requireRole } from '../auth/require-role.js';
import { routeSchema } from '../route-schema.js';
import { adminSecurity } from './schemas.js';

const auditQuery = z.strictObject({
  /** Oldest first after this seq (following the log); without it, newest first (before `before`). */
  after: z.coerce.number().int().min(0).optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const entryView = z.object({
  seq: z.number(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  remoteAddress: z.string().nullable(),
});

/** The kommune's audit log (admin). */
export async function auditRoutes(app: FastifyInstance, options: { audit: AuditLogRepository }): Promise<void> {
  app.get(
    '/api/v1/audit',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({ summary: "The kommune's audit log", tags: ['audit'], security: adminSecurity, querystring: auditQuery, response: { 200: z.array(entryView) } }),
    },
    async (request) => {
      const query = request.query as z.infer<typeof auditQuery>;
      return options.audit
        .list(request.principal!.kommune, {
          limit: query.limit,
          ...(query.after !== undefined ? { afterSeq: query.after } : {}),
          ...(query.before !== undefined ? { beforeSeq: query.before } : {}),
        })
        .map(({ kommune: _kommune, ...rest }) => rest);
    },
  );
}
