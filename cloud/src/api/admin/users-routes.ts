import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { maxPasswordLength, minPasswordLength } from '../../auth/password-hash.js';
import { EmailTakenError, type UserService } from '../../auth/user-service.js';
import type { UserRepository } from '../../db/users.js';
import type { Auditor } from '../audit.js';
import { requireRole } from '../auth/require-role.js';
import { routeSchema } from '../route-schema.js';
import { adminSecurity, errorBody, roleList } from './schemas.js';

export const newUserBody = z.strictObject({
  email: z.email().max(254),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(minPasswordLength).max(maxPasswordLength),
  roles: roleList,
});

const userView = z.object({ id: z.string(), email: z.string(), name: z.string(), roles: roleList, createdAt: z.string(), disabled: z.boolean() });
type UserView = z.infer<typeof userView>;

/** The kommune's users (admin): list, create. */
export async function usersRoutes(app: FastifyInstance, options: { users: UserRepository; userService: UserService; auditor: Auditor }): Promise<void> {
  const { users, userService, auditor } = options;

  app.get(
    '/api/v1/users',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({ summary: "The kommune's users and their roles", tags: ['users'], security: adminSecurity, response: { 200: z.array(userView) } }),
    },
    async (request) => {
      const kommune = request.principal!.kommune;
      return users.listInKommune(kommune).map(
        (user): UserView => ({ id: user.id, email: user.email, name: user.name, roles: user.roles, createdAt: user.createdAt, disabled: user.disabledAt !== null }),
      );
    },
  );

  app.post(
    '/api/v1/users',
    {
      preHandler: requireRole('admin'),
      ...routeSchema({
        summary: 'Create a user of the kommune with a password and roles',
        tags: ['users'],
        security: adminSecurity,
        body: newUserBody,
        response: { 201: userView, 400: errorBody, 409: errorBody },
      }),
    },
    async (request, reply) => {
      const kommune = request.principal!.kommune;
      const body = request.body as z.infer<typeof newUserBody>;
      try {
        const user = await userService.create({ kommune, email: body.email, name: body.name, password: body.password, roles: body.roles });
        auditor.record(request, 'user.created', { target: `user:${user.id}`, detail: { email: user.email, roles: user.roles } });
        return reply
          .code(201)
          .send({ id: user.id, email: user.email, name: user.name, roles: user.roles, createdAt: user.createdAt, disabled: false } satisfies UserView);
      } catch (error) {
        if (error instanceof EmailTakenError) return reply.code(409).send({ error: error.message });
        throw error;
      }
    },
  );
}
