import type { CompiledProfile, LoadedProfiles, PreparedParams } from '../../../firmware-profiles/src/index.js';
import type { DeviceConfig } from '../config/schema.js';

export interface RegisteredDevice {
  deviceKey: string;
  /** The record's deviceId. */
  deviceId: string;
  assetId: string | undefined;
  profile: CompiledProfile;
  params: PreparedParams;
}

/** deviceKey → device, its compiled profile and its parameters checked once. */
export class DeviceRegistry {
  private readonly devices = new Map<string, RegisteredDevice>();

  /** Throws on a device whose profile or parameters are unusable: run `gateway check` first. */
  constructor(devices: readonly DeviceConfig[], profiles: LoadedProfiles) {
    for (const device of devices) {
      const profile = profiles.profiles.get(device.profile);
      if (!profile) throw new Error(`device ${device.deviceKey}: unknown profile ${device.profile}`);
      const params = profile.prepareParams(device.params);
      if (!params.ok) throw new Error(`device ${device.deviceKey}: ${params.reason}`);
      this.devices.set(device.deviceKey, {
        deviceKey: device.deviceKey,
        deviceId: device.deviceKey,
        assetId: device.assetId,
        profile,
        params: params.params,
      });
    }
  }

  lookup(deviceKey: string): RegisteredDevice | undefined {
    return this.devices.get(deviceKey);
  }

  get size(): number {
    return this.devices.size;
  }

  keys(): IterableIterator<string> {
    return this.devices.keys();
  }
}
