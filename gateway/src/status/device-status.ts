import type { DeviceEvent } from '../../../firmware-profiles/src/index.js';
import type { SensorRecord } from '../../../standards/src/index.js';

/** What a technician wants to know per device: when it was last heard, what it said, its health. */
export interface DeviceStatus {
  deviceKey: string;
  lastSeenAt: string | undefined;
  lastRecord: SensorRecord | undefined;
  batteryPercent: number | undefined;
  batteryV: number | undefined;
  rssiDbm: number | undefined;
  uplinks: number;
  decodeErrors: number;
  lastError: string | undefined;
}

/** In-memory per-device status, fed by the pipeline; bounded by the devices it has heard from. */
export class DeviceStatusBook {
  private readonly devices = new Map<string, DeviceStatus>();

  private entry(deviceKey: string): DeviceStatus {
    let status = this.devices.get(deviceKey);
    if (!status) {
      status = {
        deviceKey,
        lastSeenAt: undefined,
        lastRecord: undefined,
        batteryPercent: undefined,
        batteryV: undefined,
        rssiDbm: undefined,
        uplinks: 0,
        decodeErrors: 0,
        lastError: undefined,
      };
      this.devices.set(deviceKey, status);
    }
    return status;
  }

  recordDecoded(deviceKey: string, receivedAt: string, records: readonly SensorRecord[]): void {
    const status = this.entry(deviceKey);
    status.uplinks++;
    status.lastSeenAt = receivedAt;
    const last = records[0];
    if (!last) return;
    status.lastRecord = last;
    if (last.device?.batteryPercent !== undefined) status.batteryPercent = last.device.batteryPercent;
    if (last.device?.batteryV !== undefined) status.batteryV = last.device.batteryV;
    if (last.device?.rssiDbm !== undefined) status.rssiDbm = last.device.rssiDbm;
  }

  recordFailure(deviceKey: string, receivedAt: string | undefined, reason: string): void {
    const status = this.entry(deviceKey);
    status.uplinks++;
    status.decodeErrors++;
    status.lastError = reason;
    if (receivedAt) status.lastSeenAt = receivedAt;
  }

  /** Battery and join events from the network server (not measurements). */
  recordHealth(event: DeviceEvent): void {
    const status = this.devices.get(event.deviceKey);
    if (!status && event.kind !== 'status') return;
    const entry = status ?? this.entry(event.deviceKey);
    if (event.kind === 'status' && event.batteryPercent !== undefined) entry.batteryPercent = event.batteryPercent;
    entry.lastSeenAt = event.receivedAt;
  }

  get(deviceKey: string): DeviceStatus | undefined {
    return this.devices.get(deviceKey);
  }

  all(): DeviceStatus[] {
    return [...this.devices.values()];
  }
}
