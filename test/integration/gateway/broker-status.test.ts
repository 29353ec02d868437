import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, connect as mqttConnect, type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningGateway, startGateway } from '../../../gateway/src/app/gateway.js';
import { runGatewayStatus } from '../../../gateway/src/cli/status-command.js';
import { type IngestEndpoint, startIngestEndpoint } from '../../support/ingest-endpoint.js';
import { freePort } from '../../support/local-host.js';
import { waitFor } from '../../support/wait-for.js';

const secrets = ['pw-bin-7', 'wrong-pw-guess'];

describe("the embedded broker's counters on the gateway's status page, JSON, /metrics and `gateway status`", () => {
  let dir: string;
  let configFile: string;
  let cloud: IngestEndpoint;
  let gateway: RunningGateway;
  let url: string;
  const clients: MqttClient[] = [];
  // What the devices below did, as the broker should count it.
  let refused = 0;
  let attempts = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sensorbro-broker-status-'));
    cloud = await startIngestEndpoint({ token: 'test-token', gatewayId: 'gw-broker-status', kommune: '0751' });
    const [mqttPort, statusPort] = [await freePort(), await freePort()];
    url = `mqtt://127.0.0.1:${mqttPort}`;
    configFile = join(dir, 'gateway.yaml');
    writeFileSync(
      configFile,
      `gateway: { id: gw-broker-status, kommune: "0751" }
cloud: { url: "${cloud.url}", token: test-token, lingerMs: 20 }
storage: { dir: "${join(dir, 'data')}" }
status: { host: 127.0.0.1, port: ${statusPort} }
sources:
  - type: mqtt-broker
    host: 127.0.0.1
    port: ${mqttPort}
    topics: [{ pattern: "sensors/{deviceKey}/json", format: json }]
devices:
  - { deviceKey: bin-7, profile: generic-json-fill-level, params: { emptyDistanceMm: 1200 }, mqtt: { username: bin-7, password: pw-bin-7 } }
`,
    );
    gateway = await startGateway(configFile, { logger: pino({ level: 'silent' }) });

    // A working sensor: one login, one measurement, and a subscription the broker refuses.
    const bin = await connectAsync(url, { username: 'bin-7', password: 'pw-bin-7', reconnectPeriod: 0 });
    clients.push(bin);
    attempts++;
    await bin.publishAsync('sensors/bin-7/json', JSON.stringify({ distance_mm: 700 }), { qos: 1 });
    await expect(bin.subscribeAsync('sensors/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);

    // Then failed logins from the same address, until the default throttle (5 failures) blocks it.
    expect(await loginCode({ username: 'bin-7', password: 'wrong-pw-guess-1' })).toBe(4);
    expect(await loginCode({ username: 'nobody', password: 'wrong-pw-guess-2' })).toBe(4);
    expect(await loginCode({})).toBe(5); // anonymous
    refused = 3;
    let code = 4;
    while (code === 4 && attempts < 30) if ((code = await loginCode({ username: 'bin-7', password: 'wrong-pw-guess-3' })) === 4) refused++;
    expect(code).toBe(5); // throttled: refused before the password was looked at
  });

  afterAll(async () => {
    for (const client of clients) await client.endAsync(true);
    await gateway?.stop();
    await cloud?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The CONNACK return code a login gets (0 accepted), or -1 when the connection closed without one. */
  function loginCode(options: IClientOptions): Promise<number> {
    attempts++;
    return new Promise((resolve) => {
      const client = mqttConnect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...options });
      clients.push(client);
      client.on('connect', () => resolve(0));
      client.on('error', (error) => {
        const code = (error as Error & { code?: unknown }).code;
        resolve(typeof code === 'number' ? code : -1);
      });
      client.on('close', () => resolve(-1));
    });
  }

  const get = async (path: string) => (await fetch(`${gateway.statusUrl}${path}`)).text();

  it('puts the counters in the JSON status, per source', async () => {
    await waitFor(async () => JSON.parse(await get('/api/status')).sources[0].counters.uplinks === 1, 'the measurement to be counted');
    const text = await get('/api/status');
    const status = JSON.parse(text) as { sources: { name: string; counters?: Record<string, number> }[] };
    expect(status.sources).toEqual([
      {
        name: 'mqtt-broker',
        connected: true,
        detail: expect.stringMatching(/device connection\(s\)$/),
        counters: {
          connections: attempts,
          logins: 1,
          loginsRefused: refused,
          loginsThrottled: 1,
          refusedSubscriptions: 1,
          oversizedFrames: 0,
          droppedConnections: 0,
          tlsErrors: 0,
          messages: 1,
          uplinks: 1,
          rejected: 0,
          refusedPublishes: 0,
          duplicates: 0,
          sinkFailures: 0,
        },
      },
    ]);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('shows refused and throttled logins first on the Danish page, in bold, the card marked', async () => {
    const page = await get('/');
    const card = page.match(/<div class="card (\w+)"><b>mqtt-broker<\/b>.*?<\/div>/s);
    expect(card?.[1]).toBe('warn');
    const rows = [...card![0].matchAll(/<tr><td>([^<]+)<\/td><td class="num">(.*?)<\/td><\/tr>/g)].map((row) => [row[1], row[2]]);
    expect(rows.slice(0, 4)).toEqual([
      ['Afviste logins (forkert brugernavn eller adgangskode, anonym)', `<b>${refused}</b>`],
      ['Spærrede logins (for mange fejlforsøg fra samme adresse)', '<b>1</b>'],
      ['Afviste beskeder til et fremmed eller ukendt topic', '0'],
      ['Afviste abonnementer', '<b>1</b>'],
    ]);
    expect(rows).toContainEqual(['Godkendte logins', '1']);
    expect(rows).toHaveLength(14);
    for (const secret of secrets) expect(page).not.toContain(secret);
  });

  it('exports each counter as a labelled Prometheus counter, 0 included, unchanged between scrapes', async () => {
    const metrics = await get('/metrics');
    expect(metrics).toContain('# HELP sensorbro_source_logins_refused_total Logins refused: wrong password, unknown user or anonymous\n# TYPE sensorbro_source_logins_refused_total counter\n');
    expect(metrics).toMatch(new RegExp(`^sensorbro_source_logins_refused_total\\{source="mqtt-broker"\\} ${refused}$`, 'm'));
    expect(metrics).toMatch(/^sensorbro_source_logins_throttled_total\{source="mqtt-broker"\} 1$/m);
    expect(metrics).toMatch(/^sensorbro_source_refused_subscriptions_total\{source="mqtt-broker"\} 1$/m);
    expect(metrics).toMatch(/^sensorbro_source_tls_errors_total\{source="mqtt-broker"\} 0$/m);
    expect(metrics).toMatch(/^sensorbro_source_uplinks_total\{source="mqtt-broker"\} 1$/m);
    const again = await get('/metrics');
    const series = (text: string) => text.split('\n').filter((line) => line.startsWith('sensorbro_source_') && !line.startsWith('sensorbro_source_up{'));
    expect(series(again)).toEqual(series(metrics));
    expect(series(metrics)).toHaveLength(14);
    for (const secret of secrets) expect(metrics).not.toContain(secret);
  });

  it('prints them in `gateway status`, problems in capitals', async () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await runGatewayStatus([configFile]);
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(0);
    const output = written.join('');
    const line = output.split('\n').find((text) => text.trimStart().startsWith('mqtt-broker:'));
    expect(line).toMatch(new RegExp(`^ +mqtt-broker: LOGINS REFUSED ${refused}, LOGINS THROTTLED 1, refused publishes 0, REFUSED SUBSCRIPTIONS 1, `));
    expect(line).toContain(`connections ${attempts}, logins 1, messages 1, uplinks 1`);
    for (const secret of secrets) expect(output).not.toContain(secret);
  });

  it('keeps /metrics rising after a configuration reload makes the broker anew (its counts start from 0)', async () => {
    expect(await get('/metrics')).toMatch(new RegExp(`^sensorbro_source_logins_refused_total\\{source="mqtt-broker"\\} ${refused}$`, 'm'));
    await gateway.reload();
    // A new broker, a new throttle: the address may try again.
    expect(await loginCode({ username: 'bin-7', password: 'wrong-pw-guess-4' })).toBe(4);
    const status = JSON.parse(await get('/api/status')) as { sources: { counters: Record<string, number> }[] };
    expect(status.sources[0]!.counters).toMatchObject({ loginsRefused: 1, loginsThrottled: 0, logins: 0 });
    const metrics = await get('/metrics');
    expect(metrics).toMatch(new RegExp(`^sensorbro_source_logins_refused_total\\{source="mqtt-broker"\\} ${refused + 1}$`, 'm'));
    expect(metrics).toMatch(/^sensorbro_source_logins_throttled_total\{source="mqtt-broker"\} 1$/m);
  });
});
