import type { CompiledProfile, DecodeOutcome, PreparedParams } from '../compile/compile-profile.js';
import type { Observation } from '../compile/observation.js';
import type { ProfileVector } from '../format/profile-schema.js';

/** An observation as record paths: fields, `device.*`, quality, qualityFlags, observedAt, standard. */
export function flattenObservation(observation: Observation): Record<string, unknown> {
  const flat: Record<string, unknown> = {
    standard: observation.standard,
    quality: observation.quality,
    ...observation.fields,
  };
  if (observation.observedAt !== undefined) flat.observedAt = observation.observedAt;
  if (observation.qualityFlags) flat.qualityFlags = observation.qualityFlags;
  for (const [key, value] of Object.entries(observation.device)) flat[`device.${key}`] = value;
  return flat;
}

/** Numbers agree within 1e-6 relative (as the shared decoder vectors specify); anything else must be equal. */
export function sameValue(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') {
    return Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected));
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}

/** Compares `actual` with each expected path; returns one message per difference. */
export function compareExpected(actual: Record<string, unknown>, expect: Record<string, unknown>): string[] {
  return Object.entries(expect)
    .filter(([path, value]) => !sameValue(actual[path], value))
    .map(([path, value]) => `${path}: expected ${JSON.stringify(value)}, decoded ${JSON.stringify(actual[path]) ?? 'nothing'}`);
}

/** Decodes a vector's payload (binary or JSON) as the gateway would. */
export function decodeVector(profile: CompiledProfile, vector: ProfileVector, params?: PreparedParams): DecodeOutcome {
  const receivedAtMs = vector.receivedAt ? Date.parse(vector.receivedAt) : Date.now();
  if (vector.json !== undefined) return profile.decodeJson({ json: vector.json, receivedAtMs, ...(params ? { params } : {}) });
  return profile.decode({ fPort: vector.fPort ?? 0, bytes: Buffer.from(vector.hex ?? '', 'hex'), receivedAtMs, ...(params ? { params } : {}) });
}

/** How a vector is named in messages. */
export function vectorLabel(vector: ProfileVector): string {
  return vector.json !== undefined ? `json ${JSON.stringify(vector.json).slice(0, 60)}` : `fPort ${vector.fPort} ${vector.hex}`;
}

/** Runs one of a profile's own test vectors; returns what disagrees (empty when it passes). */
export function checkVector(profile: CompiledProfile, vector: ProfileVector): string[] {
  const params = profile.prepareParams(vector.params);
  if (!params.ok) return [`params: ${params.reason}`];
  const outcome = decodeVector(profile, vector, params.params);
  const label = vectorLabel(vector);
  if (vector.error !== undefined) {
    if (outcome.ok) return [`${label}: expected a refusal (${vector.error}), got ${outcome.observations.length} record(s)`];
    return outcome.reason.includes(vector.error) ? [] : [`${label}: refused with "${outcome.reason}", expected "${vector.error}"`];
  }
  if (!outcome.ok) return [`${label}: refused: ${outcome.reason}`];
  const problems: string[] = [];
  if (vector.records !== undefined && outcome.observations.length !== vector.records) {
    problems.push(`${label}: expected ${vector.records} record(s), decoded ${outcome.observations.length}`);
  }
  const first = outcome.observations[0];
  if (first && vector.expect) problems.push(...compareExpected(flattenObservation(first), vector.expect).map((p) => `${label}: ${p}`));
  return problems;
}
