import type { FastifyRequest } from 'fastify';
import type { SensorRecord } from '../../../standards/src/index.js';
import { requireRole } from '../api/auth/require-role.js';
import { HttpError } from '../api/errors.js';
import { routeSchema, type RouteSchemas } from '../api/route-schema.js';
import type { EntityOf, RegistryRepository } from '../registry/repository.js';
import type { EntityKind } from '../registry/schema.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { security } from './query-schemas.js';

/** Every role reads the query API. */
const readers = requireRole('admin', 'technician', 'energi', 'affald');

/** Options of a query API route: read by every role, documented under `tag` with the API's security. */
export function readerRoute(tag: 'query' | 'health', schemas: Omit<RouteSchemas, 'tags' | 'security'>) {
  return { preHandler: readers, ...routeSchema({ ...schemas, tags: [tag], security }) };
}

/** The caller's kommune (the authentication hook and requireRole ran before the handler). */
export function kommuneOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (!principal) throw new HttpError(401, 'unauthorized');
  return principal.kommune;
}

/** A store query; an invalid query (the store's RangeError) is the client's 400 with its message. */
export async function storeQuery<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RangeError) throw new HttpError(400, error.message);
    throw error;
  }
}

/**
 * An asset of the kommune: its registry entry (null when unregistered) and its latest records (read
 * from the store at most once, when first asked). One neither registered nor reporting is 404, so
 * another kommune's assets stay hidden.
 */
export async function assetOrNotFound(
  registry: RegistryRepository,
  store: TimeSeriesStore,
  kommune: string,
  assetId: string,
): Promise<{ asset: EntityOf<'assets'> | null; latest: () => Promise<SensorRecord[]> }> {
  const asset = registry.get(kommune, 'assets', assetId) ?? null;
  let records: SensorRecord[] | undefined;
  const latest = async () => (records ??= await storeQuery(() => store.latest({ kommune, assetIds: [assetId] })));
  if (asset === null && (await latest()).length === 0) throw new HttpError(404, `no asset ${assetId}`);
  return { asset, latest };
}

/** A site of the kommune, or 404. */
export function siteOrNotFound(registry: RegistryRepository, kommune: string, siteId: string): EntityOf<'sites'> {
  const site = registry.get(kommune, 'sites', siteId);
  if (!site) throw new HttpError(404, `no site ${siteId}`);
  return site;
}

/** The registry entries of the assets the registry places at a site. */
export function assetsAtSite(registry: RegistryRepository, kommune: string, siteId: string): EntityOf<'assets'>[] {
  return registry.assetsOfSite(kommune, siteId).map((assetId) => registry.get(kommune, 'assets', assetId)!);
}

const registryPage = 5_000;

/** Every entity of a kind in the kommune, in id order. */
export function listAll<K extends EntityKind>(registry: RegistryRepository, kommune: string, kind: K): EntityOf<K>[] {
  const all: EntityOf<K>[] = [];
  for (;;) {
    const last = all.at(-1) as Record<string, unknown> | undefined;
    const afterId = last === undefined ? undefined : String(kind === 'devices' ? last.deviceKey : last.id);
    const page = registry.list(kommune, kind, { ...(afterId !== undefined && { afterId }), limit: registryPage });
    all.push(...page);
    if (page.length < registryPage) return all;
  }
}
