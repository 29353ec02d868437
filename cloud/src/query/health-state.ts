import type { GatewayHealth } from '../db/gateway-health.js';

/**
 * How gateways and devices are judged alive. Gateways send a heartbeat every minute by default
 * (gateway config `cloud.heartbeatIntervalS`) and forward records as they come, so a quiet gateway
 * is noticed within minutes. Sensors report every 15 minutes to once a day (many meters send one
 * daily frame), so a device is late only after a day without a record.
 */
export interface HealthThresholds {
  /** A gateway is late when the cloud has not heard from it for this long, or its newest heartbeat is this old. Default 600 (10 min). */
  gatewayLateAfterS: number;
  /** A gateway is offline when the cloud has not heard from it for this long. Default 3,600 (1 h). */
  gatewayOfflineAfterS: number;
  /** A device is late when its newest record was received this long ago. Default 90,000 (25 h). */
  deviceLateAfterS: number;
  /** A device is offline when its newest record was received this long ago. Default 259,200 (72 h). */
  deviceOfflineAfterS: number;
}

export const defaultHealthThresholds: HealthThresholds = {
  gatewayLateAfterS: 600,
  gatewayOfflineAfterS: 3_600,
  deviceLateAfterS: 90_000,
  deviceOfflineAfterS: 259_200,
};

export type GatewayState = 'online' | 'late' | 'offline' | 'never-seen';
export type DeviceState = GatewayState;

/** Whole seconds from `at` to `now` (negative when `at` is ahead, e.g. a gateway clock running fast). */
export function ageS(at: string, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(at)) / 1000);
}

export interface GatewayStateView {
  state: GatewayState;
  /** Seconds since the gateway's last ingest request (cloud clock). */
  contactAgeS: number | null;
  /** Seconds since the newest heartbeat was made (gateway clock); null when it never sent one. */
  heartbeatAgeS: number | null;
}

/**
 * never-seen: registered, never contacted the cloud. offline: no contact for gatewayOfflineAfterS.
 * late: no contact for gatewayLateAfterS, or in contact while its newest heartbeat is older than
 * that (it is delivering a backlog, its heartbeats stopped, or its clock is wrong). online: otherwise.
 */
export function gatewayState(health: GatewayHealth | undefined, now: Date, thresholds: HealthThresholds): GatewayStateView {
  if (!health) return { state: 'never-seen', contactAgeS: null, heartbeatAgeS: null };
  const contactAgeS = ageS(health.lastContactAt, now);
  const heartbeatAgeS = health.lastHeartbeatAt === null ? null : ageS(health.lastHeartbeatAt, now);
  let state: GatewayState = 'online';
  if (contactAgeS > thresholds.gatewayOfflineAfterS) state = 'offline';
  else if (contactAgeS > thresholds.gatewayLateAfterS || (heartbeatAgeS !== null && heartbeatAgeS > thresholds.gatewayLateAfterS)) state = 'late';
  return { state, contactAgeS, heartbeatAgeS };
}

/** From the time the device's newest record was received: online, late (deviceLateAfterS), offline (deviceOfflineAfterS). */
export function deviceState(receivedAt: string | undefined, now: Date, thresholds: HealthThresholds): DeviceState {
  if (receivedAt === undefined) return 'never-seen';
  const age = ageS(receivedAt, now);
  if (age > thresholds.deviceOfflineAfterS) return 'offline';
  return age > thresholds.deviceLateAfterS ? 'late' : 'online';
}
