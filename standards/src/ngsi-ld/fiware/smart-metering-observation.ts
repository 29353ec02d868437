// meter-reading/1 → SmartMeteringObservation
// Model: smart-data-models/dataModel.Device, SmartMeteringObservation/model.yaml (meterType,
// totalConsumption with unitCode KWH / MTQ, refDevice). Borrowed, as the model lacks them:
// totalActivePower (dataModel.Energy, ACMeasurement; electricity meters only), flow
// (dataModel.Environment, WaterObserved), temperature and serialNumber (common Smart Data Models terms).
// Not mapped (no attribute in any model): powerKW of thermal and other non-electric meters, errorFlags.
//
// Every cumulative register is an instance of totalConsumption: the meter type's main register is
// the default instance, the others carry datasetId urn:ngsi-ld:Dataset:energy | volume | pulses.
// Flow and return temperatures are instances of temperature with datasetId …:flow and …:return.
import type { MeterReadingRecord } from '../../meter-reading.js';
import { instances, observed, present } from '../attributes.js';
import { datasetId } from '../ids.js';
import { unitCode } from '../unit-codes.js';
import type { ControlledProperty, FiwareAsset } from './asset.js';

type MeterType = MeterReadingRecord['meterType'];
type Register = 'energy' | 'volume' | 'pulses';

const mainRegister: Record<MeterType, Register> = {
  electricity: 'energy',
  heat: 'energy',
  cooling: 'energy',
  water: 'volume',
  gas: 'volume',
  pulse: 'pulses',
};

/** Device.controlledProperty has no value for a pulse counter, which may count anything. */
const controlledProperty: Record<MeterType, readonly ControlledProperty[]> = {
  electricity: ['electricityConsumption'],
  heat: ['energy'],
  cooling: ['energy'],
  water: ['waterConsumption'],
  gas: ['gasConsumption'],
  pulse: [],
};

export function smartMeteringObservation(record: MeterReadingRecord): FiwareAsset {
  const at = record.observedAt;
  const main = mainRegister[record.meterType];
  const register = (name: Register, value: number | undefined, unit?: string) =>
    observed(value, at, {
      ...(unit !== undefined && { unitCode: unit }),
      ...(name !== main && { datasetId: datasetId(name) }),
    });
  const celsius = unitCode.degreeCelsius;
  return {
    type: 'SmartMeteringObservation',
    attributes: present({
      meterType: observed(record.meterType, at),
      serialNumber: observed(record.meterId, at),
      totalConsumption: instances(
        register('energy', record.energyKWh, unitCode.kilowattHour),
        register('volume', record.volumeM3, unitCode.cubicMetre),
        register('pulses', record.pulseCount),
      ),
      totalActivePower:
        record.meterType === 'electricity' ? observed(record.powerKW, at, { unitCode: unitCode.kilowatt }) : undefined,
      flow: observed(record.flowM3h, at, { unitCode: unitCode.cubicMetrePerHour }),
      temperature: instances(
        observed(record.flowTempC, at, { unitCode: celsius, datasetId: datasetId('flow') }),
        observed(record.returnTempC, at, { unitCode: celsius, datasetId: datasetId('return') }),
      ),
    }),
    controlledProperty: controlledProperty[record.meterType],
    deviceCategory: 'meter',
  };
}
