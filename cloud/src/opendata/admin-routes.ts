import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../api/auth/require-role.js';
import type { Principal } from '../api/principal.js';
import { routeSchema } from '../api/route-schema.js';
import type { CloudServices } from '../services.js';
import { ccBy4, openDatasetKind } from './datasets.js';
import { datasetPath } from './dcat.js';
import type { PublicDataset, PublicDatasetRepository } from './repository.js';

const params = z.strictObject({ dataset: z.string().min(1).max(64) });
const publishBody = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  description: z.string().trim().min(1).max(4000).optional(),
  license: z.url({ protocol: /^https?$/, message: 'must be the http(s) URL of the license, e.g. https://creativecommons.org/licenses/by/4.0/' }).default(ccBy4),
  keywords: z.array(z.string().trim().min(1).max(60)).max(20).optional(),
  contactEmail: z.email().max(200).optional(),
});

const withLinks = (dataset: PublicDataset) => {
  const path = datasetPath(dataset.kommune, dataset.dataset);
  return {
    ...dataset,
    links: {
      catalog: `/open/v1/${dataset.kommune}/catalog.jsonld`,
      latest: [`${path}/latest.json`, `${path}/latest.csv`],
      records: [`${path}/records.csv`, `${path}/records.ndjson`],
    },
  };
};

/**
 * Admin API of open data: list, publish (or change the metadata of) and unpublish the kommune's
 * datasets. Standards with personal data are refused with the reason. Audited.
 */
export function registerOpenDataAdmin(app: FastifyInstance, services: CloudServices, repository: PublicDatasetRepository): void {
  const admin = requireRole('admin');
  const security: Record<string, string[]>[] = [{ session: [] }, { apiToken: [] }];
  const kommuneOf = (principal: Principal | undefined) => (principal as Principal).kommune;

  app.get('/api/v1/opendata/datasets', { preHandler: admin, ...routeSchema({ summary: 'The published open datasets', tags: ['opendata'], security }) }, async (request) =>
    repository.list(kommuneOf(request.principal)).map(withLinks),
  );

  app.put(
    '/api/v1/opendata/datasets/:dataset',
    { preHandler: admin, ...routeSchema({ summary: 'Publish an open dataset (or change its title, description, license)', tags: ['opendata'], security, params, body: publishBody }) },
    async (request, reply) => {
      const { dataset } = request.params as z.infer<typeof params>;
      const body = request.body as z.infer<typeof publishBody>;
      const found = openDatasetKind(dataset);
      if ('refused' in found) return reply.code(400).send({ error: `dataset: ${found.refused}` });
      const { kind } = found;
      const kommune = kommuneOf(request.principal);
      const published = repository.publish(
        {
          kommune,
          dataset,
          standard: kind.standard,
          title: body.title ?? kind.title,
          description: body.description ?? kind.description,
          license: body.license,
          keywords: body.keywords ?? [...kind.keywords],
          ...(body.contactEmail !== undefined && { contactEmail: body.contactEmail }),
        },
        services.clock(),
      );
      services.auditor.record(request, 'opendata.publish', { target: dataset, detail: { license: published.license, title: published.title } });
      return withLinks(published);
    },
  );

  app.delete(
    '/api/v1/opendata/datasets/:dataset',
    { preHandler: admin, ...routeSchema({ summary: 'Unpublish an open dataset', tags: ['opendata'], security, params }) },
    async (request, reply) => {
      const { dataset } = request.params as z.infer<typeof params>;
      if (!repository.unpublish(kommuneOf(request.principal), dataset)) return reply.code(404).send({ error: `dataset ${dataset} is not published` });
      services.auditor.record(request, 'opendata.unpublish', { target: dataset });
      return reply.code(204).send();
    },
  );
}
