import type { SensorRecord } from '../../index.js';
import type { NgsiAttributes } from '../entity.js';
import { door } from './door.js';
import { floodMonitoring } from './flood-monitoring.js';
import { smartMeteringObservation } from './smart-metering-observation.js';
import { wasteContainer } from './waste-container.js';

/** Values of Device.controlledProperty (dataModel.Device/Device/model.yaml) that our standards measure. */
export type ControlledProperty =
  | 'fillingLevel'
  | 'waterLevel'
  | 'electricityConsumption'
  | 'waterConsumption'
  | 'gasConsumption'
  | 'energy';

/** What a standard's model contributes: the asset entity, and how the Device that observes it is described. */
export interface FiwareAsset {
  type: string;
  attributes: NgsiAttributes;
  /** Device.controlledProperty; empty when the model's enum has no fitting value. */
  controlledProperty: readonly ControlledProperty[];
  /** Device.deviceCategory. */
  deviceCategory: 'sensor' | 'meter';
}

export function fiwareAsset(record: Exclude<SensorRecord, { standard: 'gateway-heartbeat/1' }>): FiwareAsset {
  switch (record.standard) {
    case 'fill-level/1':
      return wasteContainer(record);
    case 'water-level/1':
      return floodMonitoring(record);
    case 'meter-reading/1':
      return smartMeteringObservation(record);
    case 'door-lock/1':
      return door(record);
  }
}
