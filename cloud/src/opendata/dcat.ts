import type { Kommune } from '../db/kommuner.js';
import type { OpenDatasetKind } from './datasets.js';
import type { PublicDataset } from './repository.js';
import { iri, type RdfNode, text, typed } from './rdf.js';

/**
 * The DCAT-AP catalogue of a kommune's open datasets (DCAT-AP 2 / DCAT-AP-DK classes and
 * properties, as ckanext-dcat's RDF harvester reads them: dcat:Dataset with dct:title,
 * dct:description, dcat:keyword, dct:identifier, dct:issued, dct:modified, dct:publisher
 * (foaf:name), dcat:contactPoint (vcard:fn, vcard:hasEmail), dct:temporal (dcat:startDate / dcat:endDate), dct:spatial (dcat:bbox, locn:geometry
 * as WKT), and dcat:Distribution with dcat:accessURL, dcat:downloadURL, dcat:mediaType,
 * dct:format, dct:license).
 */
export const dcatPrefixes = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  locn: 'http://www.w3.org/ns/locn#',
  gsp: 'http://www.opengis.net/ont/geosparql#',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
} as const;

/** What the cloud knows of a published dataset beyond its metadata. */
export interface DatasetFacts {
  dataset: PublicDataset;
  kind: OpenDatasetKind;
  /** observedAt of the first and the newest published record. */
  start?: string;
  end?: string;
  /** [west, south, east, north] of the assets with a location, degrees (WGS 84). */
  bbox?: [number, number, number, number];
}

const euVocabulary = 'http://publications.europa.eu/resource/authority';
const danish = iri(`${euVocabulary}/language/DAN`);
const continuous = iri(`${euVocabulary}/frequency/CONT`);
const dateTime = (value: string) => typed(value, 'xsd:dateTime');

export function datasetPath(kommune: string, dataset: string): string {
  return `/open/v1/${kommune}/datasets/${dataset}`;
}

function wkt([west, south, east, north]: [number, number, number, number]): string {
  if (west === east && south === north) return `POINT(${west} ${south})`;
  return `POLYGON((${west} ${south}, ${east} ${south}, ${east} ${north}, ${west} ${north}, ${west} ${south}))`;
}

interface DistributionShape {
  file: string;
  title: string;
  description: string;
  format: string;
  mediaType?: string;
}

const distributions: readonly DistributionShape[] = [
  { file: 'latest.json', title: 'Seneste måling pr. enhed (JSON)', description: 'Den nyeste måling af hver enhed.', format: `${euVocabulary}/file-type/JSON`, mediaType: 'application/json' },
  { file: 'latest.csv', title: 'Seneste måling pr. enhed (CSV)', description: 'Den nyeste måling af hver enhed.', format: `${euVocabulary}/file-type/CSV`, mediaType: 'text/csv' },
  {
    file: 'records.csv',
    title: 'Målinger i et tidsrum (CSV)',
    description: 'Alle målinger fra from til to (ISO 8601, højst 31 dage, fx ?from=2026-01-01T00:00:00Z&to=2026-01-08T00:00:00Z); uden from og to det seneste døgn.',
    format: `${euVocabulary}/file-type/CSV`,
    mediaType: 'text/csv',
  },
  {
    file: 'records.ndjson',
    title: 'Målinger i et tidsrum (NDJSON)',
    description: 'Alle målinger fra from til to som NDJSON (et JSON-objekt pr. linje); parametre som for CSV.',
    format: 'NDJSON',
  },
];

function publisherOf(kommune: Kommune): RdfNode {
  return { types: ['foaf:Organization', 'foaf:Agent'], properties: { 'foaf:name': text(kommune.name, 'da'), 'dct:identifier': text(kommune.code) } };
}

function datasetNode(base: string, kommune: Kommune, facts: DatasetFacts): RdfNode {
  const { dataset, kind } = facts;
  const id = `${base}${datasetPath(kommune.code, dataset.dataset)}`;
  const modified = facts.end && facts.end > dataset.updatedAt ? facts.end : dataset.updatedAt;
  return {
    id,
    types: ['dcat:Dataset'],
    properties: {
      'dct:identifier': text(id),
      'dct:title': text(dataset.title, 'da'),
      'dct:description': text(dataset.description, 'da'),
      'dcat:keyword': dataset.keywords.map((keyword) => text(keyword, 'da')),
      'dcat:theme': iri(kind.theme),
      'dct:publisher': publisherOf(kommune),
      'dcat:contactPoint': dataset.contactEmail
        ? { types: ['vcard:Organization'], properties: { 'vcard:fn': text(kommune.name, 'da'), 'vcard:hasEmail': iri(`mailto:${dataset.contactEmail}`) } }
        : undefined,
      'dct:language': danish,
      'dct:accrualPeriodicity': continuous,
      'dct:issued': dateTime(dataset.publishedAt),
      'dct:modified': dateTime(modified),
      'dct:temporal':
        facts.start && facts.end
          ? { types: ['dct:PeriodOfTime'], properties: { 'dcat:startDate': dateTime(facts.start), 'dcat:endDate': dateTime(facts.end) } }
          : undefined,
      'dct:spatial': facts.bbox
        ? { types: ['dct:Location'], properties: { 'dcat:bbox': typed(wkt(facts.bbox), 'gsp:wktLiteral'), 'locn:geometry': typed(wkt(facts.bbox), 'gsp:wktLiteral') } }
        : undefined,
      'dcat:distribution': distributions.map((shape) => ({
        id: `${id}#${shape.file.replace('.', '-')}`,
        types: ['dcat:Distribution'],
        properties: {
          'dct:title': text(shape.title, 'da'),
          'dct:description': text(shape.description, 'da'),
          'dcat:accessURL': iri(`${id}/${shape.file}`),
          'dcat:downloadURL': iri(`${id}/${shape.file}`),
          'dct:format': shape.format.startsWith('http') ? iri(shape.format) : text(shape.format),
          'dcat:mediaType': shape.mediaType ? iri(`https://www.iana.org/assignments/media-types/${shape.mediaType}`) : undefined,
          'dct:license': iri(dataset.license),
          'dct:modified': dateTime(modified),
        },
      })),
    },
  };
}

/** The catalogue, rooted at `${base}/open/v1/<kommune>/catalog`. */
export function dcatCatalog(base: string, kommune: Kommune, datasets: readonly DatasetFacts[]): RdfNode {
  const modified = datasets.map((facts) => (facts.end && facts.end > facts.dataset.updatedAt ? facts.end : facts.dataset.updatedAt)).sort().at(-1);
  return {
    id: `${base}/open/v1/${kommune.code}/catalog`,
    types: ['dcat:Catalog'],
    properties: {
      'dct:title': text(`Åbne sensordata fra ${kommune.name}`, 'da'),
      'dct:description': text(`Sensordata som ${kommune.name} (kommunekode ${kommune.code}) udgiver som åbne data: målinger uden personoplysninger.`, 'da'),
      'dct:publisher': publisherOf(kommune),
      'dct:language': danish,
      'dct:modified': modified ? dateTime(modified) : undefined,
      'dcat:dataset': datasets.map((facts) => datasetNode(base, kommune, facts)),
    },
  };
}
