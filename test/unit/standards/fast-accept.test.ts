import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileFastAccept } from '../../../standards/src/fast-accept.js';
import { type StandardId, standardSchemas, validateRecord } from '../../../standards/src/index.js';

const envelope = {
  id: '0190a6e2-3b4c-7d5e-8f60-718293a4b5c6',
  kommune: '0751',
  deviceId: 'a84041000181c061',
  assetId: 'container-17',
  gatewayId: 'gw-aarhus-1',
  observedAt: '2026-11-24T08:00:00Z',
  receivedAt: '2026-11-24T08:00:01.250Z',
  quality: 'good',
  qualityFlags: ['clamped:fillLevel', 'stale'],
  device: { batteryPercent: 92, batteryV: 3.6, rssiDbm: -97, snrDb: 7.5 },
  undecoded: [{ offset: 12, hex: '0a0b' }],
};

/** A record of each standard with every field set, in an order unlike the schema's. */
const complete: Record<StandardId, Record<string, unknown>> = {
  'fill-level/1': { distanceMm: 2116, standard: 'fill-level/1', ...envelope, fillLevel: 0.15, tilted: false, lidOpen: true, temperatureC: 4.5, fireAlarm: false },
  'water-level/1': { standard: 'water-level/1', ...envelope, waterDepthM: 0.02, distanceM: 1.5, levelM: 1.27, datum: 'DVR90', flowM3s: 0.4, temperatureC: 9 },
  'meter-reading/1': {
    ...envelope,
    standard: 'meter-reading/1',
    meterType: 'heat',
    energyKWh: 2616752,
    volumeM3: 12.5,
    pulseCount: 9,
    powerKW: 3.2,
    flowM3h: 0.9,
    flowTempC: 70,
    returnTempC: 40,
    meterId: '66031129',
    errorFlags: 0,
  },
  'door-lock/1': { ...envelope, standard: 'door-lock/1', doorOpen: true, locked: false, tamper: false, openCount: 37, lastOpenDurationS: 12.5, leak: false, alarm: false },
  'gateway-heartbeat/1': {
    ...envelope,
    standard: 'gateway-heartbeat/1',
    uptimeS: 3600,
    queueDepth: 0,
    queueOldestAgeS: 0,
    queueDroppedTotal: 0,
    deadLetters: 1,
    uplinksTotal: 10,
    recordsTotal: 9,
    sourcesConnected: 2,
    sourcesTotal: 2,
    devicesConfigured: 40,
    softwareVersion: '1.4.0',
  },
};

const surrogatePair = '\u{1F600}';
/** Values at and beyond the edges of what the standards allow, of every JSON type and a few that JSON cannot carry. */
const oddValues: unknown[] = [
  undefined, null, true, false, 0, -0, 1, -1, 0.5, 1.5, 37, 100, 100.5, 1000, 100_001, -200, -201, 1e300, NaN, Infinity, -Infinity,
  2 ** 53 - 1, 2 ** 53, -(2 ** 53), '', 'a', '0751', '751', '07510', 'x'.repeat(32), 'x'.repeat(33), 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(128),
  'x'.repeat(129), surrogatePair.repeat(64), surrogatePair.repeat(65), `${surrogatePair}`, '\ud83d', 'good', 'bad', 'suspect', 'heat', 'gas', 'fill-level/1',
  'DVR90', '0a0b', '0A0B', 'stale', 'Stale', 'probe-failure:waterDepthM', '2025-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2025-01-01T00:00:00.123456Z',
  '2025-01-01T00:00:00+01:00', '2025-01-01T24:00:00Z', '0190a6e2-3b4c-4d5e-8f60-718293a4b5c6', '0190A6E2-3B4C-7D5E-8F60-718293A4B5C6', [], [1], ['a'],
  ['stale', 'Bad Flag'], Array.from({ length: 21 }, () => 'x'), Array.from({ length: 17 }, () => ({ offset: 0, hex: '' })), [{ offset: 1.5, hex: '00' }],
  [{ offset: 0, hex: '00', extra: 1 }], {}, { batteryPercent: 101 }, { rssiDbm: -80, colour: 'red' }, Object.create(null), new Date(0), () => 1,
];

/** Every variant of `record`: each key (also inside device / arrays) removed, set to undefined or to each odd value; extra keys. */
function variants(record: Record<string, unknown>): unknown[] {
  const out: unknown[] = [record];
  for (const key of Object.keys(record)) {
    const { [key]: _, ...without } = record;
    out.push(without);
    for (const value of oddValues) out.push({ ...record, [key]: value });
    const nested = record[key];
    if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
      for (const inner of variants(nested as Record<string, unknown>)) out.push({ ...record, [key]: inner });
    }
    if (Array.isArray(nested) && nested.length > 0) {
      for (const value of oddValues) out.push({ ...record, [key]: [value, ...nested.slice(1)] });
      const first = nested[0];
      if (first && typeof first === 'object') for (const inner of variants(first as Record<string, unknown>)) out.push({ ...record, [key]: [inner] });
    }
  }
  out.push({ ...record, colour: 'red' }, JSON.parse(`{"__proto__": 1, ${JSON.stringify(record).slice(1)}`), { ...record, quality: 'bad' });
  out.push(Object.assign(Object.create({ inherited: 1 }) as object, record), [record], null, 'record');
  return out;
}

/** Keys in order and values, recursively: what the store (JSON, line protocol) would see of a record. */
function layout(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(layout);
  if (value && typeof value === 'object') return Object.entries(value).map(([key, inner]) => [key, layout(inner)]);
  return value;
}

/** validateRecord as it was before the fast path: zod alone. */
function zodOnly(candidate: unknown): { ok: true; record: unknown } | { ok: false; reason: string } {
  const standard = (candidate as { standard?: unknown } | null)?.standard;
  if (typeof standard !== 'string' || !Object.hasOwn(standardSchemas, standard)) return { ok: false, reason: `standard: unknown standard ${JSON.stringify(standard)}` };
  const result = standardSchemas[standard as StandardId].safeParse(candidate);
  if (result.success) return { ok: true, record: result.data };
  return { ok: false, reason: result.error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ') };
}

describe('compileFastAccept', () => {
  it('compiles every standard and accepts a complete record of each as zod would', () => {
    for (const [id, schema] of Object.entries(standardSchemas)) {
      const accept = compileFastAccept(schema);
      expect(accept, id).toBeDefined();
      const record = complete[id as StandardId];
      const accepted = accept!(record);
      expect(accepted, id).toBeDefined();
      expect(layout(accepted), id).toEqual(layout(schema.parse(record)));
    }
  });

  it('never accepts what zod rejects, and gives what zod gives (same keys, same order)', () => {
    let accepted = 0;
    let total = 0;
    for (const [id, schema] of Object.entries(standardSchemas)) {
      const accept = compileFastAccept(schema)!;
      for (const candidate of variants(complete[id as StandardId])) {
        total++;
        const fast = accept(candidate);
        if (fast === undefined) continue;
        accepted++;
        const zod = schema.safeParse(candidate);
        expect(zod.success, `${id}: ${String(JSON.stringify(candidate))}`).toBe(true);
        expect(layout(fast), id).toEqual(layout(zod.data));
        expect(fast).not.toBe(candidate);
      }
    }
    // the fast path does take the valid variants (e.g. an optional key left out)
    expect(accepted).toBeGreaterThan(total / 10);
  });

  it('leaves schemas of kinds it does not compile to zod', () => {
    expect(compileFastAccept(z.object({ a: z.string() }))).toBeUndefined(); // strips unknown keys
    expect(compileFastAccept(z.strictObject({ a: z.string().default('x') }))).toBeUndefined();
    expect(compileFastAccept(z.strictObject({ a: z.coerce.number() }))).toBeUndefined();
    expect(compileFastAccept(z.strictObject({ a: z.union([z.string(), z.number()]) }))).toBeUndefined();
    expect(compileFastAccept(z.string())).toBeUndefined();
  });
});

describe('validateRecord with the fast path', () => {
  it('answers exactly as zod alone, reasons included', () => {
    for (const id of Object.keys(standardSchemas)) {
      for (const candidate of variants(complete[id as StandardId])) {
        const expected = zodOnly(candidate);
        const actual = validateRecord(candidate);
        expect(actual.ok, `${id}: ${String(JSON.stringify(candidate))}`).toBe(expected.ok);
        if (actual.ok && expected.ok) expect(layout(actual.record), id).toEqual(layout(expected.record));
        if (!actual.ok && !expected.ok) expect(actual.reason).toBe(expected.reason);
      }
    }
  });

  it('rejects a standard named like an Object.prototype member instead of throwing', () => {
    expect(validateRecord({ ...complete['door-lock/1'], standard: 'toString' })).toEqual({ ok: false, reason: 'standard: unknown standard "toString"' });
  });
});
