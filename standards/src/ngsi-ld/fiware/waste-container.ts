// fill-level/1 → WasteContainer
// Model: smart-data-models/dataModel.WasteManagement, WasteContainer/schema.json (fillingLevel 0..1,
// temperature, status enum 'ok, lidOpen, dropped, moved, vandalized, burning, unknown', refDevice).
// measuredDistance is borrowed from smart-data-models/dataModel.Environment, FloodMonitoring/model.yaml
// ("distance measured by the sensor, from the sensor tip to the upper surface"); WasteContainer has
// no attribute for the raw distance. Not mapped: nothing else in fill-level/1.
import type { FillLevelRecord } from '../../fill-level.js';
import { observed, present } from '../attributes.js';
import { unitCode } from '../unit-codes.js';
import type { FiwareAsset } from './asset.js';

type WasteContainerStatus = 'ok' | 'lidOpen' | 'dropped' | 'burning';

export function wasteContainer(record: FillLevelRecord): FiwareAsset {
  const at = record.observedAt;
  return {
    type: 'WasteContainer',
    attributes: present({
      fillingLevel: observed(record.fillLevel, at),
      measuredDistance: observed(record.distanceMm, at, { unitCode: unitCode.millimetre }),
      temperature: observed(record.temperatureC, at, { unitCode: unitCode.degreeCelsius }),
      status: observed(status(record), at),
    }),
    controlledProperty: ['fillingLevel'],
    deviceCategory: 'sensor',
  };
}

/**
 * The model has one status, so the most urgent flag wins: fire → 'burning', tilted → 'dropped' (the
 * closest value: the container no longer stands), lid open → 'lidOpen'. 'ok' means "where it must be
 * and stands properly", so it needs a tilt reading; without one and without an alarm, no status.
 */
function status({ fireAlarm, tilted, lidOpen }: FillLevelRecord): WasteContainerStatus | undefined {
  if (fireAlarm) return 'burning';
  if (tilted) return 'dropped';
  if (lidOpen) return 'lidOpen';
  return tilted === false ? 'ok' : undefined;
}
