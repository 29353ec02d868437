import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { SensorRecord, SensorStandardId } from '../../../standards/src/index.js';
import { HttpError } from '../api/errors.js';
import type { Clock } from '../clock.js';
import type { EntityOf, RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { kindOfStandard, type MeterType, standardOfKind } from './asset-kinds.js';
import {
  assetParams,
  assetRange,
  assetRangeQuery,
  errorBody,
  groupRangeQuery,
  kommuneRange,
  siteParams,
  siteRange,
} from './query-schemas.js';
import { resolveRangeShape } from './range-shape.js';
import { assetOrNotFound, assetsAtSite, kommuneOf, listAll, readerRoute, siteOrNotFound, storeQuery } from './route-helpers.js';

type Asset = EntityOf<'assets'>;
type GroupQuery = z.infer<typeof groupRangeQuery>;

const rangeDescription =
  'Buckets over [from, to) in time order, empty buckets left out; readings of quality bad never count. ' +
  'sum-delta is consumption: the increases of each meter between consecutive readings, resets counted as 0, ' +
  'each counted in the bucket of the later reading, summed over the meters.';

/** The standard an unregistered asset's data answers to: the only one it has. */
function standardOfData(assetId: string, records: readonly SensorRecord[]): SensorStandardId {
  const standards = [...new Set(records.map((record) => record.standard))];
  if (standards.length !== 1) throw new HttpError(400, `query.standard: required (asset ${assetId} has data of ${standards.join(', ')})`);
  return standards[0] as SensorStandardId;
}

/** The registry assets of a group (a site's, or the kommune's) that a group range combines. */
function selectAssets(assets: readonly Asset[], query: GroupQuery): { standard: SensorStandardId; assets: Asset[]; meterType: MeterType | undefined } {
  const standard = query.standard ?? (query.meterType !== undefined ? 'meter-reading/1' : 'fill-level/1');
  const kind = kindOfStandard[standard];
  const selected = assets.filter(
    (asset) =>
      asset.kind === kind &&
      (query.meterType === undefined || (asset.kind === 'meter' && asset.meterType === query.meterType)) &&
      (query.fraction === undefined || (asset.kind === 'waste-container' && asset.fraction === query.fraction)),
  );
  // Meters all of one type have a default register even without meterType.
  const meterTypes = new Set(selected.flatMap((asset) => (asset.kind === 'meter' ? [asset.meterType] : [])));
  const meterType = query.meterType ?? (meterTypes.size === 1 ? [...meterTypes][0] : undefined);
  return { standard, assets: selected, meterType };
}

/** Ranges with bucketed aggregates: of one asset, of a site's assets, of the kommune's assets of a standard. */
export function rangeRoutes(app: FastifyInstance, options: { store: TimeSeriesStore; registry: RegistryRepository; clock: Clock }): void {
  const { store, registry, clock } = options;

  app.get(
    '/api/v1/assets/:assetId/range',
    readerRoute('query', {
      summary: "One field of an asset over time in buckets (tidsserie), e.g. a container's mean fill level per hour, a meter's consumption per day",
      description: `${rangeDescription} An asset of another kommune, or one neither registered nor reporting, is 404.`,
      params: assetParams,
      querystring: assetRangeQuery,
      response: { 200: assetRange, 400: errorBody, 404: errorBody },
    }),
    async (request) => {
      const kommune = kommuneOf(request);
      const { assetId } = request.params as z.infer<typeof assetParams>;
      const query = request.query as z.infer<typeof assetRangeQuery>;
      const { asset, latest: latestOfAsset } = await assetOrNotFound(registry, store, kommune, assetId);
      const standard = query.standard ?? (asset ? standardOfKind[asset.kind] : standardOfData(assetId, await latestOfAsset()));
      let meterType = asset?.kind === 'meter' ? asset.meterType : undefined;
      if (standard === 'meter-reading/1' && meterType === undefined && query.field === undefined) {
        meterType = (await latestOfAsset()).flatMap((record) => (record.standard === 'meter-reading/1' ? [record.meterType] : []))[0];
      }
      const shape = resolveRangeShape(query, standard, meterType, clock());
      const buckets = await storeQuery(() => store.range({ kommune, standard, assetId, ...shape }));
      return { assetId, standard, ...shape, buckets };
    },
  );

  const groupRange = async (request: FastifyRequest, assets: readonly Asset[]) => {
    const kommune = kommuneOf(request);
    const query = request.query as GroupQuery;
    const selected = selectAssets(assets, query);
    const shape = resolveRangeShape(query, selected.standard, selected.meterType, clock());
    const assetIds = selected.assets.map((asset) => asset.id);
    const buckets = await storeQuery(() => store.rangeMany({ kommune, standard: selected.standard, assetIds, ...shape }));
    return { standard: selected.standard, ...shape, assetIds, buckets };
  };

  app.get(
    '/api/v1/sites/:siteId/range',
    readerRoute('query', {
      summary: "One field of a site's assets combined over time (bygningens forbrug), e.g. a building's heat consumption per day",
      description: `The site's assets in the registry, of the standard (and meterType or fraction), combined per bucket. ${rangeDescription}`,
      params: siteParams,
      querystring: groupRangeQuery,
      response: { 200: siteRange, 400: errorBody, 404: errorBody },
    }),
    async (request) => {
      const kommune = kommuneOf(request);
      const { siteId } = request.params as z.infer<typeof siteParams>;
      siteOrNotFound(registry, kommune, siteId);
      return { siteId, ...(await groupRange(request, assetsAtSite(registry, kommune, siteId))) };
    },
  );

  app.get(
    '/api/v1/range',
    readerRoute('query', {
      summary: "One field of all the kommune's assets of a standard combined over time (hele kommunen), e.g. all heat meters' consumption per month",
      description: `The kommune's assets in the registry, of the standard (and meterType or fraction), combined per bucket. ${rangeDescription}`,
      querystring: groupRangeQuery,
      response: { 200: kommuneRange, 400: errorBody },
    }),
    async (request) => {
      const { assetIds, ...answer } = await groupRange(request, listAll(registry, kommuneOf(request), 'assets'));
      return { ...answer, assetCount: assetIds.length };
    },
  );
}
