// door-lock/1 → Door
// No Smart Data Models entity covers a door with a lock. Closest: smart-data-models/dataModel.OCF,
// Door/model.yaml (openState 'Open' | 'Closed', openDuration ISO 8601, openAlarm), extended with
// lockState 'Locked' | 'Unlocked' from Lock/model.yaml in the same repository (a separate OCF
// resource; one entity per door keeps the Device link single). dataModel.ZEB Door/model.yaml only
// describes the building element. Borrowed: alarmTamper 0 | 1 (dataModel.WaterConsumption,
// WaterConsumptionObserved/model.yaml) and refDevice (common Smart Data Models relationship).
// openDuration is the last opening's duration (the model means the current one), whole seconds as
// the model's pattern requires; openAlarm carries our generic alarm flag.
// Not mapped (no attribute in any model): openCount, leak.
import type { DoorLockRecord } from '../../door-lock.js';
import { observed, present } from '../attributes.js';
import type { FiwareAsset } from './asset.js';

export function door(record: DoorLockRecord): FiwareAsset {
  const at = record.observedAt;
  return {
    type: 'Door',
    attributes: present({
      openState: observed(either(record.doorOpen, 'Open', 'Closed'), at),
      lockState: observed(either(record.locked, 'Locked', 'Unlocked'), at),
      openDuration: observed(
        record.lastOpenDurationS === undefined ? undefined : `PT${Math.round(record.lastOpenDurationS)}S`,
        at,
      ),
      openAlarm: observed(record.alarm, at),
      alarmTamper: observed(either(record.tamper, 1, 0), at),
    }),
    controlledProperty: [],
    deviceCategory: 'sensor',
  };
}

function either<T>(flag: boolean | undefined, whenTrue: T, whenFalse: T): T | undefined {
  if (flag === undefined) return undefined;
  return flag ? whenTrue : whenFalse;
}
