import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledProfile, loadProfiles } from '../../../firmware-profiles/src/index.js';

const codec = `
function decodeUplink(input) {
  var b = input.bytes;
  if (input.fPort === 9) { while (true) {} }
  if (input.fPort === 8) { throw new Error('vendor codec bug'); }
  if (input.fPort === 7) { return { data: { distance: 'far' } }; }
  if (b.length < 3) return { errors: ['need 3 bytes'] };
  return { data: { distance: (b[0] << 8) | b[1], position: b[2] ? 'tilt' : 'normal', battery: 90, extra: { nested: true } }, warnings: b[2] > 1 ? ['odd position'] : [] };
}`;

const profile = `
id: acme-level
vendor: Acme
model: Level
firmware: "1.0"
codec: { file: acme-level.js, api: ts013 }
uplinks:
  - fPort: [1, 7, 8, 9]
    standard: fill-level/1
    fields:
      distanceMm: { from: distance, scale: 10, range: [0, 4000] }
      tilted: { from: position, equals: tilt }
      device.batteryPercent: battery
vectors:
  - { fPort: 1, hex: "00d201", expect: { distanceMm: 2100, tilted: true, device.batteryPercent: 90 } }
`;

let dir: string;
let acme: CompiledProfile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sensorbro-codec-'));
  writeFileSync(join(dir, 'acme-level.yaml'), profile);
  writeFileSync(join(dir, 'acme-level.js'), codec);
  const loaded = await loadProfiles(dir);
  expect(loaded.errors.map((error) => error.message)).toEqual([]);
  acme = loaded.profiles.get('acme-level')!;
});
afterAll(() => {
  acme?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const decode = (fPort: number, hex: string) => acme.decode({ fPort, bytes: Buffer.from(hex, 'hex'), receivedAtMs: Date.now() });

describe('a profile with a sandboxed TS013 codec', () => {
  it('maps the codec output to the standard, scaling and range-checking', () => {
    expect(decode(1, '00d201')).toMatchObject({
      ok: true,
      observations: [{ quality: 'good', fields: { distanceMm: 2100, tilted: true }, device: { batteryPercent: 90 } }],
    });
    expect(decode(1, '01f402')).toMatchObject({
      ok: true,
      warnings: ['odd position'],
      observations: [{ quality: 'suspect', qualityFlags: ['out-of-range:distanceMm'], fields: { distanceMm: 5000 } }],
    });
  });

  it('turns codec errors, exceptions and endless loops into reasons, and keeps working', () => {
    expect(decode(1, '00')).toMatchObject({ ok: false, code: 'codec-error', reason: expect.stringContaining('need 3 bytes') });
    expect(decode(8, '00d201')).toMatchObject({ ok: false, code: 'codec-error', reason: expect.stringContaining('vendor codec bug') });
    expect(decode(9, '00d201')).toMatchObject({ ok: false, code: 'codec-error', reason: expect.stringContaining('did not finish within 50 ms') });
    expect(decode(1, '00d201')).toMatchObject({ ok: true });
  });

  it('skips values of the wrong type with a warning rather than storing them', () => {
    const outcome = decode(7, '00d201');
    expect(outcome).toMatchObject({ ok: false, code: 'no-measurement' });
    expect(outcome.warnings.join()).toContain('expected a number for distanceMm');
  });
});
