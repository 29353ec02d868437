import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../../gateway/src/config/load-config.js';
import { loadProfiles } from '../../../firmware-profiles/src/index.js';

const profiles = await loadProfiles();
const dir = mkdtempSync(join(tmpdir(), 'sensorbro-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const profile of profiles.profiles.values()) profile.dispose();
});

const env = { SENSORBRO_CLOUD_TOKEN: 'secret-token', SENSORBRO_CHIRPSTACK_PASSWORD: 'pw' };

function check(text: string, name = 'gateway.yaml', environment: NodeJS.ProcessEnv = env) {
  const file = join(dir, name);
  writeFileSync(file, text);
  return loadGatewayConfig(file, profiles, environment);
}

const example = new URL('../../../gateway/examples/gateway.yaml', import.meta.url);

describe('gateway configuration', () => {
  it('accepts the shipped example, normalising DevEUIs to lower case', () => {
    const result = loadGatewayConfig(example.pathname, profiles, env);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.devices[0]!.deviceKey).toBe('24e124136b502217');
    expect(result.secrets(result.config.cloud.token)).toBe('secret-token');
  });

  const base = `gateway: { id: gw-1, kommune: "0751" }
cloud: { url: "https://cloud.example.dk", token: abc }
devices:
  - { deviceKey: 24e124136b502217, profile: milesight-em310-udl, params: { emptyDistanceMm: 1200 } }
`;

  const cases: [string, string, string][] = [
    ['a bad kommune code', base.replace('"0751"', '"751"'), 'gateway.kommune: must be a 4-digit municipality code'],
    ['plain http to a remote cloud', base.replace('https://cloud.example.dk', 'http://cloud.example.dk'), 'cloud.url: must be https://'],
    ['an unknown profile', base.replace('profile: milesight-em310-udl', 'profile: acme-nothing'), 'devices[0].profile: unknown profile "acme-nothing"'],
    ['a bad device parameter', base.replace('emptyDistanceMm: 1200', 'emptyDistanceMm: -3'), 'devices[0].params: parameter emptyDistanceMm'],
    ['an unknown device parameter', base.replace('emptyDistanceMm: 1200', 'emptyDistanceMm: 1200, colour: red'), 'devices[0].params: unknown parameter colour'],
    ['a duplicated device', `${base}  - { deviceKey: 24E124136B502217, profile: dragino-lds02 }\n`, 'devices[1].deviceKey: 24e124136b502217 is already configured at devices[0]'],
    ['a missing secret', base.replace('token: abc', 'token: { env: NOT_SET_ANYWHERE }'), 'cloud.token: environment variable NOT_SET_ANYWHERE is not set'],
    ['a misspelt key', base.replace('devices:', 'device:'), 'Unrecognized key'],
    ['a status page open to the network without a token', `${base}status: { host: 0.0.0.0 }\n`, 'status.token: a status page that listens beyond loopback needs a token'],
    ['broken YAML', base.replace('gateway: {', 'gateway: {{'), '(file): not valid YAML'],
  ];
  for (const [what, text, expected] of cases) {
    it(`reports ${what} with its path`, () => {
      const result = check(text);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems.map((problem) => `${problem.path}: ${problem.message}`).join('\n')).toContain(expected);
    });
  }

  it('reports every problem, not just the first', () => {
    const shape = check(base.replace('"0751"', '"x"').replace('id: gw-1', 'id: GW 1'));
    expect(shape.ok ? [] : shape.problems.map((problem) => problem.path)).toEqual(['gateway.id', 'gateway.kommune']);
    const whole = check(base.replace('profile: milesight-em310-udl', 'profile: nope').replace('token: abc', 'token: { env: NOT_SET }'));
    expect(whole.ok ? [] : whole.problems.map((problem) => problem.path)).toEqual(['devices[0].profile', 'cloud.token']);
  });
});
