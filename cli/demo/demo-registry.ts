import type { AssetInput, DeviceInput, SiteInput } from '../../cloud/src/registry/schema.js';
import type { SimulatedDevice } from '../../gateway/src/simulator/simulator.js';

/**
 * What the demo registers in the cloud for its simulated sensors, so that the query, health,
 * export and open-data APIs have sites, assets and devices to answer about: two buildings for
 * the meters and doors (energy key figures need their heated area), the containers and basins
 * in the street, and every device on the demo gateway.
 */

export const demoSites: readonly SiteInput[] = [
  { id: 'raadhus', name: 'Aarhus Rådhus', address: 'Rådhuspladsen 2, 8000 Aarhus C', heatedAreaM2: 19_500, latitude: 56.1527, longitude: 10.2039 },
  { id: 'skole-moellevej', name: 'Møllevejens Skole', address: 'Møllevej 12, 8210 Aarhus V', heatedAreaM2: 6_400, latitude: 56.1702, longitude: 10.1528 },
];

const fractions = ['rest', 'mad', 'papir', 'glas', 'plast'] as const;

/** Spread around Aarhus C, so maps show the assets apart. */
function position(index: number): { latitude: number; longitude: number } {
  return { latitude: 56.15 + ((index * 37) % 100) / 4000, longitude: 10.19 + ((index * 53) % 100) / 2500 };
}

function assetOf(device: SimulatedDevice, index: number): AssetInput {
  const base = { id: device.assetId, ...position(index) };
  const siteId = demoSites[index % demoSites.length]!.id;
  switch (device.profile) {
    case 'milesight-em310-udl':
    case 'dragino-ldds75':
      return { ...base, kind: 'waste-container', name: `Container ${device.assetId}`, fraction: fractions[index % fractions.length]!, volumeL: device.profile === 'dragino-ldds75' ? 3_000 : 660 };
    case 'milesight-em500-swl':
      return { ...base, kind: 'water-level-logger', name: `Regnvandsbassin ${device.assetId}`, datum: 'DVR90', referenceLevelM: Number(device.params.referenceLevelM ?? 0) };
    case 'elvaco-cmi4110':
      return { ...base, siteId, kind: 'meter', name: `Varmemåler ${device.assetId}`, meterType: 'heat', unit: 'kWh' };
    case 'axioma-qalcosonic-w1':
      return { ...base, siteId, kind: 'meter', name: `Vandmåler ${device.assetId}`, meterType: 'water', unit: 'm3' };
    case 'milesight-em300-di':
      return { ...base, siteId, kind: 'meter', name: `Elmåler (impuls) ${device.assetId}`, meterType: 'pulse', unit: 'pulses' };
    default:
      return { ...base, siteId, kind: 'door', name: `Dør ${device.assetId}`, lock: false };
  }
}

export interface DemoRegistry {
  sites: readonly SiteInput[];
  gateway: { id: string; name: string; siteId: string };
  assets: AssetInput[];
  devices: DeviceInput[];
}

export function demoRegistry(devices: readonly SimulatedDevice[], gatewayId: string): DemoRegistry {
  return {
    sites: demoSites,
    gateway: { id: gatewayId, name: 'Demo-gateway (simulerede sensorer)', siteId: demoSites[0]!.id },
    assets: devices.map((device, index) => assetOf(device, index)),
    devices: devices.map((device) => ({ deviceKey: device.deviceKey, profile: device.profile, assetId: device.assetId, gatewayId, params: { ...device.params } })),
  };
}

/** Registers it through the cloud's registry API (as a municipality's admin would), then publishes the two open datasets. */
export async function registerDemo(cloudUrl: string, adminToken: string, registry: DemoRegistry): Promise<void> {
  const put = async (path: string, body: object) => {
    const response = await fetch(`${cloudUrl}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
  };
  for (const site of registry.sites) await put(`/api/v1/registry/sites/${site.id}`, site);
  await put(`/api/v1/registry/gateways/${registry.gateway.id}`, registry.gateway);
  for (const asset of registry.assets) await put(`/api/v1/registry/assets/${asset.id}`, asset);
  for (const device of registry.devices) await put(`/api/v1/registry/devices/${device.deviceKey}`, device);
  for (const dataset of ['fill-level-v1', 'water-level-v1']) await put(`/api/v1/opendata/datasets/${dataset}`, {});
}
