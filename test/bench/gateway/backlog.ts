import { statSync } from 'node:fs';
import pino from 'pino';
import { type LoadedProfiles, loadProfiles, newRecordId, parseChirpstackUp } from '../../../firmware-profiles/src/index.js';
import type { DeadLetterStore } from '../../../gateway/src/core/dead-letter.js';
import type { RecordQueue } from '../../../gateway/src/core/queue.js';
import { Pipeline } from '../../../gateway/src/pipeline/pipeline.js';
import { openSqliteQueue } from '../../../gateway/src/queue/sqlite-queue.js';
import { DeviceRegistry } from '../../../gateway/src/registry/device-registry.js';
import { createSimulator, type SimulatedDevice, type Simulator } from '../../../gateway/src/simulator/index.js';
import { DeviceStatusBook } from '../../../gateway/src/status/device-status.js';
import type { SensorRecord } from '../../../standards/src/index.js';

/**
 * A gateway's backlog for the replay and memory benchmarks: `count` records as the gateway itself
 * makes them (simulated ChirpStack uplinks of the eight sensor models → envelope parser → registry →
 * compiled decoder → record builder → validation: `Pipeline.decode`), appended to a SQLite queue
 * file (openSqliteQueue, default durability) in batches of 1000 as group commits would. Uplinks
 * come at the devices' natural times from `startMs` on, so the backlog is what the simulator's
 * devices would have sent during an outage (see templateRecords for how 1,000,000 are made fast).
 */

/** 10,000 devices over the eight profiles, in the proportions of a municipal site. */
export const siteMix = {
  'milesight-em310-udl': 2500,
  'dragino-ldds75': 1500,
  'milesight-em500-swl': 300,
  'milesight-em300-di': 1200,
  'milesight-ws301': 1500,
  'dragino-lds02': 1000,
  'elvaco-cmi4110': 1000,
  'axioma-qalcosonic-w1': 1000,
} as const;

export function siteSimulator(seed: string, startMs: number, applicationId: string): Simulator {
  return createSimulator({ seed, devices: siteMix, networkServer: 'chirpstack', applicationId, startTime: startMs });
}

export interface BacklogOptions {
  path: string;
  count: number;
  simulator: Simulator;
  /** Where the simulator starts: uplinks from here on, at their natural times. */
  startMs: number;
  gatewayId: string;
  kommune: string;
  /** Records per append (commit); default 1000. */
  batch?: number;
  /**
   * Records made through the pipeline (default 100,000, about five hours of 10,000 devices; the
   * pipeline makes ~10,000 a second here). The rest are copies of them shifted by whole spans
   * of that period, with new UUIDv7 ids of the shifted time: the same shapes and sizes as later
   * readings (counters and levels repeat, which neither the queue nor the forwarder looks at).
   */
  templateRecords?: number;
}

export interface Backlog {
  records: number;
  /** Simulated uplinks the template records were decoded from. */
  uplinks: number;
  /** Payload bytes the queue counts (its own compact encoding). */
  payloadBytes: number;
  fileBytes: number;
  /** JSON bytes of the records (what the forwarder serialises before gzip). */
  jsonBytes: number;
  byStandard: Record<string, number>;
  /** Records made through the pipeline; the others are shifted copies. */
  templateRecords: number;
  /** Hours of device time the backlog covers. */
  spanHours: number;
  /** Time to make and queue them. */
  seconds: number;
}

const nothing = () => undefined;
const noQueue: RecordQueue = { append: nothing, peek: () => [], peekJson: () => [], acknowledge: nothing, stats: () => ({ depth: 0, oldestEnqueuedAt: undefined, bytes: 0, quotaBytes: 1, droppedAtQuota: 0 }), close: nothing };
const noDeadLetters: DeadLetterStore = { add: nothing, addMany: nothing, list: () => [], remove: nothing, stats: () => ({ total: 0, byDevice: {}, dropped: 0, repeats: 0 }), close: nothing };

export async function fillBacklog(options: BacklogOptions): Promise<Backlog> {
  const started = performance.now();
  const profiles: LoadedProfiles = await loadProfiles();
  const silent = pino({ level: 'silent' });
  try {
    const devices: SimulatedDevice[] = options.simulator.devices();
    const registry = new DeviceRegistry(
      devices.map((device) => ({ deviceKey: device.deviceKey, profile: device.profile, assetId: device.assetId, params: device.params })),
      profiles,
    );
    const pipeline = new Pipeline({
      gatewayId: options.gatewayId,
      kommune: options.kommune,
      registry,
      queue: noQueue,
      deadLetters: noDeadLetters,
      devices: new DeviceStatusBook(),
      onQueued: nothing,
      logger: silent,
    });
    // The template: real records of the devices' first hours.
    const templateCount = Math.min(options.count, options.templateRecords ?? 100_000);
    const template: SensorRecord[] = [];
    let uplinks = 0;
    let lastMs = options.startMs;
    // A year is far more than any count needs; the loop stops at templateCount.
    for (const up of options.simulator.pastUplinks(options.startMs, options.startMs + 365 * 86_400_000)) {
      const parsed = parseChirpstackUp(up.topic, up.payload, 64 * 1024);
      if (!parsed.ok || parsed.kind !== 'uplink') throw new Error(`simulated uplink not readable: ${parsed.ok ? parsed.kind : parsed.reason}`);
      const decoded = pipeline.decode(parsed.uplink);
      if (!('records' in decoded)) throw new Error(`simulated uplink of ${up.profile} not decoded: ${decoded.code}: ${decoded.reason}`);
      uplinks++;
      lastMs = up.timeMs;
      for (const record of decoded.records) if (template.length < templateCount) template.push(record);
      if (template.length >= templateCount) break;
    }
    // Whole hours, so each copy's readings sit where the devices would have sent them a span later.
    const spanMs = Math.max(3_600_000, Math.ceil((lastMs + 1 - options.startMs) / 3_600_000) * 3_600_000);

    const queue = openSqliteQueue({ path: options.path, quotaBytes: 16 * 1024 ** 3, logger: silent });
    const batchSize = options.batch ?? 1000;
    const byStandard: Record<string, number> = {};
    let batch: SensorRecord[] = [];
    let records = 0;
    let jsonBytes = 0;
    for (let copy = 0; records < options.count; copy++) {
      const shiftMs = copy * spanMs;
      for (let i = 0; i < template.length && records < options.count; i++) {
        const record = copy === 0 ? template[i]! : shifted(template[i]!, shiftMs);
        batch.push(record);
        records++;
        byStandard[record.standard] = (byStandard[record.standard] ?? 0) + 1;
        // Sampled: JSON.stringify of every record would cost seconds.
        if ((records & 63) === 0) jsonBytes += 64 * Buffer.byteLength(JSON.stringify(record));
        if (batch.length >= batchSize) {
          queue.append(batch);
          batch = [];
        }
      }
    }
    if (batch.length > 0) queue.append(batch);
    const stats = queue.stats();
    queue.close();
    if (stats.depth !== records) throw new Error(`queue holds ${stats.depth} records, ${records} appended`);
    return {
      records,
      uplinks,
      payloadBytes: stats.bytes,
      fileBytes: fileBytes(options.path),
      jsonBytes,
      byStandard,
      templateRecords: template.length,
      spanHours: (Math.ceil(options.count / Math.max(1, template.length)) * spanMs) / 3_600_000,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const profile of profiles.profiles.values()) profile.dispose();
  }
}

/** A later reading of the same shape: times moved by `shiftMs`, a new UUIDv7 of the new receive time. */
function shifted(record: SensorRecord, shiftMs: number): SensorRecord {
  const receivedMs = Date.parse(record.receivedAt) + shiftMs;
  return {
    ...record,
    id: newRecordId(receivedMs),
    observedAt: new Date(Date.parse(record.observedAt) + shiftMs).toISOString(),
    receivedAt: new Date(receivedMs).toISOString(),
  };
}

export function fileBytes(path: string): number {
  let size = 0;
  for (const suffix of ['', '-wal', '-shm']) size += statSync(path + suffix, { throwIfNoEntry: false })?.size ?? 0;
  return size;
}
