import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../../gateway/src/app/gateway.js';
import { readAdminToken } from '../../../gateway/src/status/admin-token.js';
import { type IngestEndpoint, startIngestEndpoint } from '../../support/ingest-endpoint.js';
import { type Mosquitto, mosquittoMissing, startMosquitto } from '../../support/mosquitto.js';
import { waitFor } from '../../support/wait-for.js';

const em310 = '24e124136b502217';
const lds02 = 'a840411f61830f7e';
const stranger = '70b3d5e75e00ffff';

function chirpstackUp(devEui: string, fPort: number, hex: string, deduplicationId: string) {
  return {
    topic: `application/app-1/device/${devEui}/event/up`,
    payload: JSON.stringify({
      deduplicationId,
      time: new Date().toISOString(),
      deviceInfo: { tenantId: 't', applicationId: 'app-1', devEui, deviceName: devEui },
      fCnt: 7,
      fPort,
      data: Buffer.from(hex, 'hex').toString('base64'),
      rxInfo: [{ gatewayId: '0016c001f153a14c', rssi: -97, snr: 6.5 }],
    }),
  };
}

function configText(dir: string, mqttUrl: string, cloudUrl: string, devices: string): string {
  return `gateway: { id: gw-test, kommune: "0751", name: Testanlæg }
cloud: { url: "${cloudUrl}", token: test-token, lingerMs: 20 }
storage: { dir: "${join(dir, 'data')}" }
status: { host: 127.0.0.1, port: 0 }
sources:
  - { type: chirpstack, url: "${mqttUrl}", clientId: gw-test-it }
devices:
${devices}`;
}

const knownDevices = `  - { deviceKey: ${em310}, profile: milesight-em310-udl, assetId: container-1, params: { emptyDistanceMm: 2500 } }
  - { deviceKey: ${lds02}, profile: dragino-lds02, assetId: door-1 }
`;

describe.skipIf(mosquittoMissing !== '')(`gateway run against real Mosquitto and an ingest endpoint${mosquittoMissing}`, () => {
  let dir: string;
  let broker: Mosquitto;
  let cloud: IngestEndpoint;
  let gateway: RunningGateway;
  let publisher: MqttClient;
  let configFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sensorbro-gateway-'));
    broker = await startMosquitto();
    cloud = await startIngestEndpoint({ token: 'test-token', gatewayId: 'gw-test', kommune: '0751' });
    configFile = join(dir, 'gateway.yaml');
    writeFileSync(configFile, configText(dir, broker.url, cloud.url, knownDevices));
    gateway = await startGateway(configFile, { logger: pino({ level: 'silent' }) });
    publisher = await connectAsync(broker.url, { clientId: 'network-server', clean: true });
  });

  afterAll(async () => {
    await publisher?.endAsync();
    await gateway?.stop();
    await cloud?.close();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decodes uplinks and delivers their records to the cloud, each once', async () => {
    const up = chirpstackUp(em310, 85, '01755C03824408040001', 'dedup-1');
    await publisher.publishAsync(up.topic, up.payload, { qos: 1 });
    const door = chirpstackUp(lds02, 10, '8B880100002500000100', 'dedup-2');
    await publisher.publishAsync(door.topic, door.payload, { qos: 1 });
    // the same message again, as a broker redelivers it after a lost PUBACK
    await publisher.publishAsync(up.topic, up.payload, { qos: 1 });
    const status = async () => (await (await fetch(`${gateway.statusUrl}/api/status`)).json()) as { pipeline: { uplinks: number }; queue: { depth: number } };
    await waitFor(async () => {
      const now = await status();
      return now.pipeline.uplinks === 3 && now.queue.depth === 0 && cloud.counts.stored >= 2;
    }, 'three uplinks processed and the queue drained');
    // The repeat has the same record id: caught by the queue, or by the cloud's dedup if it came late.
    const stored = cloud.stored().filter((record) => record.standard !== 'gateway-heartbeat/1');
    expect(stored).toHaveLength(2);
    expect(stored.find((record) => record.deviceId === em310)).toMatchObject({
      standard: 'fill-level/1', kommune: '0751', gatewayId: 'gw-test', assetId: 'container-1',
      distanceMm: 2116, fillLevel: 0.1536, tilted: true, device: { batteryPercent: 92, rssiDbm: -97, snrDb: 6.5 },
    });
    expect(stored.find((record) => record.deviceId === lds02)).toMatchObject({ standard: 'door-lock/1', doorOpen: true, openCount: 37 });
  });

  it('reports its own health to the cloud as a heartbeat record', async () => {
    await waitFor(() => cloud.stored().some((record) => record.standard === 'gateway-heartbeat/1'), 'a heartbeat');
    expect(cloud.stored().find((record) => record.standard === 'gateway-heartbeat/1')).toMatchObject({
      deviceId: 'gw-test', gatewayId: 'gw-test', kommune: '0751', sourcesTotal: 1, devicesConfigured: 2, queueDepth: expect.any(Number),
    });
  });

  it('keeps an unknown device as a dead letter, and replays it once the device is configured', async () => {
    const up = chirpstackUp(stranger, 85, '0175640382E803', 'dedup-3');
    await publisher.publishAsync(up.topic, up.payload, { qos: 1 });
    const token = readAdminToken(gateway.storageDir);
    const auth = { authorization: `Bearer ${token}` };
    await waitFor(async () => ((await (await fetch(`${gateway.statusUrl}/api/dead-letters`, { headers: auth })).json()) as unknown[]).length === 1, 'a dead letter');
    const [entry] = (await (await fetch(`${gateway.statusUrl}/api/dead-letters`, { headers: auth })).json()) as { code: string; reason: string; deviceKey: string; raw: { payload: string } }[];
    expect(entry).toMatchObject({ code: 'unknown-device', deviceKey: stranger, reason: expect.stringContaining('not configured') });
    expect(JSON.parse(Buffer.from(entry!.raw.payload, 'base64').toString())).toMatchObject({ deduplicationId: 'dedup-3' });

    expect((await fetch(`${gateway.statusUrl}/api/dead-letters`)).status).toBe(401);
    expect((await fetch(`${gateway.statusUrl}/api/dead-letters/replay`, { method: 'POST' })).status).toBe(401);

    writeFileSync(configFile, configText(dir, broker.url, cloud.url, `${knownDevices}  - { deviceKey: ${stranger}, profile: milesight-em310-udl, assetId: container-2 }\n`));
    await gateway.reload();
    const replay = await fetch(`${gateway.statusUrl}/api/dead-letters/replay`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}',
    });
    expect(await replay.json()).toEqual({ replayed: 1, stillFailing: 0, skipped: 0 });
    await waitFor(() => cloud.stored().some((record) => record.deviceId === stranger), 'the replayed record at the cloud');
    expect(cloud.stored().find((record) => record.deviceId === stranger)).toMatchObject({ distanceMm: 1000, assetId: 'container-2' });
  });

  it('shows the technician its state: JSON, a Danish page and Prometheus metrics', async () => {
    const status = (await (await fetch(`${gateway.statusUrl}/api/status`)).json()) as { cloud: { state: string }; queue: { depth: number }; devices: { deviceKey: string; batteryPercent?: number; lastValue?: string }[]; sources: { connected: boolean }[] };
    expect(status.cloud.state).toBe('ok');
    expect(status.queue.depth).toBe(0);
    expect(status.sources.every((source) => source.connected)).toBe(true);
    expect(status.devices.find((device) => device.deviceKey === em310)).toMatchObject({ batteryPercent: 92, lastValue: expect.stringContaining('distanceMm=2116') });
    const page = await (await fetch(gateway.statusUrl)).text();
    expect(page).toContain('<html lang="da">');
    expect(page).toContain('Forbindelse til skyen');
    expect(page).toContain('container-1');
    const metrics = await (await fetch(`${gateway.statusUrl}/metrics`)).text();
    expect(metrics).toMatch(/^sensorbro_queue_depth 0$/m);
    expect(metrics).toMatch(/^sensorbro_records_sent_total [3-9]/m);
    expect(metrics).toMatch(/^sensorbro_source_up\{source="[^"]+"\} 1$/m);
  });
});
