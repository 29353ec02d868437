import { z } from 'zod';
import { meterTypes, sensorStandardId, sensorStandardIds, standardSchemas } from '../../../standards/src/index.js';
import { wasteFractions } from '../registry/schema.js';
import { bucketWidths, maxBuckets, targetBuckets } from './time-window.js';

/** The query API's parameters and answers (zod: validated per request, published at /docs). */

export const security: Record<string, string[]>[] = [{ session: [] }, { apiToken: [] }];
export const errorBody = z.object({ error: z.string() });

/** Registry ids, and the ids records carry (which may be any non-empty string up to 128). */
const id = z.string().min(1).max(128);

export const assetParams = z.strictObject({ assetId: id });
export const siteParams = z.strictObject({ siteId: id });
export const gatewayParams = z.strictObject({ gatewayId: id });

const standard = sensorStandardId.meta({ description: 'The standard of the records, e.g. meter-reading/1.' });

const timeParam = z
  .string()
  .refine(
    (value) => z.iso.datetime({ offset: true }).safeParse(value).success || z.iso.date().safeParse(value).success,
    'must be an ISO 8601 time with Z or an offset, or a date YYYY-MM-DD (local midnight in timeZone)',
  )
  .refine((value) => Number(value.slice(0, 4)) >= 1970, 'must be in 1970 or later');

export const latestQuery = z.strictObject({
  standard: standard.optional(),
  siteId: id.optional().meta({ description: "Only the assets the registry places at this site." }),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
  after: z.string().max(400).optional().meta({ description: 'The `next` cursor of the previous page.' }),
});

export const siteLatestQuery = z.strictObject({ standard: standard.optional() });

const rangeShape = {
  field: z.string().min(1).max(64).optional().meta({
    description:
      'A numeric field of the standard (booleans count 0/1; device health as device.batteryPercent, …). Default: fillLevel, levelM, doorOpen, ' +
      "or a meter's main register by meter type (energyKWh for electricity/heat/cooling, volumeM3 for water/gas, pulseCount for pulse).",
  }),
  from: timeParam.meta({ description: 'Inclusive start.' }),
  to: timeParam.optional().meta({ description: 'Exclusive end; default now.' }),
  bucket: z
    .enum(bucketWidths as ['15m', '1h', '1d', '7d', '30d'])
    .optional()
    .meta({
      description:
        `15m and 1h on the UTC epoch; 1d, 7d (ISO week), 30d (calendar month) in timeZone. At most ${maxBuckets} buckets. ` +
        `Default: the finest width with at most ${targetBuckets} buckets.`,
    }),
  aggregate: z
    .enum(['min', 'max', 'mean', 'last', 'sum-delta'])
    .optional()
    .meta({ description: 'Default: sum-delta (consumption) for the cumulative registers energyKWh, volumeM3, pulseCount, openCount; mean otherwise.' }),
  timeZone: z.string().min(1).max(64).default('Europe/Copenhagen'),
};

export const assetRangeQuery = z.strictObject({
  standard: standard.optional().meta({ description: "Default: the standard of the asset's kind in the registry, else the one standard it has data of." }),
  ...rangeShape,
});

/** Site and kommune ranges: the registry's assets of the standard, optionally of one meter type or waste fraction. */
export const groupRangeQuery = z
  .strictObject({
    standard: standard.optional().meta({ description: 'Required unless meterType (→ meter-reading/1) or fraction (→ fill-level/1) is given.' }),
    meterType: z.enum(meterTypes).optional().meta({ description: 'Only meters of this type.' }),
    fraction: z.enum(wasteFractions).optional().meta({ description: 'Only waste containers of this fraction.' }),
    ...rangeShape,
  })
  .superRefine((query, context) => {
    if (query.meterType !== undefined && query.standard !== undefined && query.standard !== 'meter-reading/1') {
      context.addIssue({ code: 'custom', path: ['meterType'], message: 'only with standard meter-reading/1' });
    }
    if (query.fraction !== undefined && query.standard !== undefined && query.standard !== 'fill-level/1') {
      context.addIssue({ code: 'custom', path: ['fraction'], message: 'only with standard fill-level/1' });
    }
    if (query.meterType !== undefined && query.fraction !== undefined) context.addIssue({ code: 'custom', path: ['fraction'], message: 'not with meterType' });
    if (query.standard === undefined && query.meterType === undefined && query.fraction === undefined) {
      context.addIssue({ code: 'custom', path: ['standard'], message: 'required (or give meterType or fraction)' });
    }
  });

// The standards' schemas carry an id, which makes their JSON Schema a $ref into $defs that an
// OpenAPI document cannot resolve; the same fields in a fresh object are written out in place.
const documentedRecord = z.union(
  sensorStandardIds.map((standardId) => {
    const schema = standardSchemas[standardId];
    return z.strictObject(schema.shape).meta({ title: standardId, description: schema.description ?? standardId });
  }),
);
const records = z.array(documentedRecord).meta({ description: 'Records as the gateways sent them (standards/: one schema per standard).' });

export const latestPage = z.object({
  records,
  next: z.string().nullable().meta({ description: 'Cursor for the next page (as `after`); null on the last page.' }),
});

export const assetLatest = z.object({
  assetId: z.string(),
  asset: z.record(z.string(), z.unknown()).nullable().meta({ description: 'The registry entry; null when the asset reports but is not registered.' }),
  records: records.meta({ description: 'The newest record of the asset per standard.' }),
});

export const siteLatest = z.object({
  siteId: z.string(),
  site: z.record(z.string(), z.unknown()),
  records,
  assetsWithoutData: z.array(z.string()).meta({ description: "The site's registry assets with no record (of the standard asked for)." }),
});

const bucket = z.object({ start: z.string(), value: z.number().nullable(), count: z.number().int() });

const rangeAnswer = {
  standard: z.string(),
  field: z.string(),
  aggregate: z.string(),
  bucket: z.string(),
  timeZone: z.string(),
  from: z.string().meta({ description: 'The resolved start, ISO 8601 UTC.' }),
  to: z.string(),
  buckets: z.array(bucket).meta({ description: 'In time order; empty buckets are left out.' }),
};

export const assetRange = z.object({ assetId: z.string(), ...rangeAnswer });
export const kommuneRange = z.object({ ...rangeAnswer, assetCount: z.number().int().meta({ description: 'How many registry assets were combined.' }) });
export const siteRange = z.object({
  siteId: z.string(),
  ...rangeAnswer,
  assetIds: z.array(z.string()).meta({ description: 'The registry assets that were combined.' }),
});

const states = ['online', 'late', 'offline', 'never-seen'] as const;
const nullableCount = z.number().int().nullable();

export const gatewayHealthView = z.object({
  gatewayId: z.string(),
  name: z.string().nullable().meta({ description: 'From the registry; null for a gateway with a token but no registry entry.' }),
  siteId: z.string().nullable(),
  registered: z.boolean(),
  state: z.enum(states).meta({
    description:
      'never-seen: registered, never in contact; offline: no contact for 1 h; late: no contact for 10 min, or its newest heartbeat is older than ' +
      '10 min (backlog, heartbeats stopped, or clock wrong); online otherwise. (Default thresholds; the operator may set others.)',
  }),
  contactAgeS: z.number().int().nullable(),
  heartbeatAgeS: z.number().int().nullable(),
  health: z
    .object({
      lastContactAt: z.string(),
      recordsStoredTotal: z.number().int(),
      recordsDuplicateTotal: z.number().int(),
      recordsRejectedTotal: z.number().int(),
      lastHeartbeatAt: z.string().nullable(),
      heartbeatReceivedAt: z.string().nullable(),
      uptimeS: nullableCount,
      queueDepth: nullableCount,
      queueOldestAgeS: nullableCount,
      queueDroppedTotal: nullableCount,
      deadLetters: nullableCount,
      uplinksTotal: nullableCount,
      recordsTotal: nullableCount,
      sourcesConnected: nullableCount,
      sourcesTotal: nullableCount,
      devicesConfigured: nullableCount,
      softwareVersion: z.string().nullable(),
    })
    .nullable()
    .meta({ description: 'What ingest and the newest heartbeat said; null when never seen.' }),
});

export const deviceHealthQuery = z.strictObject({
  gatewayId: id.optional().meta({ description: 'Only devices the registry places at this gateway.' }),
  siteId: id.optional().meta({ description: "Only devices whose asset (else gateway) is at this site." }),
  state: z.enum(states).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
  afterId: id.optional().meta({ description: 'The `next` of the previous page (a deviceKey).' }),
});

const nullableNumber = z.number().nullable();
export const deviceHealthPageSchema = z.object({
  devices: z.array(
    z.object({
      deviceKey: z.string(),
      profile: z.string(),
      assetId: z.string().nullable(),
      siteId: z.string().nullable(),
      gatewayId: z.string().nullable().meta({ description: 'The gateway the registry expects the device at.' }),
      state: z.enum(states).meta({ description: 'never-seen: no record; else from the time its newest record was received: late after 25 h, offline after 72 h (default thresholds).' }),
      lastSeenAt: z.string().nullable(),
      ageS: z.number().int().nullable(),
      observedAt: z.string().nullable(),
      standard: z.string().nullable(),
      quality: z.string().nullable(),
      qualityFlags: z.array(z.string()),
      batteryPercent: nullableNumber,
      batteryV: nullableNumber,
      rssiDbm: nullableNumber,
      snrDb: nullableNumber,
      heardByGatewayId: z.string().nullable().meta({ description: 'The gateway that forwarded its newest record.' }),
    }),
  ),
  next: z.string().nullable().meta({ description: 'afterId of the next page; null on the last page.' }),
});
