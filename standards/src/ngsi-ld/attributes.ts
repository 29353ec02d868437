import type {
  GeoJsonPoint,
  NgsiAttribute,
  NgsiAttributes,
  NgsiGeoProperty,
  NgsiProperty,
  NgsiRelationship,
  NgsiValue,
} from './entity.js';

/** A value the record observed: a Property at the record's observedAt, or nothing when the value is absent. */
export function observed(
  value: NgsiValue | undefined,
  observedAt: string,
  meta: { unitCode?: string; datasetId?: string } = {},
): NgsiProperty | undefined {
  if (value === undefined) return undefined;
  return {
    type: 'Property',
    value,
    observedAt,
    ...(meta.unitCode !== undefined && { unitCode: meta.unitCode }),
    ...(meta.datasetId !== undefined && { datasetId: meta.datasetId }),
  };
}

/** A value that describes rather than observes (e.g. what a device measures): no observedAt. */
export function described(value: NgsiValue): NgsiProperty {
  return { type: 'Property', value };
}

export function relationship(object: string): NgsiRelationship {
  return { type: 'Relationship', object };
}

export function geoProperty(value: GeoJsonPoint): NgsiGeoProperty {
  return { type: 'GeoProperty', value };
}

/** The instances present: none, one attribute, or a multi-attribute (each instance needs its own datasetId). */
export function instances(...candidates: (NgsiProperty | undefined)[]): NgsiProperty | NgsiProperty[] | undefined {
  const present = candidates.filter((candidate): candidate is NgsiProperty => candidate !== undefined);
  if (present.length <= 1) return present[0];
  return present;
}

/** The attributes that have a value. */
export function present(attributes: Record<string, NgsiAttribute | NgsiProperty[] | undefined>): NgsiAttributes {
  const result: NgsiAttributes = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute !== undefined) result[name] = attribute;
  }
  return result;
}
