import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../../gateway/src/app/gateway.js';
import { type IngestEndpoint, startIngestEndpoint } from '../../support/ingest-endpoint.js';
import { waitFor } from '../../support/wait-for.js';
import { freePort } from '../../support/local-host.js';


const em310 = '24e124136b502217';

describe('a gateway with the embedded MQTT broker, end to end to an ingest endpoint', () => {
  let dir: string;
  let cloud: IngestEndpoint;
  let gateway: RunningGateway;
  let url: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sensorbro-broker-gateway-'));
    cloud = await startIngestEndpoint({ token: 'test-token', gatewayId: 'gw-broker', kommune: '0751' });
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    const configFile = join(dir, 'gateway.yaml');
    writeFileSync(
      configFile,
      `gateway: { id: gw-broker, kommune: "0751" }
cloud: { url: "${cloud.url}", token: test-token, lingerMs: 20 }
storage: { dir: "${join(dir, 'data')}" }
status: { host: 127.0.0.1, port: 0 }
sources:
  - type: mqtt-broker
    host: 127.0.0.1
    port: ${port}
    topics:
      - { pattern: "sensors/{deviceKey}/json", format: json }
      - { pattern: "lora-like/{deviceKey}/up", format: binary, fPort: 85 }
devices:
  - { deviceKey: bin-7, profile: generic-json-fill-level, assetId: container-7, params: { emptyDistanceMm: 1200 }, mqtt: { username: bin-7, password: pw-bin-7 } }
  - { deviceKey: ${em310}, profile: milesight-em310-udl, assetId: container-8, params: { emptyDistanceMm: 2500 }, mqtt: { username: em310, password: pw-em310 } }
`,
    );
    gateway = await startGateway(configFile, { logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    for (const client of clients) await client.endAsync(true);
    await gateway?.stop();
    await cloud?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function device(username: string, password: string): Promise<MqttClient> {
    const client = await connectAsync(url, { username, password, reconnectPeriod: 0 });
    clients.push(client);
    return client;
  }

  const sensorRecords = () => cloud.stored().filter((record) => record.standard !== 'gateway-heartbeat/1');

  it('turns JSON and binary publishes into records in the cloud', async () => {
    const bin = await device('bin-7', 'pw-bin-7');
    await bin.publishAsync('sensors/bin-7/json', JSON.stringify({ distance_mm: 812, battery: 87, tilt: false }), { qos: 1 });
    const meter = await device('em310', 'pw-em310');
    await meter.publishAsync(`lora-like/${em310}/up`, Buffer.from('01755C03824408040001', 'hex'), { qos: 1 });
    await waitFor(() => sensorRecords().length === 2, 'two records in the cloud');
    expect(sensorRecords().find((record) => record.deviceId === 'bin-7')).toMatchObject({
      standard: 'fill-level/1', assetId: 'container-7', distanceMm: 812, tilted: false, device: { batteryPercent: 87 },
    });
    expect(sensorRecords().find((record) => record.deviceId === em310)).toMatchObject({ standard: 'fill-level/1', distanceMm: 2116 });
  });

  it("refuses a device publishing to another device's topic: no record, the status page shows the broker", async () => {
    const before = sensorRecords().length;
    const bin = await device('bin-7', 'pw-bin-7');
    bin.publish(`lora-like/${em310}/up`, Buffer.from('01755C03824408040001', 'hex'), { qos: 1 });
    await waitFor(() => !bin.connected, 'the broker to close the connection');
    // The device's own topic still works, and only its record arrives.
    const again = await device('bin-7', 'pw-bin-7');
    await again.publishAsync('sensors/bin-7/json', JSON.stringify({ distance_mm: 500 }), { qos: 1 });
    await waitFor(() => sensorRecords().length === before + 1, 'the record of the own topic');
    expect(sensorRecords().slice(before)).toMatchObject([{ deviceId: 'bin-7', distanceMm: 500 }]);
    const status = (await (await fetch(`${gateway.statusUrl}/api/status`)).json()) as { sources: { name: string; connected: boolean; detail?: string }[] };
    expect(status.sources).toEqual([
      { name: 'mqtt-broker', connected: true, detail: expect.stringMatching(/device connection\(s\)$/), counters: expect.objectContaining({ refusedPublishes: 1, loginsRefused: 0 }) },
    ]);
  });
});
