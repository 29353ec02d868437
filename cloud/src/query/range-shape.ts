import type { SensorStandardId } from '../../../standards/src/index.js';
import { HttpError } from '../api/errors.js';
import { numericFields } from '../store/fields.js';
import type { Aggregate, BucketWidth } from '../store/time-series-store.js';
import { assertTimeZone } from '../store/zone.js';
import { defaultAggregate, defaultField, type MeterType } from './asset-kinds.js';
import { bucketCount, chartBucket, instantOf, maxBuckets } from './time-window.js';

/** What a range request asks for, with the defaults filled in and the limits checked. */
export interface RangeShape {
  field: string;
  aggregate: Aggregate;
  bucket: BucketWidth;
  timeZone: string;
  from: string;
  to: string;
}

export interface RangeParams {
  field?: string | undefined;
  from: string;
  to?: string | undefined;
  bucket?: BucketWidth | undefined;
  aggregate?: Aggregate | undefined;
  timeZone: string;
}

/** Throws an HttpError 400 naming the query parameter at fault. */
export function resolveRangeShape(params: RangeParams, standard: SensorStandardId, meterType: MeterType | undefined, now: Date): RangeShape {
  const { timeZone } = params;
  try {
    assertTimeZone(timeZone);
  } catch {
    throw new HttpError(400, `query.timeZone: unknown time zone ${JSON.stringify(timeZone)}`);
  }
  const from = instantOf(params.from, timeZone);
  const to = params.to === undefined ? now.getTime() : instantOf(params.to, timeZone);
  if (!(from < to)) throw new HttpError(400, `query.from: must be before to (${new Date(to).toISOString()})`);

  const field = params.field ?? defaultField(standard, meterType);
  if (field === undefined) throw new HttpError(400, `query.field: required for ${standard} when the meter type is not known (give field or meterType)`);
  const fields = numericFields[standard];
  if (!fields.includes(field)) throw new HttpError(400, `query.field: ${standard} has no numeric field ${JSON.stringify(field)}; it has: ${fields.join(', ')}`);

  const bucket = params.bucket ?? chartBucket(timeZone, from, to);
  const count = bucketCount(bucket, timeZone, from, to);
  if (count > maxBuckets) {
    throw new HttpError(400, `query.bucket: ${bucket} over this range is more than ${maxBuckets} buckets, the most one request may ask for; use a coarser bucket or a shorter range`);
  }
  return { field, aggregate: params.aggregate ?? defaultAggregate(field), bucket, timeZone, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}
