import type { SensorRecord } from '../index.js';
import type { GeoJsonPoint, NgsiLdEntity } from './entity.js';

export interface MappingOptions {
  /** Where the asset stands (from the registry); some models require `location`, records do not carry it. */
  location?: GeoJsonPoint;
}

/**
 * Turns one record into the entities of a data-model family (FIWARE Smart Data Models today; a KL
 * mapping later, typed by its own entity shape if that is not NGSI-LD). Mappings read validated
 * records only, so decoders never depend on them.
 */
export interface RecordMapping<Entity = NgsiLdEntity> {
  readonly name: string;
  toEntities(record: SensorRecord, options?: MappingOptions): Entity[];
}
