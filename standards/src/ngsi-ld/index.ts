export type {
  GeoJsonPoint,
  NgsiAttribute,
  NgsiAttributes,
  NgsiGeoProperty,
  NgsiLdEntity,
  NgsiProperty,
  NgsiRelationship,
  NgsiValue,
} from './entity.js';
export { ngsiLdCoreContext } from './entity.js';
export type { MappingOptions, RecordMapping } from './mapping.js';
export { fiwareContext, fiwareMapping } from './fiware/index.js';
