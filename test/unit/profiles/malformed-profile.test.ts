import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../../firmware-profiles/src/index.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function loadOne(name: string, text: string) {
  dir = mkdtempSync(join(tmpdir(), 'sensorbro-profiles-'));
  writeFileSync(join(dir, name), text);
  const loaded = await loadProfiles(dir);
  for (const profile of loaded.profiles.values()) profile.dispose();
  return loaded;
}

const valid = `
id: acme-level
vendor: Acme
model: Level
firmware: "1.0"
uplinks:
  - fPort: 1
    standard: fill-level/1
    layout:
      struct:
        minLength: 2
        values:
          - { field: distanceMm, type: u16be, at: 0 }
vectors:
  - { fPort: 1, hex: "0100", expect: { distanceMm: 256 } }
`;

describe('a malformed profile file', () => {
  it('a valid one loads', async () => {
    const loaded = await loadOne('acme-level.yaml', valid);
    expect(loaded.errors).toEqual([]);
    expect(loaded.profiles.has('acme-level')).toBe(true);
  });

  const cases: [string, string, RegExp][] = [
    ['an unknown read type', valid.replace('type: u16be', 'type: u17be'), /acme-level\.yaml: uplinks\[0\]\.layout\.struct\.values\[0\]\.type: /],
    ['a field the standard does not have', valid.replace('field: distanceMm', 'field: depthMm'), /uplinks\[0\]\.layout\.struct\.values\[0\]\.field: depthMm is not a field of fill-level\/1/],
    ['a misspelt key', valid.replace('minLength: 2', 'minLenght: 2'), /uplinks\[0\]\.layout\.struct: .*minLenght/],
    ['an unknown standard', valid.replace('fill-level/1', 'fill-level/9'), /uplinks\[0\]\.standard: /],
    ['a boolean written to a number', valid.replace('at: 0 }', 'at: 0, boolean: true }'), /distanceMm takes a number value; this spec writes a boolean/],
    ['a failing vector', valid.replace('distanceMm: 256', 'distanceMm: 255'), /vectors\[0\]: fPort 1 0100: distanceMm: expected 255, decoded 256/],
    ['broken YAML', valid.replace('vendor: Acme', 'vendor: [Acme'), /acme-level\.yaml: \(file\): not valid YAML/],
    ['an id that does not match the file name', valid.replace('id: acme-level', 'id: acme-other'), /acme-level\.yaml: id: is "acme-other"/],
    ['no vectors', valid.replace(/vectors:[\s\S]*$/, 'vectors: []\n'), /vectors: a profile needs at least one test vector/],
    ['two layouts on one fPort', valid.replace('uplinks:', 'uplinks:\n  - { fPort: 1, standard: door-lock/1, layout: { struct: { minLength: 1, values: [{ field: doorOpen, type: u8, boolean: true }] } } }'), /uplinks\[1\]\.fPort: fPort 1 is already described by uplinks\[0\]/],
  ];
  for (const [what, text, message] of cases) {
    it(`${what}: an error naming the file and the field`, async () => {
      const loaded = await loadOne('acme-level.yaml', text);
      expect(loaded.profiles.size).toBe(0);
      expect(loaded.errors).toHaveLength(1);
      expect(loaded.errors[0]!.message).toMatch(message);
    });
  }

  it('broken JSON names the file', async () => {
    const loaded = await loadOne('acme-level.json', '{"id": "acme-level",');
    expect(loaded.errors[0]!.message).toMatch(/acme-level\.json: \(file\): not valid JSON/);
  });
});
