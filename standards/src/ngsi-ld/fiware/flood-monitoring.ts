// water-level/1 → FloodMonitoring
// Model: smart-data-models/dataModel.Environment, FloodMonitoring/model.yaml (measuredDistance,
// currentLevel = referenceLevel − measuredDistance, referenceLevel = river bed to sensor tip).
// Chosen over WaterObserved (same repository, WaterObserved/model.yaml: flow, height, no distance,
// requires location and dateObserved) because our sensors measure exactly FloodMonitoring's
// quantities: a downward sensor's distance to the surface and the level derived from it.
// Borrowed, as FloodMonitoring lacks them: flow (WaterObserved), temperature and refDevice (common
// Smart Data Models terms, e.g. WaterObserved/WasteContainer). Not mapped: nothing else in water-level/1.
//
// currentLevel is a multi-attribute: the default instance is the water column above a submerged
// probe (the model's own zero, the bed); the level above a height datum (levelM, e.g. DVR90) is the
// instance whose datasetId names the datum, urn:ngsi-ld:Dataset:DVR90. No model has a datum attribute.
import type { WaterLevelRecord } from '../../water-level.js';
import { instances, observed, present } from '../attributes.js';
import { datasetId } from '../ids.js';
import { unitCode } from '../unit-codes.js';
import type { FiwareAsset } from './asset.js';

export function floodMonitoring(record: WaterLevelRecord): FiwareAsset {
  const at = record.observedAt;
  const metre = { unitCode: unitCode.metre };
  return {
    type: 'FloodMonitoring',
    attributes: present({
      measuredDistance: observed(record.distanceM, at, metre),
      currentLevel: instances(
        observed(record.waterDepthM, at, metre),
        observed(record.levelM, at, { ...metre, datasetId: datasetId(record.datum ?? 'unspecified-datum') }),
      ),
      flow: observed(record.flowM3s, at, { unitCode: unitCode.cubicMetrePerSecond }),
      temperature: observed(record.temperatureC, at, { unitCode: unitCode.degreeCelsius }),
    }),
    controlledProperty: ['waterLevel'],
    deviceCategory: 'sensor',
  };
}
