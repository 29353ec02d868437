import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../../firmware-profiles/src/index.js';
import { loadGatewayConfig } from '../../../gateway/src/config/load-config.js';
import { helperParseMinBytes, parseYaml } from '../../../gateway/src/config/parse-yaml.js';

const profiles = await loadProfiles();
const dir = mkdtempSync(join(tmpdir(), 'sensorbro-config-large-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const profile of profiles.profiles.values()) profile.dispose();
});

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const head = `gateway: { id: gw-1, kommune: "0751" }
cloud: { url: "https://cloud.example.dk", token: abc }
devices:
`;
const deviceKey = (i: number) => (0x24e1241300000000n + BigInt(i)).toString(16).padStart(16, '0');
const devicesYaml = (count: number) =>
  Array.from({ length: count }, (_, i) => `  - { deviceKey: "${deviceKey(i)}", profile: milesight-em310-udl, assetId: container-${i}, params: { emptyDistanceMm: ${1200 + (i % 500)} } }\n`).join('');

describe('gateway configuration: large files', () => {
  it('parses a YAML file past the helper threshold to the same configuration as its JSON twin', () => {
    const yaml = `${head}${devicesYaml(3000)}`;
    expect(Buffer.byteLength(yaml)).toBeGreaterThan(helperParseMinBytes);
    const fromYaml = loadGatewayConfig(write('large.yaml', yaml), profiles, {});
    const twin = {
      gateway: { id: 'gw-1', kommune: '0751' },
      cloud: { url: 'https://cloud.example.dk', token: 'abc' },
      devices: Array.from({ length: 3000 }, (_, i) => ({ deviceKey: deviceKey(i), profile: 'milesight-em310-udl', assetId: `container-${i}`, params: { emptyDistanceMm: 1200 + (i % 500) } })),
    };
    const fromJson = loadGatewayConfig(write('large.json', JSON.stringify(twin)), profiles, {});
    if (!fromYaml.ok) throw new Error(JSON.stringify(fromYaml.problems.slice(0, 3)));
    if (!fromJson.ok) throw new Error(JSON.stringify(fromJson.problems.slice(0, 3)));
    expect(fromYaml.config).toEqual(fromJson.config);
    expect(fromYaml.config.devices).toHaveLength(3000);
  });

  it('reports a YAML error in a large file with its line, like a small one', () => {
    const broken = `${head}${devicesYaml(2000)}  - { deviceKey: "${deviceKey(9999)}", profile: [milesight-em310-udl }\n${devicesYaml(1000)}`;
    expect(Buffer.byteLength(broken)).toBeGreaterThan(helperParseMinBytes);
    const result = loadGatewayConfig(write('broken.yaml', broken), profiles, {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]!.path).toBe('(file)');
    expect(result.problems[0]!.message).toMatch(/^not valid YAML: .*line 2004/);
  });

  it('gives back values JSON has no words for (.inf, .nan) and duplicate keys as errors, in the helper too', () => {
    const padding = `# ${'x'.repeat(helperParseMinBytes)}\n`;
    const parsed = parseYaml(`${padding}a: .inf\nb: .nan\nc: [1, "two", null]\n`);
    expect(parsed).toEqual({ ok: true, value: { a: Number.POSITIVE_INFINITY, b: Number.NaN, c: [1, 'two', null] } });
    const duplicate = parseYaml(`${padding}a: 1\na: 2\n`);
    expect(duplicate.ok).toBe(false);
  });
});

describe('gateway configuration: cloud.maxInFlight', () => {
  const base = `gateway: { id: gw-1, kommune: "0751" }\ncloud: { url: "https://cloud.example.dk", token: abc`;
  it('defaults to 4 requests in flight', () => {
    const result = loadGatewayConfig(write('in-flight-default.yaml', `${base} }\n`), profiles, {});
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.cloud.maxInFlight).toBe(4);
  });

  it('names the field when it is out of range', () => {
    const result = loadGatewayConfig(write('in-flight-zero.yaml', `${base}, maxInFlight: 0 }\n`), profiles, {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.path)).toEqual(['cloud.maxInFlight']);
  });
});
