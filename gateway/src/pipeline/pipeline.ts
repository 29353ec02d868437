import type { Logger } from 'pino';
import { buildRecords } from '../../../firmware-profiles/src/index.js';
import { type SensorRecord, validateRecord } from '../../../standards/src/index.js';
import type { DeadLetterStore } from '../core/dead-letter.js';
import type { RecordQueue } from '../core/queue.js';
import type { RawMessage, Uplink, UplinkSink } from '../core/uplink.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { DeviceStatusBook } from '../status/device-status.js';
import { GroupCommit } from './group-commit.js';

export interface PipelineCounters {
  uplinks: number;
  records: number;
  deadLetters: number;
  unknownDevices: number;
}

export interface PipelineOptions {
  gatewayId: string;
  kommune: string;
  registry: DeviceRegistry;
  queue: RecordQueue;
  deadLetters: DeadLetterStore;
  devices: DeviceStatusBook;
  /** Called after records were committed, so the forwarder sends promptly. */
  onQueued: () => void;
  logger: Logger;
}

/**
 * Uplink → registry → decoder → validate → queue (DESIGN.md §1). What cannot be used goes to the
 * dead-letter store with its reason and raw bytes. Appends from concurrent uplinks are grouped into
 * one transaction; each accept() resolves when its records are committed.
 */
export class Pipeline implements UplinkSink {
  readonly counters: PipelineCounters = { uplinks: 0, records: 0, deadLetters: 0, unknownDevices: 0 };
  private readonly commits: GroupCommit<SensorRecord>;

  constructor(private readonly options: PipelineOptions) {
    this.commits = new GroupCommit((records) => {
      options.queue.append(records);
      options.onQueued();
    });
  }

  async accept(uplink: Uplink, raw: RawMessage): Promise<void> {
    const outcome = this.process(uplink, raw);
    if ('records' in outcome) await this.commits.add(outcome.records);
  }

  async reject(raw: RawMessage, reason: string, deviceKey?: string): Promise<void> {
    this.counters.uplinks++;
    this.deadLetter(raw, deviceKey, 'unreadable', reason);
  }

  /** Decodes and validates one uplink; dead-letters it on failure. Exposed for replay. */
  process(uplink: Uplink, raw: RawMessage): { records: SensorRecord[] } | { deadLetter: string } {
    this.counters.uplinks++;
    const { registry, devices } = this.options;
    const device = registry.lookup(uplink.deviceKey);
    if (!device) {
      this.counters.unknownDevices++;
      return this.deadLetter(raw, uplink.deviceKey, 'unknown-device', `device ${uplink.deviceKey} is not configured on this gateway`);
    }
    if (uplink.bytes === undefined || uplink.fPort === undefined) {
      devices.recordFailure(uplink.deviceKey, uplink.receivedAt, 'no binary payload');
      return this.deadLetter(raw, uplink.deviceKey, 'unsupported-payload', `${device.profile.id} decodes binary payloads with an fPort; this uplink has none`);
    }
    const outcome = device.profile.decode({
      fPort: uplink.fPort,
      bytes: uplink.bytes,
      receivedAtMs: Date.parse(uplink.receivedAt),
      params: device.params,
    });
    if (!outcome.ok) {
      devices.recordFailure(uplink.deviceKey, uplink.receivedAt, outcome.reason);
      return this.deadLetter(raw, uplink.deviceKey, outcome.code, outcome.reason);
    }
    const records = buildRecords(outcome.observations, outcome.undecoded, {
      kommune: this.options.kommune,
      deviceId: device.deviceId,
      assetId: device.assetId,
      gatewayId: this.options.gatewayId,
      receivedAt: uplink.receivedAt,
      radio: uplink.radio,
    });
    for (const record of records) {
      const validation = validateRecord(record);
      if (!validation.ok) {
        devices.recordFailure(uplink.deviceKey, uplink.receivedAt, validation.reason);
        return this.deadLetter(raw, uplink.deviceKey, 'invalid-record', validation.reason);
      }
    }
    devices.recordDecoded(uplink.deviceKey, uplink.receivedAt, records);
    this.counters.records += records.length;
    return { records };
  }

  private deadLetter(raw: RawMessage, deviceKey: string | undefined, code: string, reason: string): { deadLetter: string } {
    this.counters.deadLetters++;
    this.options.deadLetters.add({ raw, deviceKey, code, reason });
    this.options.logger.debug({ deviceKey, code, reason, source: raw.source }, 'dead letter');
    return { deadLetter: reason };
  }
}
