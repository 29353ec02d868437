import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRecords } from '../../../firmware-profiles/src/index.js';
import { validateRecord } from '../../../standards/src/index.js';
import { repositoryProfiles } from './helpers.js';

const loaded = await repositoryProfiles();
afterAll(() => {
  for (const profile of loaded.profiles.values()) profile.dispose();
});

/** Random payloads, plus mutations of each profile's own vectors (which reach deeper than pure noise). */
function payloads(vectorHexes: string[]) {
  const random = fc.uint8Array({ maxLength: 64 });
  if (vectorHexes.length === 0) return random;
  const mutated = fc
    .tuple(fc.constantFrom(...vectorHexes), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 64 }))
    .map(([hex, position, value, cut]) => {
      const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
      if (bytes.length > 0) bytes[position % bytes.length] = value;
      return bytes.subarray(0, Math.max(0, bytes.length - (cut % 4)));
    });
  return fc.oneof(random, mutated);
}

describe('every profile, thrown random and mutated bytes', () => {
  for (const profile of loaded.profiles.values()) {
    it(`${profile.id}: never throws; always valid records or a reason`, () => {
      const vectorHexes = profile.source.vectors.flatMap((vector) => (vector.hex === undefined ? [] : [vector.hex]));
      const ports = [...profile.fPorts, 0, 1, 255];
      fc.assert(
        fc.property(fc.constantFrom(...ports), payloads(vectorHexes), (fPort, bytes) => {
          const outcome = profile.decode({ fPort, bytes, receivedAtMs: Date.parse('2026-11-24T08:00:00Z') });
          if (!outcome.ok) {
            expect(outcome.reason.length).toBeGreaterThan(0);
            expect(outcome.code).not.toBe('internal');
            return;
          }
          const records = buildRecords(outcome.observations, outcome.undecoded, {
            kommune: '0751', deviceId: 'dev', gatewayId: 'gw', receivedAt: '2026-11-24T08:00:00.000Z',
          });
          for (const record of records) {
            const validation = validateRecord(record);
            expect(validation, JSON.stringify(record)).toMatchObject({ ok: true });
          }
        }),
        { numRuns: 3000 },
      );
    });
  }
});

describe('every profile with a JSON mapping, thrown random JSON', () => {
  for (const profile of [...loaded.profiles.values()].filter((p) => 'json' in p.source && p.source.json)) {
    it(`${profile.id}: never throws; always valid records or a reason`, () => {
      const keys = Object.values((profile.source as { json: { fields: Record<string, string | { from: string }> } }).json.fields).map((entry) =>
        typeof entry === 'string' ? entry : entry.from,
      );
      const objects = fc.dictionary(fc.constantFrom(...keys, 'other'), fc.jsonValue(), { maxKeys: 6 });
      fc.assert(
        fc.property(fc.oneof(objects, fc.jsonValue()), (json) => {
          const outcome = profile.decodeJson({ json, receivedAtMs: Date.parse('2026-11-24T08:00:00Z') });
          if (!outcome.ok) {
            expect(outcome.reason.length).toBeGreaterThan(0);
            return;
          }
          const records = buildRecords(outcome.observations, outcome.undecoded, {
            kommune: '0751', deviceId: 'dev', gatewayId: 'gw', receivedAt: '2026-11-24T08:00:00.000Z',
          });
          for (const record of records) expect(validateRecord(record), JSON.stringify(record)).toMatchObject({ ok: true });
        }),
        { numRuns: 3000 },
      );
    });
  }
});
