/**
 * The NGSI-LD normalized form (ETSI GS CIM 009) as far as the mappings here emit it: entities whose
 * attributes are Properties, Relationships and GeoProperties, and multi-attributes (several
 * instances of one attribute told apart by `datasetId`).
 */

/** The NGSI-LD core @context; it goes last in an entity's @context array. */
export const ngsiLdCoreContext = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';

export interface GeoJsonPoint {
  type: 'Point';
  coordinates: [longitude: number, latitude: number];
}

export type NgsiValue = string | number | boolean | readonly string[];

export interface NgsiProperty {
  type: 'Property';
  value: NgsiValue;
  observedAt?: string;
  /** UN/CEFACT Recommendation 20 common code, e.g. 'MTR'. */
  unitCode?: string;
  datasetId?: string;
}

export interface NgsiRelationship {
  type: 'Relationship';
  object: string;
}

export interface NgsiGeoProperty {
  type: 'GeoProperty';
  value: GeoJsonPoint;
}

export type NgsiAttribute = NgsiProperty | NgsiRelationship | NgsiGeoProperty;

/** An attribute is one instance or, as a multi-attribute, several Property instances. */
export type NgsiAttributes = Record<string, NgsiAttribute | NgsiProperty[]>;

export interface NgsiLdEntity {
  id: string;
  type: string;
  '@context': readonly string[];
  [attribute: string]: string | readonly string[] | NgsiAttribute | NgsiProperty[];
}
