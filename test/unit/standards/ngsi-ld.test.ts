import { describe, expect, it } from 'vitest';
import {
  doorLockRecord,
  fillLevelRecord,
  meterReadingRecord,
  waterLevelRecord,
  type SensorRecord,
} from '../../../standards/src/index.js';
import {
  fiwareMapping,
  type NgsiLdEntity,
  type NgsiProperty,
  type NgsiRelationship,
} from '../../../standards/src/ngsi-ld/index.js';

const observedAt = '2025-03-04T05:06:07.000Z';
const envelope = {
  id: '01956479-d2f8-7a3c-9b1e-4f2a6c8d0e12',
  kommune: '0751',
  deviceId: 'a84041000181c5e1',
  gatewayId: 'gw-aarhus-1',
  observedAt,
  receivedAt: '2025-03-04T05:06:08.000Z',
  quality: 'good',
  device: { batteryPercent: 87, rssiDbm: -97, snrDb: 7.5, batteryV: 3.6 },
} as const;

function map(record: SensorRecord, options?: Parameters<typeof fiwareMapping.toEntities>[1]) {
  const [asset, device, ...rest] = fiwareMapping.toEntities(record, options);
  expect(rest).toEqual([]);
  return { asset: asset as NgsiLdEntity, device: device as NgsiLdEntity };
}

const property = (entity: NgsiLdEntity, name: string) => entity[name] as NgsiProperty;
const instances = (entity: NgsiLdEntity, name: string) => entity[name] as NgsiProperty[];

function expectLinked(asset: NgsiLdEntity, device: NgsiLdEntity) {
  expect(asset.refDevice).toEqual<NgsiRelationship>({ type: 'Relationship', object: device.id });
  expect(device.controlledAsset).toEqual<NgsiRelationship>({ type: 'Relationship', object: asset.id });
  for (const entity of [asset, device]) {
    expect(entity['@context']).toEqual([
      'https://smartdatamodels.org/context.jsonld',
      'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld',
    ]);
  }
}

describe('fiwareMapping', () => {
  it('maps fill-level/1 to WasteContainer and Device', () => {
    const record = fillLevelRecord.parse({
      ...envelope,
      standard: 'fill-level/1',
      assetId: 'container 17/B',
      distanceMm: 420,
      fillLevel: 0.65,
      temperatureC: 12.5,
      tilted: false,
      lidOpen: true,
      fireAlarm: false,
    });
    const { asset, device } = map(record, { location: { type: 'Point', coordinates: [10.2039, 56.1629] } });

    expect(asset.type).toBe('WasteContainer');
    expect(asset.id).toBe('urn:ngsi-ld:WasteContainer:0751:container%2017%2FB');
    expect(asset.fillingLevel).toEqual({ type: 'Property', value: 0.65, observedAt });
    expect(asset.measuredDistance).toEqual({ type: 'Property', value: 420, observedAt, unitCode: 'MMT' });
    expect(asset.temperature).toEqual({ type: 'Property', value: 12.5, observedAt, unitCode: 'CEL' });
    expect(property(asset, 'status').value).toBe('lidOpen');
    expect(asset.location).toEqual({ type: 'GeoProperty', value: { type: 'Point', coordinates: [10.2039, 56.1629] } });

    expect(device.type).toBe('Device');
    expect(device.id).toBe('urn:ngsi-ld:Device:0751:a84041000181c5e1');
    expect(device.batteryLevel).toEqual({ type: 'Property', value: 0.87, observedAt });
    expect(device.rssi).toEqual({ type: 'Property', value: -97, observedAt, unitCode: 'DBM' });
    expect(property(device, 'controlledProperty').value).toEqual(['fillingLevel']);
    expect(property(device, 'deviceCategory').value).toEqual(['sensor']);
    expectLinked(asset, device);
  });

  it('picks the most urgent WasteContainer status and needs a tilt reading for ok', () => {
    const base = { ...envelope, standard: 'fill-level/1', distanceMm: 900 } as const;
    const status = (flags: object) => map(fillLevelRecord.parse({ ...base, ...flags })).asset.status;
    expect(status({ fireAlarm: true, tilted: true, lidOpen: true })).toMatchObject({ value: 'burning' });
    expect(status({ tilted: true, lidOpen: true })).toMatchObject({ value: 'dropped' });
    expect(status({ tilted: false, lidOpen: false })).toMatchObject({ value: 'ok' });
    expect(status({ lidOpen: false })).toBeUndefined();
  });

  it('maps water-level/1 to FloodMonitoring, keeping the datum level as its own currentLevel instance', () => {
    const record = waterLevelRecord.parse({
      ...envelope,
      standard: 'water-level/1',
      assetId: 'aarhus-aa-07',
      waterDepthM: 1.42,
      levelM: 2.87,
      datum: 'DVR90',
      flowM3s: 3.1,
      temperatureC: 6.2,
    });
    const { asset, device } = map(record);

    expect(asset.type).toBe('FloodMonitoring');
    expect(asset.id).toBe('urn:ngsi-ld:FloodMonitoring:0751:aarhus-aa-07');
    expect(instances(asset, 'currentLevel')).toEqual([
      { type: 'Property', value: 1.42, observedAt, unitCode: 'MTR' },
      { type: 'Property', value: 2.87, observedAt, unitCode: 'MTR', datasetId: 'urn:ngsi-ld:Dataset:DVR90' },
    ]);
    expect(asset.flow).toEqual({ type: 'Property', value: 3.1, observedAt, unitCode: 'MQS' });
    expect(asset.temperature).toEqual({ type: 'Property', value: 6.2, observedAt, unitCode: 'CEL' });
    expect(asset.measuredDistance).toBeUndefined();
    expect(property(device, 'controlledProperty').value).toEqual(['waterLevel']);
    expectLinked(asset, device);
  });

  it('maps a downward water-level sensor to measuredDistance', () => {
    const record = waterLevelRecord.parse({ ...envelope, standard: 'water-level/1', distanceM: 2.35 });
    const { asset } = map(record);
    expect(asset.id).toBe('urn:ngsi-ld:FloodMonitoring:0751:a84041000181c5e1');
    expect(asset.measuredDistance).toEqual({ type: 'Property', value: 2.35, observedAt, unitCode: 'MTR' });
    expect(asset.currentLevel).toBeUndefined();
  });

  it('maps meter-reading/1 to SmartMeteringObservation, one totalConsumption instance per register', () => {
    const record = meterReadingRecord.parse({
      ...envelope,
      standard: 'meter-reading/1',
      assetId: 'varmecentral-3',
      meterType: 'heat',
      energyKWh: 123456.7,
      volumeM3: 2345.6,
      powerKW: 42.1,
      flowM3h: 1.25,
      flowTempC: 68.5,
      returnTempC: 38.2,
      meterId: '67812345',
      errorFlags: 0,
    });
    const { asset, device } = map(record);

    expect(asset.type).toBe('SmartMeteringObservation');
    expect(asset.id).toBe('urn:ngsi-ld:SmartMeteringObservation:0751:varmecentral-3');
    expect(property(asset, 'meterType').value).toBe('heat');
    expect(property(asset, 'serialNumber').value).toBe('67812345');
    expect(instances(asset, 'totalConsumption')).toEqual([
      { type: 'Property', value: 123456.7, observedAt, unitCode: 'KWH' },
      { type: 'Property', value: 2345.6, observedAt, unitCode: 'MTQ', datasetId: 'urn:ngsi-ld:Dataset:volume' },
    ]);
    expect(asset.flow).toEqual({ type: 'Property', value: 1.25, observedAt, unitCode: 'MQH' });
    expect(instances(asset, 'temperature').map((t) => [t.datasetId, t.value, t.unitCode])).toEqual([
      ['urn:ngsi-ld:Dataset:flow', 68.5, 'CEL'],
      ['urn:ngsi-ld:Dataset:return', 38.2, 'CEL'],
    ]);
    expect(asset.totalActivePower).toBeUndefined();
    expect(property(device, 'controlledProperty').value).toEqual(['energy']);
    expect(property(device, 'deviceCategory').value).toEqual(['meter']);
    expectLinked(asset, device);
  });

  it('maps an electricity meter register and power', () => {
    const record = meterReadingRecord.parse({
      ...envelope,
      standard: 'meter-reading/1',
      meterType: 'electricity',
      energyKWh: 5000,
      powerKW: 3.2,
    });
    const { asset } = map(record);
    expect(asset.totalConsumption).toEqual({ type: 'Property', value: 5000, observedAt, unitCode: 'KWH' });
    expect(asset.totalActivePower).toEqual({ type: 'Property', value: 3.2, observedAt, unitCode: 'KWT' });
  });

  it('maps door-lock/1 to Door', () => {
    const record = doorLockRecord.parse({
      ...envelope,
      standard: 'door-lock/1',
      assetId: 'skole-12-hovedindgang',
      doorOpen: false,
      locked: true,
      lastOpenDurationS: 14.6,
      tamper: false,
      alarm: false,
      openCount: 311,
    });
    const { asset, device } = map(record);

    expect(asset.type).toBe('Door');
    expect(asset.id).toBe('urn:ngsi-ld:Door:0751:skole-12-hovedindgang');
    expect(asset.openState).toEqual({ type: 'Property', value: 'Closed', observedAt });
    expect(asset.lockState).toEqual({ type: 'Property', value: 'Locked', observedAt });
    expect(property(asset, 'openDuration').value).toBe('PT15S');
    expect(property(asset, 'openAlarm').value).toBe(false);
    expect(property(asset, 'alarmTamper').value).toBe(0);
    expect(device.controlledProperty).toBeUndefined();
    expectLinked(asset, device);
  });

  it('leaves out what a record does not carry', () => {
    const record = doorLockRecord.parse({
      ...envelope,
      device: undefined,
      standard: 'door-lock/1',
      quality: 'bad',
    });
    const { asset, device } = map(record);
    expect(Object.keys(asset).sort()).toEqual(['@context', 'id', 'refDevice', 'type']);
    expect(Object.keys(device).sort()).toEqual(['@context', 'controlledAsset', 'deviceCategory', 'id', 'type']);
  });
});
