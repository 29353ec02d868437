import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CloudRoutes } from '../app.js';
import type { Principal } from '../api/principal.js';
import { requireRole } from '../api/auth/require-role.js';
import type { CloudDatabase } from '../db/index.js';
import type { CloudServices } from '../services.js';
import { CsvError, csvToInputs } from './csv.js';
import { registryMigrations } from './migrations.js';
import { RegistryError, RegistryRepository } from './repository.js';
import type { EntityKind } from './schema.js';

const kinds: readonly EntityKind[] = ['sites', 'assets', 'devices', 'gateways'];
const maxCsvBytes = 8 * 1024 * 1024;
const listQuery = z.object({ afterId: z.string().max(128).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) });
const idParams = z.object({ id: z.string().min(1).max(128) });

const readers = requireRole('admin', 'technician', 'energi', 'affald');
const writers = requireRole('admin', 'technician');

function kommuneOf(request: FastifyRequest): string {
  return (request.principal as Principal).kommune;
}

function answer(reply: FastifyReply, error: unknown) {
  if (error instanceof RegistryError) return reply.code(error.status).send({ error: error.message });
  if (error instanceof CsvError) return reply.code(400).send({ error: error.message });
  throw error;
}

/**
 * The registry API: CRUD of a kommune's sites, assets, devices and gateways under
 * /api/v1/registry/<kind>, and a CSV import per kind (all rows or none). Read by every role;
 * changed by admin and technician; every change audited.
 */
export function registryRoutes(database: CloudDatabase): { routes: CloudRoutes; repository: RegistryRepository } {
  database.migrate('registry', registryMigrations);
  const repository = new RegistryRepository(database.db);
  const routes = (app: FastifyInstance, services: CloudServices) => {
    app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: maxCsvBytes }, (_request, body, done) => done(null, body));
    for (const kind of kinds) {
      const base = `/api/v1/registry/${kind}`;
      app.get(base, { preHandler: readers, schema: { tags: ['registry'] } }, async (request, reply) => {
        const query = listQuery.safeParse(request.query);
        if (!query.success) return reply.code(400).send({ error: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        return repository.list(kommuneOf(request), kind, query.data);
      });
      app.get(`${base}/:id`, { preHandler: readers, schema: { tags: ['registry'] } }, async (request, reply) => {
        const { id } = idParams.parse(request.params);
        const entity = repository.get(kommuneOf(request), kind, id);
        return entity ?? reply.code(404).send({ error: `no ${kind.slice(0, -1)} ${id}` });
      });
      app.put(`${base}/:id`, { preHandler: writers, schema: { tags: ['registry'] } }, async (request, reply) => {
        const { id } = idParams.parse(request.params);
        const body = request.body as Record<string, unknown> | undefined;
        const key = kind === 'devices' ? 'deviceKey' : 'id';
        if (body === null || typeof body !== 'object' || String(body[key] ?? '').toLowerCase() !== id.toLowerCase()) {
          return reply.code(400).send({ error: `${key}: must equal the id in the path (${id})` });
        }
        try {
          const stored = repository.put(kommuneOf(request), kind, body);
          services.auditor.record(request, `registry.${kind}.put`, { target: id });
          return stored;
        } catch (error) {
          return answer(reply, error);
        }
      });
      app.delete(`${base}/:id`, { preHandler: writers, schema: { tags: ['registry'] } }, async (request, reply) => {
        const { id } = idParams.parse(request.params);
        try {
          repository.remove(kommuneOf(request), kind, id);
          services.auditor.record(request, `registry.${kind}.delete`, { target: id });
          return reply.code(204).send();
        } catch (error) {
          return answer(reply, error);
        }
      });
      app.post(`${base}/import`, { preHandler: writers, schema: { tags: ['registry'] } }, async (request, reply) => {
        if (typeof request.body !== 'string') return reply.code(415).send({ error: 'send the CSV file as text/csv' });
        try {
          const result = repository.putMany(kommuneOf(request), kind, csvToInputs(kind, request.body));
          services.auditor.record(request, `registry.${kind}.import`, { detail: { rows: result.stored } });
          return result;
        } catch (error) {
          return answer(reply, error);
        }
      });
    }
  };
  return { routes, repository };
}
