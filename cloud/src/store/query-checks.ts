import { kommuneCode, type StandardId, standardIds } from '../../../standards/src/index.js';
import { assertNumericField } from './fields.js';
import type { Aggregate, BucketWidth, LatestQuery, RangeManyQuery, RangeQuery, RawQuery } from './time-series-store.js';
import { assertTimeZone, defaultTimeZone } from './zone.js';

/** Queries as both stores use them, checked: times in ms, the time zone resolved. */

const widths: readonly BucketWidth[] = ['15m', '1h', '1d', '7d', '30d'];
const aggregates: readonly Aggregate[] = ['min', 'max', 'mean', 'last', 'sum-delta'];

export interface CheckedRange {
  kommune: string;
  standard: StandardId;
  field: string;
  from: number;
  to: number;
  bucket: BucketWidth;
  aggregate: Aggregate;
  timeZone: string;
}

export interface CheckedRaw {
  kommune: string;
  from: number;
  to: number;
  standard?: StandardId;
  assetId?: string;
  deviceId?: string;
}

function checkKommune(kommune: unknown): string {
  if (!kommuneCode.safeParse(kommune).success) throw new RangeError(`kommune must be a 4-digit municipality code, got ${JSON.stringify(kommune)}`);
  return kommune as string;
}

function checkStandard(standard: unknown): StandardId {
  if (!standardIds.includes(standard as StandardId)) throw new RangeError(`unknown standard ${JSON.stringify(standard)}`);
  return standard as StandardId;
}

function checkId(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new RangeError(`${name} must be a non-empty string`);
  return value;
}

function checkInterval(from: unknown, to: unknown): { from: number; to: number } {
  const start = typeof from === 'string' ? Date.parse(from) : Number.NaN;
  const end = typeof to === 'string' ? Date.parse(to) : Number.NaN;
  if (Number.isNaN(start)) throw new RangeError(`from must be an ISO 8601 time, got ${JSON.stringify(from)}`);
  if (Number.isNaN(end)) throw new RangeError(`to must be an ISO 8601 time, got ${JSON.stringify(to)}`);
  if (!(start < end)) throw new RangeError(`from (${String(from)}) must be before to (${String(to)})`);
  return { from: start, to: end };
}

function checkShape(query: RangeQuery | RangeManyQuery): CheckedRange {
  const kommune = checkKommune(query.kommune);
  const standard = checkStandard(query.standard);
  assertNumericField(standard, query.field);
  if (!widths.includes(query.bucket)) throw new RangeError(`bucket must be one of ${widths.join(', ')}, got ${JSON.stringify(query.bucket)}`);
  if (!aggregates.includes(query.aggregate)) {
    throw new RangeError(`aggregate must be one of ${aggregates.join(', ')}, got ${JSON.stringify(query.aggregate)}`);
  }
  const timeZone = query.timeZone ?? defaultTimeZone;
  assertTimeZone(timeZone);
  return { kommune, standard, field: query.field, ...checkInterval(query.from, query.to), bucket: query.bucket, aggregate: query.aggregate, timeZone };
}

export function checkRange(query: RangeQuery): CheckedRange & { assetId?: string; deviceId?: string } {
  const checked = checkShape(query);
  const assetId = checkId('assetId', query.assetId);
  const deviceId = checkId('deviceId', query.deviceId);
  if (assetId === undefined && deviceId === undefined) throw new RangeError('a range query needs assetId or deviceId');
  return { ...checked, ...(assetId !== undefined && { assetId }), ...(deviceId !== undefined && { deviceId }) };
}

export function checkRangeMany(query: RangeManyQuery): CheckedRange & { assetIds: string[] } {
  const checked = checkShape(query);
  if (!Array.isArray(query.assetIds)) throw new RangeError('assetIds must be an array');
  const assetIds = [...new Set(query.assetIds.map((id) => checkId('assetIds[]', id)!))];
  return { ...checked, assetIds };
}

export function checkLatest(query: LatestQuery): { kommune: string; standard?: StandardId; assetIds?: string[]; limit?: number } {
  const kommune = checkKommune(query.kommune);
  const standard = query.standard === undefined ? undefined : checkStandard(query.standard);
  let assetIds: string[] | undefined;
  if (query.assetIds !== undefined) {
    if (!Array.isArray(query.assetIds)) throw new RangeError('assetIds must be an array');
    assetIds = [...new Set(query.assetIds.map((id) => checkId('assetIds[]', id)!))];
  }
  if (query.limit !== undefined && !(Number.isSafeInteger(query.limit) && query.limit >= 0)) {
    throw new RangeError(`limit must be a non-negative integer, got ${String(query.limit)}`);
  }
  return {
    kommune,
    ...(standard !== undefined && { standard }),
    ...(assetIds !== undefined && { assetIds }),
    ...(query.limit !== undefined && { limit: query.limit }),
  };
}

export function checkRaw(query: RawQuery): CheckedRaw {
  const kommune = checkKommune(query.kommune);
  const standard = query.standard === undefined ? undefined : checkStandard(query.standard);
  const assetId = checkId('assetId', query.assetId);
  const deviceId = checkId('deviceId', query.deviceId);
  return {
    kommune,
    ...checkInterval(query.from, query.to),
    ...(standard !== undefined && { standard }),
    ...(assetId !== undefined && { assetId }),
    ...(deviceId !== undefined && { deviceId }),
  };
}

/** Time of a record's observation in ms; throws a TypeError for a record that is not valid. */
export function observedMs(record: { id: string; observedAt: string }): number {
  const ms = Date.parse(record.observedAt);
  if (Number.isNaN(ms)) throw new TypeError(`record ${record.id}: observedAt is not a time: ${JSON.stringify(record.observedAt)}`);
  return ms;
}
