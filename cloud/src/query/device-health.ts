import type { SensorRecord } from '../../../standards/src/index.js';
import type { EntityOf, RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { ageS, type DeviceState, deviceState, type HealthThresholds } from './health-state.js';
import { listAll } from './route-helpers.js';

/** The kommune's registry devices, each with what its newest record says about it. */

export interface DeviceHealthView {
  deviceKey: string;
  profile: string;
  assetId: string | null;
  /** The asset's site, else the registry gateway's. */
  siteId: string | null;
  /** The gateway the registry expects it at. */
  gatewayId: string | null;
  state: DeviceState;
  /** receivedAt of its newest record (network server time). */
  lastSeenAt: string | null;
  ageS: number | null;
  observedAt: string | null;
  standard: string | null;
  quality: string | null;
  qualityFlags: string[];
  batteryPercent: number | null;
  batteryV: number | null;
  rssiDbm: number | null;
  snrDb: number | null;
  /** The gateway that forwarded its newest record. */
  heardByGatewayId: string | null;
}

export interface DeviceHealthFilter {
  gatewayId?: string | undefined;
  siteId?: string | undefined;
  state?: DeviceState | undefined;
}

type Device = EntityOf<'devices'>;

/** Received later (times compared as instants: ISO strings of different precision do not sort as text). */
const newer = (a: SensorRecord, b: SensorRecord | undefined) => b === undefined || Date.parse(a.receivedAt) > Date.parse(b.receivedAt);

function view(device: Device, siteId: string | undefined, record: SensorRecord | undefined, now: Date, thresholds: HealthThresholds): DeviceHealthView {
  return {
    deviceKey: device.deviceKey,
    profile: device.profile,
    assetId: device.assetId ?? null,
    siteId: siteId ?? null,
    gatewayId: device.gatewayId ?? null,
    state: deviceState(record?.receivedAt, now, thresholds),
    lastSeenAt: record?.receivedAt ?? null,
    ageS: record ? ageS(record.receivedAt, now) : null,
    observedAt: record?.observedAt ?? null,
    standard: record?.standard ?? null,
    quality: record?.quality ?? null,
    qualityFlags: record?.qualityFlags ?? [],
    batteryPercent: record?.device?.batteryPercent ?? null,
    batteryV: record?.device?.batteryV ?? null,
    rssiDbm: record?.device?.rssiDbm ?? null,
    snrDb: record?.device?.snrDb ?? null,
    heardByGatewayId: record?.gatewayId ?? null,
  };
}

/**
 * Devices in deviceKey order after `afterId`, filtered, at most `limit`. The newest record of a
 * device is found in the store's latest state (newest per asset and standard, or per device
 * without an asset). When an asset's newest record came from another device (two sensors on one
 * asset, a replaced sensor), this device's newest record is looked for among the records of the
 * last deviceOfflineAfterS; not found there, it is offline with lastSeenAt null.
 */
export async function deviceHealthPage(options: {
  store: TimeSeriesStore;
  registry: RegistryRepository;
  kommune: string;
  now: Date;
  thresholds: HealthThresholds;
  filter: DeviceHealthFilter;
  afterId: string | undefined;
  limit: number;
}): Promise<{ devices: DeviceHealthView[]; next: string | null }> {
  const { store, registry, kommune, now, thresholds, filter } = options;
  const assets = new Map(listAll(registry, kommune, 'assets').map((asset) => [asset.id, asset]));
  const gateways = new Map(listAll(registry, kommune, 'gateways').map((gateway) => [gateway.id, gateway]));
  const siteOf = (device: Device) =>
    (device.assetId !== undefined ? assets.get(device.assetId)?.siteId : undefined) ??
    (device.gatewayId !== undefined ? gateways.get(device.gatewayId)?.siteId : undefined);

  const newestOfDevice = new Map<string, SensorRecord>();
  const assetsReporting = new Set<string>();
  for (const record of await store.latest({ kommune })) {
    if (record.standard === 'gateway-heartbeat/1') continue;
    if (newer(record, newestOfDevice.get(record.deviceId))) newestOfDevice.set(record.deviceId, record);
    if (record.assetId !== undefined) assetsReporting.add(record.assetId);
  }
  const recentRecordOf = async (deviceKey: string) => {
    let newest: SensorRecord | undefined;
    const from = new Date(now.getTime() - thresholds.deviceOfflineAfterS * 1000).toISOString();
    for await (const record of store.raw({ kommune, deviceId: deviceKey, from, to: new Date(now.getTime() + 1).toISOString() })) {
      if (record.standard !== 'gateway-heartbeat/1' && newer(record, newest)) newest = record;
    }
    return newest;
  };

  const devices: DeviceHealthView[] = [];
  for (const device of listAll(registry, kommune, 'devices')) {
    if (options.afterId !== undefined && device.deviceKey <= options.afterId) continue;
    if (filter.gatewayId !== undefined && device.gatewayId !== filter.gatewayId) continue;
    const siteId = siteOf(device);
    if (filter.siteId !== undefined && siteId !== filter.siteId) continue;
    let record = newestOfDevice.get(device.deviceKey);
    let state: DeviceState | undefined;
    if (!record && device.assetId !== undefined && assetsReporting.has(device.assetId)) {
      record = await recentRecordOf(device.deviceKey);
      if (!record) state = 'offline';
    }
    const health = view(device, siteId, record, now, thresholds);
    if (state !== undefined) health.state = state;
    if (filter.state !== undefined && health.state !== filter.state) continue;
    if (devices.length === options.limit) return { devices, next: devices.at(-1)!.deviceKey };
    devices.push(health);
  }
  return { devices, next: null };
}
