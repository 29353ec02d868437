import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../principal.js';

/**
 * preHandler: the caller must be a user or API token holding one of `roles` in its kommune.
 * 401 without a principal, 403 for a gateway or without the role. Roles are not ranked: admin
 * passes only where 'admin' is named.
 *
 *   app.get('/api/v1/audit', { preHandler: requireRole('admin') }, handler)
 */
export function requireRole(...roles: readonly Role[]) {
  if (roles.length === 0) throw new Error('requireRole needs at least one role');
  return async function requireRoleHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const principal = request.principal;
    if (!principal) {
      await reply.code(401).send({ error: 'unauthorized' });
      return;
    }
    if (principal.kind === 'gateway' || !principal.roles.some((role) => roles.includes(role))) {
      await reply.code(403).send({ error: 'forbidden' });
    }
  };
}
