import type { LoadedProfiles, Uplink } from '../../../firmware-profiles/src/index.js';
import { recordsOfUplink } from '../../../firmware-profiles/src/index.js';
import type { IngestResult } from '../../../standards/src/index.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import type { IntegrationDeadLetters } from './dead-letters.js';
import type { IntegrationPrincipal } from './integration-keys.js';

/** The request as it arrived: what a dead letter keeps. */
export interface PushedBody {
  raw: Buffer;
  contentType: string | null;
}

export type IngestAnswer =
  | { ok: true; deviceKey: string; results: IngestResult[] }
  | { ok: false; status: 400 | 415 | 422 | 503; code: string; error: string; deadLetterId: number };

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
  ) {}

  async ingest(key: IntegrationPrincipal, uplink: Uplink, body: PushedBody): Promise<IngestAnswer> {
    const { kommune } = key;
    this.deadLetters.increment(kommune, { uplinks: 1 });
    const decoded = this.decode(key, uplink);
    if (!decoded.ok) return this.refuse(key, body, 422, decoded.code, decoded.reason, uplink.deviceKey);

    let outcomes;
    try {
      outcomes = await this.store.write(decoded.records);
    } catch {
      // The sender does not retry (ChirpStack and OS2iot log a failed POST): keep the uplink.
      return this.refuse(key, body, 503, 'store-unavailable', 'the store could not take the records; the uplink is kept as a dead letter', uplink.deviceKey);
    }
    const results = decoded.records.map((record, index) => ({ id: record.id, outcome: outcomes[index]! }));
    const stored = results.filter((result) => result.outcome === 'stored').length;
    this.deadLetters.increment(kommune, { 'records.stored': stored, 'records.duplicate': results.length - stored });
    return { ok: true, deviceKey: uplink.deviceKey, results };
  }

  /** Keeps what could not be used and says why; the answer for the sender. */
  refuse(key: IntegrationPrincipal, body: PushedBody, status: 400 | 415 | 422 | 503, code: string, reason: string, deviceKey?: string): IngestAnswer {
    const deadLetterId = this.deadLetters.add(key.kommune, {
      source: key.integration,
      keyId: key.keyId,
      deviceKey: deviceKey ?? null,
      code,
      reason,
      contentType: body.contentType,
      raw: body.raw,
    });
    return { ok: false, status, code, error: reason, deadLetterId };
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
