import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { fiwareMapping, type GeoJsonPoint, type NgsiLdEntity, type NgsiProperty, type StandardId } from '../../../standards/src/index.js';
import { requireRole } from '../api/auth/require-role.js';
import type { Principal } from '../api/principal.js';
import { routeSchema } from '../api/route-schema.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { utc } from './export-query.js';

/** The standard an asset's sensors report in, by the asset's kind in the registry. */
const standardOfKind: Record<string, StandardId> = {
  'waste-container': 'fill-level/1',
  'water-level-logger': 'water-level/1',
  meter: 'meter-reading/1',
  door: 'door-lock/1',
};

const dayMs = 24 * 60 * 60 * 1000;
const ldJson = 'application/ld+json; charset=utf-8';
const params = z.strictObject({ assetId: z.string().min(1).max(128) });
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time with Z or an offset' });

export interface NgsiLdLimits {
  /** Longest [from, to) of a temporal representation. */
  maxTemporalDays: number;
  /** Most observations in one temporal representation (it is one JSON document, built in memory). */
  maxTemporalInstances: number;
}

type Attribute = NgsiLdEntity[string];
const entityKeys = new Set(['id', 'type', '@context']);

/**
 * NGSI-LD temporal representation (ETSI GS CIM 009, §4.5.7): each attribute an array of its
 * instances over time: observed Properties each time, the rest (Relationships, location, described
 * Properties) only when they changed.
 */
function temporalOf(first: NgsiLdEntity): { add(entity: NgsiLdEntity): void; entity(): Record<string, unknown> } {
  const attributes = new Map<string, Attribute[]>();
  return {
    add(entity) {
      for (const [name, value] of Object.entries(entity)) {
        if (entityKeys.has(name)) continue;
        const instances = attributes.get(name) ?? [];
        attributes.set(name, instances);
        if (Array.isArray(value)) instances.push(...(value as NgsiProperty[]));
        else if (typeof value === 'object' && value !== null && 'observedAt' in value) instances.push(value as Attribute);
        else if (JSON.stringify(instances.at(-1)) !== JSON.stringify(value)) instances.push(value as Attribute);
      }
    },
    entity: () => ({ id: first.id, type: first.type, ...Object.fromEntries(attributes), '@context': first['@context'] }),
  };
}

/**
 * GET /api/v1/assets/:assetId/ngsi-ld: the asset's newest observation as its FIWARE Smart Data
 * Model entity (standards/src/ngsi-ld), with the registry's location; and
 * GET /api/v1/assets/:assetId/ngsi-ld/temporal?from&to: its temporal representation. An asset of
 * another kommune is not found.
 */
export function registerNgsiLdRoutes(app: FastifyInstance, store: TimeSeriesStore, registry: RegistryRepository, limits: NgsiLdLimits): void {
  const readers = requireRole('admin', 'technician', 'energi', 'affald');
  const temporalQuery = z
    .strictObject({ from: instant, to: instant })
    .superRefine((query, ctx) => {
      const from = Date.parse(query.from);
      const to = Date.parse(query.to);
      if (!(from < to)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
      else if (to - from > limits.maxTemporalDays * dayMs) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${limits.maxTemporalDays} days after from` });
    });

  async function newestEntity(kommune: string, assetId: string) {
    const asset = registry.get(kommune, 'assets', assetId);
    if (!asset) return { error: `no asset ${assetId}` } as const;
    const standard = standardOfKind[asset.kind]!;
    const location: GeoJsonPoint | undefined =
      asset.latitude !== undefined && asset.longitude !== undefined ? { type: 'Point', coordinates: [asset.longitude, asset.latitude] } : undefined;
    const [record] = await store.latest({ kommune, standard, assetIds: [assetId], limit: 1 });
    if (!record) return { error: `asset ${assetId} has no observations yet` } as const;
    const [entity] = fiwareMapping.toEntities(record, location ? { location } : {});
    return { entity: entity!, standard, location };
  }

  const security: Record<string, string[]>[] = [{ session: [] }, { apiToken: [] }];
  app.get(
    '/api/v1/assets/:assetId/ngsi-ld',
    { preHandler: readers, ...routeSchema({ summary: "The asset's newest state as an NGSI-LD entity (FIWARE)", tags: ['export'], security, params }) },
    async (request, reply) => {
      const { assetId } = request.params as z.infer<typeof params>;
      const found = await newestEntity((request.principal as Principal).kommune, assetId);
      if ('error' in found) return reply.code(404).send({ error: found.error });
      return reply.type(ldJson).send(JSON.stringify(found.entity));
    },
  );

  app.get(
    '/api/v1/assets/:assetId/ngsi-ld/temporal',
    {
      preHandler: readers,
      ...routeSchema({ summary: "The asset's observations in [from, to) as an NGSI-LD temporal representation", tags: ['export'], security, params, querystring: temporalQuery }),
    },
    async (request, reply) => {
      const kommune = (request.principal as Principal).kommune;
      const { assetId } = request.params as z.infer<typeof params>;
      const { from, to } = request.query as z.infer<typeof temporalQuery>;
      const found = await newestEntity(kommune, assetId);
      if ('error' in found) return reply.code(404).send({ error: found.error });
      const temporal = temporalOf(found.entity);
      let count = 0;
      for await (const record of store.raw({ kommune, standard: found.standard, assetId, from: utc(from), to: utc(to) })) {
        if (++count > limits.maxTemporalInstances) {
          return reply.code(400).send({ error: `to: more than ${limits.maxTemporalInstances} observations from ${from}; choose a shorter range` });
        }
        const [entity] = fiwareMapping.toEntities(record, found.location ? { location: found.location } : {});
        temporal.add(entity!);
      }
      return reply.type(ldJson).send(JSON.stringify(temporal.entity()));
    },
  );
}
