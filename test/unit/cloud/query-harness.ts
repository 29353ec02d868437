import type { HealthThresholds } from '../../../cloud/src/query/health-state.js';
import { queryRoutes } from '../../../cloud/src/query/query-routes.js';
import type { EntityKind } from '../../../cloud/src/registry/schema.js';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import { type SensorRecord, validateRecord } from '../../../standards/src/index.js';
import { startTestCloud } from '../../support/cloud-app.js';

/**
 * The query API's test rig: the test cloud (test/support/cloud-app.ts) with the query routes and
 * the OpenAPI document, a clock the test moves, and shorthands to read, register and write.
 */
export async function queryHarness(options: { now: string; thresholds?: Partial<HealthThresholds> }) {
  const clock = { now: new Date(options.now) };
  const cloud = await startTestCloud({
    name: 'query',
    app: { docs: true, clock: () => clock.now },
    routes: ({ store, registry }) => [queryRoutes({ store, registry, ...(options.thresholds && { thresholds: options.thresholds }) })],
  });
  const { app, services, store, tokens } = cloud;

  const get = (url: string, token: string | null = tokens.energi) => cloud.call('GET', url, token);

  const put = (kind: EntityKind, entity: Record<string, unknown>, kommune = '0751') => cloud.registry.put(kommune, kind, entity);

  return {
    app,
    services,
    store,
    tokens,
    clock,
    get,
    put,
    async write(records: SensorRecord[]) {
      const outcomes = await store.write(records);
      if (outcomes.some((outcome) => outcome !== 'stored')) throw new Error('test records were not all stored');
    },
  };
}

export type QueryHarness = Awaited<ReturnType<typeof queryHarness>>;

interface Envelope {
  kommune?: string;
  deviceId?: string;
  assetId?: string;
  gatewayId?: string;
  quality?: 'good' | 'suspect' | 'bad';
  /** Seconds between observation and reception; default 2. */
  delayS?: number;
  device?: SensorRecord['device'];
}

/** A valid record of `standard` observed at `at`. */
export function record(standard: SensorRecord['standard'], at: string, envelope: Envelope, fields: Record<string, unknown>): SensorRecord {
  const observed = Date.parse(at);
  const candidate = {
    id: newRecordId(observed + 500),
    standard,
    kommune: envelope.kommune ?? '0751',
    deviceId: envelope.deviceId ?? 'dev-1',
    ...(envelope.assetId !== undefined && { assetId: envelope.assetId }),
    gatewayId: envelope.gatewayId ?? 'gw-a',
    observedAt: new Date(observed).toISOString(),
    receivedAt: new Date(observed + (envelope.delayS ?? 2) * 1000).toISOString(),
    quality: envelope.quality ?? 'good',
    ...(envelope.device !== undefined && { device: envelope.device }),
    ...fields,
  } as SensorRecord;
  const checked = validateRecord(candidate);
  if (!checked.ok) throw new Error(`test record is not valid: ${checked.reason}`);
  return candidate;
}

/** ISO time `hours` after `start`. */
export function hoursAfter(start: string, hours: number): string {
  return new Date(Date.parse(start) + hours * 3_600_000).toISOString();
}
