import type { LoadedProfiles, Uplink } from '../../../firmware-profiles/src/index.js';
import { recordsOfUplink } from '../../../firmware-profiles/src/index.js';
import type { IngestResult } from '../../../standards/src/index.js';
import type { Clock } from '../clock.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import type { IntegrationDeadLetters } from './dead-letters.js';
import type { IntegrationPrincipal } from './integration-keys.js';
import { type PushedBody, uplinkOfPush } from './push-body.js';

type FailureStatus = 400 | 415 | 422 | 503;

/** What became of a pushed body: its records with their outcomes, or why it could not be used. */
export type Taken =
  | { ok: true; deviceKey: string; results: IngestResult[] }
  | { ok: false; status: FailureStatus; code: string; reason: string; deviceKey?: string };

export type IngestAnswer =
  | { ok: true; deviceKey: string; results: IngestResult[] }
  | { ok: false; status: FailureStatus; code: string; error: string; deadLetterId: number };

/**
 * An uplink pushed by an integration → the kommune's registry → the device's firmware profile
 * with its params → validated records → the store (the same decode as the gateway's,
 * firmware-profiles recordsOfUplink). Records get the key's kommune and the integration's
 * gatewayId. What cannot be used becomes a dead letter with its reason; everything is counted.
 */
export class UplinkIngest {
  constructor(
    private readonly registry: RegistryRepository,
    private readonly profiles: LoadedProfiles,
    private readonly store: TimeSeriesStore,
    private readonly deadLetters: IntegrationDeadLetters,
    private readonly maxBodyBytes: number,
  ) {}

  /** An up event as it arrives: counted as an uplink; what cannot be used is kept as a dead letter, and the answer says why. */
  async push(key: IntegrationPrincipal, body: PushedBody, now: Clock): Promise<IngestAnswer> {
    this.deadLetters.increment(key.kommune, { uplinks: 1 });
    const taken = await this.take(key, body, now);
    if (taken.ok) return taken;
    const deadLetterId = this.deadLetters.add(key.kommune, {
      source: key.integration,
      keyId: key.keyId,
      deviceKey: taken.deviceKey ?? null,
      code: taken.code,
      reason: taken.reason,
      contentType: body.contentType,
      raw: body.raw,
    });
    return { ok: false, status: taken.status, code: taken.code, error: taken.reason, deadLetterId };
  }

  /**
   * A pushed body through the whole path, from its bytes to the store; the path of a push and of a
   * dead letter's replay. Counts the records; keeps nothing when it fails. `receivedAt` stands in
   * for a body without any time of its own.
   */
  async take(key: IntegrationPrincipal, body: PushedBody, receivedAt: Clock): Promise<Taken> {
    const read = uplinkOfPush(key.integration, body, this.maxBodyBytes, receivedAt);
    if (!read.ok) return read;
    const { deviceKey } = read.uplink;
    const decoded = this.decode(key, read.uplink);
    if (!decoded.ok) return { ok: false, status: 422, code: decoded.code, reason: decoded.reason, deviceKey };

    let outcomes;
    try {
      outcomes = await this.store.write(decoded.records);
    } catch {
      // The sender does not retry (ChirpStack and OS2iot log a failed POST): a push is kept as a dead letter.
      return { ok: false, status: 503, code: 'store-unavailable', reason: 'the store could not take the records', deviceKey };
    }
    const results = decoded.records.map((record, index) => ({ id: record.id, outcome: outcomes[index]! }));
    const stored = results.filter((result) => result.outcome === 'stored').length;
    this.deadLetters.increment(key.kommune, { 'records.stored': stored, 'records.duplicate': results.length - stored });
    return { ok: true, deviceKey, results };
  }

  private decode(key: IntegrationPrincipal, uplink: Uplink): ReturnType<typeof recordsOfUplink> {
    const device = this.registry.get(key.kommune, 'devices', uplink.deviceKey);
    if (!device) return { ok: false, code: 'unknown-device', reason: `device ${uplink.deviceKey} is not registered in kommune ${key.kommune}` };
    const profile = this.profiles.profiles.get(device.profile);
    if (!profile) return { ok: false, code: 'unknown-profile', reason: `device ${uplink.deviceKey}: firmware profile ${device.profile} is not loaded` };
    const params = profile.prepareParams(device.params);
    if (!params.ok) return { ok: false, code: 'bad-params', reason: `device ${uplink.deviceKey}: ${params.reason}` };
    return recordsOfUplink(uplink, { deviceId: device.deviceKey, assetId: device.assetId, profile, params: params.params }, key);
  }
}
