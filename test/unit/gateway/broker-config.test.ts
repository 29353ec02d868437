import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../../firmware-profiles/src/index.js';
import { loadGatewayConfig } from '../../../gateway/src/config/load-config.js';

const profiles = await loadProfiles();
const dir = mkdtempSync(join(tmpdir(), 'sensorbro-broker-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const profile of profiles.profiles.values()) profile.dispose();
});

function check(text: string) {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, text);
  return loadGatewayConfig(file, profiles, { BIN_1_PASSWORD: 'pw-1' });
}

const head = `gateway: { id: gw-1, kommune: "0751" }
cloud: { url: "https://cloud.example.dk", token: abc }
`;
const broker = `  - type: mqtt-broker
    port: 1884
    topics: [{ pattern: "sensors/{deviceKey}/up", format: binary, fPort: 2 }]
`;
const devices = `devices:
  - { deviceKey: bin-1, profile: milesight-em310-udl, params: { emptyDistanceMm: 1200 }, mqtt: { username: bin-1, password: { env: BIN_1_PASSWORD } } }
`;

function problems(text: string): string[] {
  const result = check(text);
  return result.ok ? [] : result.problems.map((problem) => `${problem.path}: ${problem.message}`);
}

describe('gateway configuration of the embedded MQTT broker', () => {
  it('accepts a broker with device credentials, with the defaults filled in', () => {
    const result = check(`${head}sources:\n${broker}${devices}`);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.sources[0]).toEqual({
      type: 'mqtt-broker',
      host: '0.0.0.0',
      port: 1884,
      maxPayloadBytes: 16 * 1024,
      topics: [{ pattern: 'sensors/{deviceKey}/up', format: 'binary', fPort: 2 }],
    });
  });

  it('reports a broker no device can log in to', () => {
    const noLogins = devices.replace(', mqtt: { username: bin-1, password: { env: BIN_1_PASSWORD } }', '');
    expect(problems(`${head}sources:\n${broker}${noLogins}`)).toEqual([
      'sources[0]: no device has MQTT credentials (devices[].mqtt): the broker would refuse every login',
    ]);
  });

  it('reports two brokers on one port and a pattern given twice', () => {
    const second = broker.replace('format: binary, fPort: 2 }', 'format: binary }, { pattern: "sensors/{deviceKey}/up", format: json }');
    expect(problems(`${head}sources:\n${broker}${second}${devices}`)).toEqual([
      'sources[1].port: 1884 is already used by sources[0]',
      'sources[1].topics[1].pattern: is the same as topics[0]',
    ]);
    // Another port, or the same port on two distinct addresses, is fine.
    expect(problems(`${head}sources:\n${broker.replace('port: 1884', 'port: 1884\n    host: 127.0.0.1')}${broker.replace('port: 1884', 'port: 1884\n    host: 10.0.0.5')}${devices}`)).toEqual([]);
    expect(problems(`${head}sources:\n${broker.replace('port: 1884', 'port: 1884\n    host: 127.0.0.1')}${broker}${devices}`)).toEqual([
      'sources[1].port: 1884 is already used by sources[0]',
    ]);
  });

  it('refuses patterns with wildcards, without {deviceKey}, or in the broker’s $ topics', () => {
    for (const [pattern, message] of [
      ['sensors/+/{deviceKey}', 'must contain {deviceKey} and no MQTT wildcards'],
      ['sensors/up', 'must contain {deviceKey} and no MQTT wildcards'],
      ['$SYS/{deviceKey}', 'must not start with $'],
    ] as const) {
      const found = problems(`${head}sources:\n${broker.replace('sensors/{deviceKey}/up', pattern)}${devices}`);
      expect(found.join('\n')).toContain(`sources[0].topics[0].pattern: ${message}`);
    }
  });

  it('reads the TLS files at check time: missing, not PEM, or a key that is not the certificate\'s', () => {
    const certificate = (name: string) =>
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
    certificate('a');
    certificate('b');
    writeFileSync(join(dir, 'notes.txt'), 'not a certificate');
    const withTls = (certFile: string, keyFile: string) => `${head}sources:\n${broker}    tls: { certFile: ${certFile}, keyFile: ${keyFile} }\n${devices}`;
    expect(problems(withTls('a.pem', 'a.key'))).toEqual([]);
    expect(problems(withTls('missing.pem', 'a.key'))).toEqual(['sources[0].tls.certFile: cannot read secret file missing.pem: ENOENT']);
    expect(problems(withTls('notes.txt', 'a.pem'))).toEqual(['sources[0].tls.certFile: notes.txt holds no PEM certificate', 'sources[0].tls.keyFile: a.pem holds no PEM private key']);
    const mismatch = problems(withTls('a.pem', 'b.key'));
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatch(/^sources\[0\]\.tls: the certificate and key cannot be used together: .*mismatch/);
  });
});
