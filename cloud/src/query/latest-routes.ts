import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { HttpError } from '../api/errors.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { standardOfKind } from './asset-kinds.js';
import { decodeCursor, pageOf } from './latest-page.js';
import {
  assetLatest,
  assetParams,
  errorBody,
  latestPage,
  latestQuery,
  siteLatest,
  siteLatestQuery,
  siteParams,
} from './query-schemas.js';
import { assetOrNotFound, assetsAtSite, kommuneOf, readerRoute, siteOrNotFound, storeQuery } from './route-helpers.js';

/** Latest state: of one asset, of the kommune's fleet (paged), of a site. */
export function latestRoutes(app: FastifyInstance, options: { store: TimeSeriesStore; registry: RegistryRepository }): void {
  const { store, registry } = options;

  app.get(
    '/api/v1/assets/:assetId/latest',
    readerRoute('query', {
      summary: "An asset's latest state (seneste måling): its newest record per standard",
      description: 'An asset of another kommune, or one neither registered nor reporting, is 404.',
      params: assetParams,
      response: { 200: assetLatest, 404: errorBody },
    }),
    async (request) => {
      const kommune = kommuneOf(request);
      const { assetId } = request.params as z.infer<typeof assetParams>;
      const { asset, latest } = await assetOrNotFound(registry, store, kommune, assetId);
      return { assetId, asset, records: await latest() };
    },
  );

  app.get(
    '/api/v1/latest',
    readerRoute('query', {
      summary: "The kommune's latest state (flådens seneste målinger): the newest record per asset and standard, paged",
      description:
        'Ordered by standard, then assets (by id), then devices without an asset (by id). Gateway heartbeats are left out (see /api/v1/gateways/health). ' +
        'Page with `after` = the previous answer\'s `next`. With siteId, only the assets the registry places at the site.',
      querystring: latestQuery,
      response: { 200: latestPage, 400: errorBody, 404: errorBody },
    }),
    async (request) => {
      const kommune = kommuneOf(request);
      const query = request.query as z.infer<typeof latestQuery>;
      const after = query.after === undefined ? undefined : decodeCursor(query.after);
      if (query.after !== undefined && after === undefined) throw new HttpError(400, 'query.after: not a cursor of this API (use `next` of the previous page)');
      let assetIds: string[] | undefined;
      if (query.siteId !== undefined) {
        siteOrNotFound(registry, kommune, query.siteId);
        assetIds = registry.assetsOfSite(kommune, query.siteId);
      }
      // The store pages no further than a limit; the first page of one standard can stop there.
      const storeLimit = query.standard !== undefined && after === undefined ? query.limit + 1 : undefined;
      const records = await storeQuery(() =>
        store.latest({
          kommune,
          ...(query.standard !== undefined && { standard: query.standard }),
          ...(assetIds !== undefined && { assetIds }),
          ...(storeLimit !== undefined && { limit: storeLimit }),
        }),
      );
      return pageOf(
        records.filter((record) => record.standard !== 'gateway-heartbeat/1'),
        after,
        query.limit,
      );
    },
  );

  app.get(
    '/api/v1/sites/:siteId/latest',
    readerRoute('query', {
      summary: "A site's latest state (bygningens seneste målinger): the newest record of each of its assets",
      params: siteParams,
      querystring: siteLatestQuery,
      response: { 200: siteLatest, 400: errorBody, 404: errorBody },
    }),
    async (request) => {
      const kommune = kommuneOf(request);
      const { siteId } = request.params as z.infer<typeof siteParams>;
      const { standard } = request.query as z.infer<typeof siteLatestQuery>;
      const site = siteOrNotFound(registry, kommune, siteId);
      const assets = assetsAtSite(registry, kommune, siteId).filter((asset) => standard === undefined || standardOfKind[asset.kind] === standard);
      const records = await storeQuery(() =>
        store.latest({ kommune, assetIds: assets.map((asset) => asset.id), ...(standard !== undefined && { standard }) }),
      );
      const reporting = new Set(records.map((record) => record.assetId));
      return { siteId, site, records, assetsWithoutData: assets.map((asset) => asset.id).filter((id) => !reporting.has(id)) };
    },
  );
}
