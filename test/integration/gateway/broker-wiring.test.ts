import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfiles, type Uplink } from '../../../firmware-profiles/src/index.js';
import { createSources } from '../../../gateway/src/app/sources.js';
import { loadGatewayConfig } from '../../../gateway/src/config/load-config.js';
import type { IngestSource, RawMessage, UplinkSink } from '../../../gateway/src/core/uplink.js';
import { freePort } from '../../support/local-host.js';

const profiles = await loadProfiles();
const dir = mkdtempSync(join(tmpdir(), 'sensorbro-broker-wiring-'));
const started: IngestSource[] = [];
afterAll(async () => {
  for (const source of started) await source.stop();
  rmSync(dir, { recursive: true, force: true });
  for (const profile of profiles.profiles.values()) profile.dispose();
});
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });


class ListSink implements UplinkSink {
  readonly accepted: Uplink[] = [];
  async accept(uplink: Uplink): Promise<void> {
    this.accepted.push(uplink);
  }
  async reject(_raw: RawMessage, reason: string): Promise<void> {
    throw new Error(`unexpected reject: ${reason}`);
  }
}

describe('the mqtt-broker source from a gateway configuration', () => {
  it('logs devices in with their configured credentials over TLS, certificate files relative to the configuration', async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'broker-key.pem'), '-out', join(dir, 'broker-cert.pem'),
    ], { stdio: 'ignore' });
    writeFileSync(join(dir, 'bin-2.secret'), 'pw-from-file\n');
    const port = await freePort();
    const file = join(dir, 'gateway.yaml');
    writeFileSync(
      file,
      `gateway: { id: gw-1, kommune: "0751" }
cloud: { url: "https://cloud.example.dk", token: abc }
sources:
  - type: mqtt-broker
    host: 127.0.0.1
    port: ${port}
    tls: { certFile: broker-cert.pem, keyFile: broker-key.pem }
    topics: [{ pattern: "bins/{deviceKey}", format: binary, fPort: 3 }]
devices:
  - { deviceKey: bin-1, profile: milesight-em310-udl, params: { emptyDistanceMm: 1200 }, mqtt: { username: bin-1-user, password: { env: BIN_1_PASSWORD } } }
  - { deviceKey: bin-2, profile: milesight-em310-udl, params: { emptyDistanceMm: 1200 }, mqtt: { username: bin-2-user, password: { file: bin-2.secret } } }
  - { deviceKey: 24e124136b502217, profile: milesight-em310-udl, params: { emptyDistanceMm: 1200 } }
`,
    );
    const result = loadGatewayConfig(file, profiles, { BIN_1_PASSWORD: 'pw-from-env' });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const sources = createSources(result.config, result.secrets, logger, () => {});
    expect(sources.map((source) => source.name)).toEqual(['mqtt-broker']);
    const sink = new ListSink();
    await sources[0]!.start(sink);
    started.push(sources[0]!);

    const ca = readFileSync(join(dir, 'broker-cert.pem'));
    for (const [username, password, deviceKey] of [
      ['bin-1-user', 'pw-from-env', 'bin-1'],
      ['bin-2-user', 'pw-from-file', 'bin-2'],
    ] as const) {
      const client = await connectAsync(`mqtts://127.0.0.1:${port}`, { username, password, ca, reconnectPeriod: 0 });
      await client.publishAsync(`bins/${deviceKey}`, Buffer.from([0x42]), { qos: 1 });
      await client.endAsync();
    }
    expect(sink.accepted.map((uplink) => [uplink.deviceKey, uplink.fPort, [...uplink.bytes!]])).toEqual([
      ['bin-1', 3, [0x42]],
      ['bin-2', 3, [0x42]],
    ]);
  });

  it('names each source by its type, and by type and place when the type is configured twice', () => {
    const file = join(dir, 'two-brokers.yaml');
    writeFileSync(
      file,
      `gateway: { id: gw-1, kommune: "0751" }
cloud: { url: "https://cloud.example.dk", token: abc }
sources:
  - { type: chirpstack, url: "mqtt://127.0.0.1:1883" }
  - { type: mqtt-broker, port: 1884, topics: [{ pattern: "a/{deviceKey}", format: json }] }
  - { type: mqtt-broker, port: 1885, topics: [{ pattern: "b/{deviceKey}", format: json }] }
devices:
  - { deviceKey: bin-1, profile: milesight-em310-udl, params: { emptyDistanceMm: 1200 }, mqtt: { username: u, password: p } }
`,
    );
    const result = loadGatewayConfig(file, profiles, {});
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(createSources(result.config, result.secrets, logger, () => {}).map((source) => source.name)).toEqual(['chirpstack', 'mqtt-broker#1', 'mqtt-broker#2']);
  });

  it('says which certificate file it cannot read', () => {
    const file = join(dir, 'missing-cert.yaml');
    writeFileSync(
      file,
      `gateway: { id: gw-1, kommune: "0751" }
cloud: { url: "https://cloud.example.dk", token: abc }
sources:
  - { type: mqtt-broker, port: 1884, tls: { certFile: nowhere.pem, keyFile: nowhere-key.pem }, topics: [{ pattern: "b/{deviceKey}", format: json }] }
devices:
  - { deviceKey: bin-1, profile: milesight-em310-udl, params: { emptyDistanceMm: 1200 }, mqtt: { username: u, password: p } }
`,
    );
    const result = loadGatewayConfig(file, profiles, {});
    expect(result.ok ? [] : result.problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'sources[0].tls.certFile: cannot read secret file nowhere.pem: ENOENT',
      'sources[0].tls.keyFile: cannot read secret file nowhere-key.pem: ENOENT',
    ]);
  });
});
