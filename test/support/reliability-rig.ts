import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect } from 'vitest';
import type { GatewayStatus } from '../../gateway/src/status/snapshot.js';
import type { DeliveryReport } from './chirpstack-uplinks.js';
import {
  type GatewayConfigOptions,
  type GatewayProcess,
  gatewayConfigYaml,
  killAllGatewayProcesses,
  pollUntil,
  probeDevice,
  startGatewayProcess,
  waitUntilSubscribed,
} from './gateway-process.js';
import { type IngestEndpoint, startIngestEndpoint } from './ingest-endpoint.js';
import { type Mosquitto, startMosquitto } from './mosquitto.js';

/**
 * The rig of the gateway reliability tests: a real Mosquitto (the network server's broker), an
 * ingest endpoint (the cloud), a `sensorbro gateway run` child process with one ChirpStack source
 * on a temporary storage folder, and the network server's publisher (QoS 1, clean session).
 *
 * Call it inside a describe: its beforeAll starts everything and waits until the gateway is
 * subscribed upstream; its afterAll kills the gateway processes and removes it all. Its parts are
 * there from the first test on.
 */
export interface ReliabilityRigOptions {
  /** Names the gateway (gw-<name>), its MQTT client id, the publisher's and the temporary folder. */
  name: string;
  devices: GatewayConfigOptions['devices'];
  /** The gateway's settings beyond the defaults of gatewayConfigYaml. */
  config?: Pick<GatewayConfigOptions, 'batchSize' | 'lingerMs' | 'deadLetterMax' | 'maxPayloadBytes'>;
  /** The publisher's MQTT reconnect period; default 200 ms. */
  publisherReconnectMs?: number;
}

export interface ReliabilityRig {
  readonly gatewayId: string;
  /** The gateway's MQTT client id: the broker keeps its persistent session under it. */
  readonly clientId: string;
  readonly storageDir: string;
  readonly broker: Mosquitto;
  readonly cloud: IngestEndpoint;
  readonly publisher: MqttClient;
  /** The gateway process started last. */
  readonly gateway: GatewayProcess;
  /** Starts the gateway again on the same configuration and storage (after a kill); it becomes `gateway`. */
  startGateway(): Promise<GatewayProcess>;
  /** Records at the cloud from the configured devices (not the gateway's heartbeats). */
  deviceRecordsAtCloud(): number;
  /** Uplinks the gateway took that were not dead letters (the subscription probes are); a redelivered message counts again. */
  ingested(): Promise<number>;
  /** Polls until `acknowledged` device records are at the cloud and the gateway's queue is empty; tells whether they were. */
  drained(acknowledged: number, timeoutMs: number): Promise<boolean>;
  /**
   * The end state of a stream test: each uplink the broker acknowledged stored once and with its
   * value, nothing else of the stream, nothing rejected, nothing left in or dropped from the queue,
   * no dead letter but the probes', and the gateway still running.
   */
  expectEachAcknowledgedStoredOnce(report: DeliveryReport, acknowledged: number, status: GatewayStatus): void;
}

interface Parts {
  dir: string;
  broker: Mosquitto;
  cloud: IngestEndpoint;
  publisher: MqttClient;
  gateway: GatewayProcess;
}

export function reliabilityRig(options: ReliabilityRigOptions): ReliabilityRig {
  const gatewayId = `gw-${options.name}`;
  const clientId = `${gatewayId}-chirpstack`;
  const deviceKeys = options.devices.map((device) => device.deviceKey);
  const made: Partial<Parts> = {};
  let configFile = '';
  let storageDir = '';

  const part = <K extends keyof Parts>(key: K): Parts[K] => {
    const value = made[key];
    if (value === undefined) throw new Error(`reliability rig: no ${key} (it is set up in beforeAll, inside the describe that called reliabilityRig)`);
    return value as Parts[K];
  };

  beforeAll(async () => {
    made.dir = mkdtempSync(join(tmpdir(), `sensorbro-reliability-${options.name}-`));
    storageDir = join(made.dir, 'data');
    made.broker = await startMosquitto();
    made.cloud = await startIngestEndpoint({ token: 'test-token', gatewayId, kommune: '0751' });
    configFile = join(made.dir, 'gateway.yaml');
    writeFileSync(
      configFile,
      gatewayConfigYaml({ gatewayId, storageDir, mqttUrl: made.broker.url, clientId, cloudUrl: made.cloud.url, devices: options.devices, ...options.config }),
    );
    made.gateway = await startGatewayProcess(configFile);
    const publisher = await connectAsync(made.broker.url, { clientId: `network-server-${options.name}`, clean: true, reconnectPeriod: options.publisherReconnectMs ?? 200 });
    made.publisher = publisher;
    await waitUntilSubscribed(made.gateway, (probe) => publisher.publishAsync(probe.topic, probe.payload, { qos: 1 }));
  }, 90_000);

  afterAll(async () => {
    await killAllGatewayProcesses();
    await made.publisher?.endAsync(true);
    await made.cloud?.close();
    await made.broker?.dispose();
    if (made.dir) rmSync(made.dir, { recursive: true, force: true });
  });

  const deviceRecordsAtCloud = () => part('cloud').stored().filter((record) => deviceKeys.includes(record.deviceId)).length;

  return {
    gatewayId,
    clientId,
    get storageDir() {
      part('dir');
      return storageDir;
    },
    get broker() {
      return part('broker');
    },
    get cloud() {
      return part('cloud');
    },
    get publisher() {
      return part('publisher');
    },
    get gateway() {
      return part('gateway');
    },
    async startGateway() {
      made.gateway = await startGatewayProcess(configFile);
      return made.gateway;
    },
    deviceRecordsAtCloud,
    async ingested() {
      const status = await part('gateway').status();
      return status.pipeline.uplinks - status.deadLetters.total;
    },
    drained(acknowledged, timeoutMs) {
      return pollUntil(async () => deviceRecordsAtCloud() >= acknowledged && (await part('gateway').status()).queue.depth === 0, timeoutMs, 100);
    },
    expectEachAcknowledgedStoredOnce(report, acknowledged, status) {
      expect(report).toMatchObject({ missing: 0, unexpected: 0, repeated: 0, wrongValue: 0 });
      expect(report.stored).toBe(acknowledged);
      expect(part('cloud').counts.rejected).toBe(0);
      expect(status.queue).toMatchObject({ depth: 0, droppedAtQuota: 0 });
      expect(Object.keys(status.deadLetters.byDevice)).toEqual([probeDevice]);
      expect(part('gateway').alive()).toBe(true);
    },
  };
}
