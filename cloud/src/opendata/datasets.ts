import { type StandardId, standardIds } from '../../../standards/src/index.js';

/**
 * What a kommune may publish as open data: one dataset per standard, only for standards whose
 * records say nothing about people. The published fields are listed here, and nothing else leaves
 * (no deviceId, gatewayId, radio or battery data, record ids or quality flags).
 */
export interface OpenDatasetKind {
  /** The dataset's id in URLs: the standard with '/' as '-v' (fill-level/1 → fill-level-v1). */
  dataset: string;
  standard: StandardId;
  /** The registry asset kind whose location (latitude/longitude) is published with each record. */
  assetKind: 'waste-container' | 'water-level-logger';
  title: string;
  description: string;
  keywords: readonly string[];
  /** EU data theme (DCAT-AP dcat:theme). */
  theme: string;
  /** The standard's fields that are published, in this order (after assetId, latitude, longitude, observedAt, quality). */
  fields: readonly string[];
}

const environmentTheme = 'http://publications.europa.eu/resource/authority/data-theme/ENVI';

export const openDatasetKinds: readonly OpenDatasetKind[] = [
  {
    dataset: 'fill-level-v1',
    standard: 'fill-level/1',
    assetKind: 'waste-container',
    title: 'Fyldningsgrad i affaldscontainere',
    description: 'Målinger af fyldningsgraden i kommunens affaldscontainere fra afstandssensorer under låget: fyldningsgrad (0–1), målt afstand (mm), hældning, åbent låg, temperatur og brandalarm.',
    keywords: ['affald', 'affaldscontainer', 'fyldningsgrad', 'sensor', 'IoT'],
    theme: environmentTheme,
    fields: ['fillLevel', 'distanceMm', 'tilted', 'lidOpen', 'temperatureC', 'fireAlarm'],
  },
  {
    dataset: 'water-level-v1',
    standard: 'water-level/1',
    assetKind: 'water-level-logger',
    title: 'Vandstand',
    description: 'Målinger af vandstanden i vandløb, søer, kloakker og regnvandsbassiner: vanddybde eller afstand til vandoverfladen (m), vandstand over højdereference (fx DVR90), vandføring og temperatur.',
    keywords: ['vand', 'vandstand', 'oversvømmelse', 'klimatilpasning', 'sensor', 'IoT'],
    theme: environmentTheme,
    fields: ['levelM', 'datum', 'waterDepthM', 'distanceM', 'flowM3s', 'temperatureC'],
  },
];

/** Why the other standards can never be open data. */
const refusals: Partial<Record<StandardId, string>> = {
  'meter-reading/1':
    "meter readings show when the people of a building are there and what they use: personal data (GDPR art. 4), so they cannot be published as open data",
  'door-lock/1': 'door and lock events show when people come and go: personal data (GDPR art. 4), so they cannot be published as open data',
  'gateway-heartbeat/1': "gateway health is the operator's data about its own equipment, not a dataset of the kommune",
};

export const datasetOf = (standard: StandardId) => standard.replace('/', '-v');

/** The kind of a dataset id, or why it cannot be published. */
export function openDatasetKind(dataset: string): { kind: OpenDatasetKind } | { refused: string } {
  const kind = openDatasetKinds.find((candidate) => candidate.dataset === dataset);
  if (kind) return { kind };
  const standard = standardIds.find((id) => datasetOf(id) === dataset);
  if (standard) return { refused: `${standard} ${refusals[standard] ?? 'cannot be published as open data'}` };
  return { refused: `unknown dataset; open datasets are ${openDatasetKinds.map((candidate) => candidate.dataset).join(', ')}` };
}

export const ccBy4 = 'https://creativecommons.org/licenses/by/4.0/';
