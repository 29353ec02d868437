import type { SensorRecord } from '../../../standards/src/index.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { OpenDatasetKind } from './datasets.js';

export type PublicValue = string | number | boolean | undefined;

/** The columns of a dataset's CSV and the keys of its JSON records, in this order. */
export function publicColumns(kind: OpenDatasetKind): string[] {
  return ['assetId', 'latitude', 'longitude', 'observedAt', 'quality', ...kind.fields];
}

export interface AssetLocation {
  latitude?: number;
  longitude?: number;
}

/** Asset locations from the registry, each looked up once per request. */
export function assetLocations(registry: RegistryRepository, kommune: string): (assetId: string) => AssetLocation {
  const cache = new Map<string, AssetLocation>();
  return (assetId) => {
    let location = cache.get(assetId);
    if (!location) {
      const asset = registry.get(kommune, 'assets', assetId);
      location = { ...(asset?.latitude !== undefined && { latitude: asset.latitude }), ...(asset?.longitude !== undefined && { longitude: asset.longitude }) };
      cache.set(assetId, location);
    }
    return location;
  };
}

/**
 * What the public sees of a record: its asset, where the asset stands, when, the quality and the
 * dataset's fields; nothing else. Records without an asset are not published (they would need the
 * device id).
 */
export function publicRecord(record: SensorRecord, kind: OpenDatasetKind, locate: (assetId: string) => AssetLocation): Record<string, PublicValue> | undefined {
  if (record.assetId === undefined || record.standard !== kind.standard) return undefined;
  const values = record as unknown as Record<string, unknown>;
  const result: Record<string, PublicValue> = { assetId: record.assetId, ...locate(record.assetId), observedAt: record.observedAt, quality: record.quality };
  for (const field of kind.fields) {
    const value = values[field];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') result[field] = value;
  }
  return result;
}
