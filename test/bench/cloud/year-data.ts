import { stableRecordId } from '../../../firmware-profiles/src/index.js';
import type { SensorRecord } from '../../../standards/src/index.js';

/**
 * The benchmark's synthetic kommune: `devices` sensors reporting every hour, in one kommune
 * ('0751'), mixed as a municipality's fleet is: 50 % waste containers (fill-level/1), 30 %
 * utility meters (meter-reading/1, heat and water alternating) on sites of 20 meters each, 10 %
 * water-level loggers, 10 % door locks. Values are deterministic functions of (device, hour), and
 * so are the record ids (stableRecordId), so an interrupted generation can run again over the
 * same hours and the store takes the repeated records as duplicates.
 */

export const kommune = '0751';
export const metersPerSite = 20;
const H = 3_600_000;

export type Kind = 'fill' | 'meter' | 'water' | 'door';

export interface Device {
  index: number;
  kind: Kind;
  deviceId: string;
  assetId: string;
  /** For meters. */
  siteId?: string;
  meterType?: 'heat' | 'water';
  /** Seconds after the hour at which the device reports. */
  phaseS: number;
}

export function fleet(count: number): Device[] {
  const devices: Device[] = [];
  let meters = 0;
  for (let index = 0; index < count; index++) {
    const slot = index % 10;
    const kind: Kind = slot < 5 ? 'fill' : slot < 8 ? 'meter' : slot === 8 ? 'water' : 'door';
    const id = String(index).padStart(5, '0');
    const phaseS = (index * 7919) % 3600;
    if (kind === 'meter') {
      const site = Math.floor(meters / metersPerSite);
      const meterType = meters % 2 === 0 ? 'heat' : 'water';
      meters++;
      devices.push({ index, kind, deviceId: `mbus-${id}`, assetId: `meter-${id}`, siteId: `site-${String(site).padStart(4, '0')}`, meterType, phaseS });
    } else {
      devices.push({ index, kind, deviceId: `${kind}-${id}`, assetId: `${kind === 'fill' ? 'container' : kind}-${id}`, phaseS });
    }
  }
  return devices;
}

/** site → its meters' asset ids (what the registry would answer). */
export function sites(devices: readonly Device[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const device of devices) if (device.siteId) (out[device.siteId] ??= []).push(device.assetId);
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Small deterministic noise in [0, 1) from two integers. */
function noise(a: number, b: number): number {
  let x = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  x ^= x >>> 12;
  return (x >>> 0) / 4294967296;
}

/** The record of `device` in hour `hour` after `startMs`. */
export function recordAt(device: Device, startMs: number, hour: number): SensorRecord {
  const observed = startMs + hour * H + device.phaseS * 1000;
  const observedAt = new Date(observed).toISOString();
  const envelope = {
    id: stableRecordId(observed + 1200, `${device.deviceId}:${hour}`),
    kommune,
    deviceId: device.deviceId,
    assetId: device.assetId,
    gatewayId: `gw-${kommune}-${String(device.index % 40).padStart(2, '0')}`,
    observedAt,
    receivedAt: new Date(observed + 1200).toISOString(),
    quality: 'good' as const,
    device: {
      batteryPercent: Math.max(5, 100 - Math.floor(hour / 200) - (device.index % 7)),
      rssiDbm: -80 - Math.floor(noise(device.index, hour) * 40),
      snrDb: Math.round((noise(hour, device.index) * 20 - 5) * 10) / 10,
    },
  };
  const r = noise(device.index, hour);
  switch (device.kind) {
    case 'fill': {
      // fills over ~5 days, emptied, again
      const cycle = 96 + (device.index % 48);
      const fill = ((hour + device.index) % cycle) / cycle;
      const distanceMm = Math.round(1500 - fill * 1300 + r * 40);
      return {
        ...envelope,
        standard: 'fill-level/1',
        distanceMm,
        fillLevel: Math.min(1, Math.max(0, (1500 - distanceMm) / 1300)),
        temperatureC: Math.round((8 + 10 * Math.sin((hour / 24) * Math.PI * 2) + r * 2) * 10) / 10,
      };
    }
    case 'meter': {
      // cumulative registers, increasing every hour: heat follows the season, water the time of day
      const base = 10_000 + device.index * 13;
      if (device.meterType === 'heat') {
        const energyKWh = base + 2 * hour + ((1.5 * 8760) / (2 * Math.PI)) * Math.sin((2 * Math.PI * hour) / 8760);
        const powerKW = 2 + 1.5 * Math.cos((2 * Math.PI * hour) / 8760);
        return { ...envelope, standard: 'meter-reading/1', meterType: 'heat', energyKWh: round3(energyKWh), powerKW: round3(powerKW), flowTempC: round3(70 + r * 5), returnTempC: round3(40 + r * 5) };
      }
      const volumeM3 = base / 100 + 0.02 * hour + (0.02 * 24) / (2 * Math.PI) * Math.sin((2 * Math.PI * hour) / 24 - 2);
      return { ...envelope, standard: 'meter-reading/1', meterType: 'water', volumeM3: round3(volumeM3), flowM3h: round3(0.02 + 0.02 * Math.cos((2 * Math.PI * hour) / 24 - 2)) };
    }
    case 'water':
      return { ...envelope, standard: 'water-level/1', distanceM: Math.round((2 + Math.sin(hour / 50) + r * 0.05) * 1000) / 1000, temperatureC: 9 + r };
    case 'door':
      return { ...envelope, standard: 'door-lock/1', doorOpen: r < 0.1, locked: r >= 0.3, openCount: Math.floor(hour / 3) };
  }
}
