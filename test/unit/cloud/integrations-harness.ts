import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import { integrationRoutes, type IntegrationRoutesOptions } from '../../../cloud/src/integrations/routes.js';
import { type LoadedProfiles, loadProfiles } from '../../../firmware-profiles/src/index.js';
import { startTestCloud } from '../../support/cloud-app.js';

/**
 * The HTTP integrations' test rig (ChirpStack v4 HTTP integration, OS2iot HTTP push data target)
 * on the real app: buildCloudApp with the registry and integration routes, a real cloud database
 * and SQLite time-series store in a temp dir, the repository's firmware profiles.
 */

interface DecoderCase { profile: string; fPort: number; hex: string; params: Record<string, number>; expect: Record<string, unknown> }
const vectors = JSON.parse(readFileSync(new URL('../../../../shared/vectors/decoder-vectors.json', import.meta.url), 'utf8')) as {
  cases: DecoderCase[];
  envelopes: { 'chirpstack-v4-up': { json: Record<string, unknown> } };
};
/** EM310-UDL, fPort 85: battery 92 %, distance 2116 mm; with emptyDistanceMm 2500 a fill level of 0.1536. */
export const em310 = vectors.cases.find((c) => c.profile === 'milesight-em310-udl' && c.params.emptyDistanceMm === 2500)!;
export const devEui = '24e124713b234567';
export const chirpstackUp = '/api/v1/integrations/chirpstack?event=up';

/** ChirpStack's up event as its JSON marshaler writes it (the shared vector's envelope, with this device and payload). */
export function upEvent(overrides: { devEui?: string; hex?: string; deduplicationId?: string } = {}): Record<string, unknown> {
  const base = structuredClone(vectors.envelopes['chirpstack-v4-up'].json);
  return {
    ...base,
    deduplicationId: overrides.deduplicationId ?? '5b6f0c84-6f3e-4d55-9d3a-0c1d2e3f4a5b',
    deviceInfo: { ...(base.deviceInfo as object), devEui: overrides.devEui ?? devEui },
    fPort: em310.fPort,
    fCnt: 17,
    data: Buffer.from(overrides.hex ?? em310.hex, 'hex').toString('base64'),
  };
}

/** Loads the firmware profiles once for the test file (call at its top level). */
export function useProfiles(): () => LoadedProfiles {
  let profiles: LoadedProfiles | undefined;
  beforeAll(async () => {
    profiles = await loadProfiles();
  });
  afterAll(() => {
    for (const profile of profiles?.profiles.values() ?? []) profile.dispose();
  });
  return () => profiles!;
}

export type IntegrationLimits = Pick<IntegrationRoutesOptions, 'maxBodyBytes' | 'deadLettersPerKommune' | 'ratePerKeyPerMinute'>;

/** The test cloud with the integration routes, asset c-17 and the EM310-UDL devEui registered in Aarhus. */
export async function integrationsHarness(profiles: LoadedProfiles, options: IntegrationLimits & { docs?: boolean } = {}) {
  const { docs, ...limits } = options;
  const { app, services, store, registry, tokens, call: api } = await startTestCloud({
    name: 'cloud-integrations',
    ...(docs !== undefined && { app: { docs } }),
    routes: ({ database, store, registry }) => [integrationRoutes({ database, store, registry, profiles, ...limits })],
  });
  const { admin, kbh: kbhAdmin, technician } = tokens;

  const issueKey = async (token: string, integration: 'chirpstack' | 'os2iot', name: string): Promise<string> => {
    const issued = await api('POST', '/api/v1/integrations/keys', token, { integration, name });
    expect(issued.statusCode).toBe(201);
    return issued.json().key as string;
  };
  const push = (url: string, authorization: string | undefined, payload: string | Buffer | object, contentType = 'application/json') =>
    app.inject({
      method: 'POST', url,
      headers: { 'content-type': contentType, ...(authorization === undefined ? {} : { authorization }) },
      payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    });
  const deadLetters = async (token = technician, query = '') => (await api('GET', `/api/v1/integrations/dead-letters${query}`, token)).json();

  expect((await api('PUT', '/api/v1/registry/assets/c-17', admin, { id: 'c-17', name: 'Glas, Møllevej', kind: 'waste-container', fraction: 'glas', volumeL: 2500 })).statusCode).toBe(200);
  expect((await api('PUT', `/api/v1/registry/devices/${devEui}`, admin, { deviceKey: devEui, profile: em310.profile, assetId: 'c-17', params: em310.params })).statusCode).toBe(200);
  return { app, services, store, registry, tokens, admin, kbhAdmin, technician, api, issueKey, push, deadLetters };
}

export type IntegrationsHarness = Awaited<ReturnType<typeof integrationsHarness>>;
