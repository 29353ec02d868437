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
  /** Replaced on a configuration reload (see useRegistry). */
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
    this.counters.uplinks++;
    const decoded = this.decode(uplink);
    if ('records' in decoded) await this.commit(decoded.records);
    else this.deadLetter(raw, uplink.deviceKey, decoded.code, decoded.reason);
  }

  async reject(raw: RawMessage, reason: string, deviceKey?: string): Promise<void> {
    this.counters.uplinks++;
    this.deadLetter(raw, deviceKey, 'unreadable', reason);
  }

  /** A reloaded configuration: later uplinks are decoded with its devices. */
  useRegistry(registry: DeviceRegistry): void {
    this.options.registry = registry;
  }

  /** Queues records (grouped with others into one transaction); resolves once they are committed. */
  commit(records: SensorRecord[]): Promise<void> {
    this.counters.records += records.length;
    return this.commits.add(records);
  }

  /** Registry → decoder → validation for one uplink; on failure the code and reason for its dead letter. */
  decode(uplink: Uplink): { records: SensorRecord[] } | { code: string; reason: string } {
    const { registry, devices } = this.options;
    const device = registry.lookup(uplink.deviceKey);
    if (!device) {
      this.counters.unknownDevices++;
      return { code: 'unknown-device', reason: `device ${uplink.deviceKey} is not configured on this gateway` };
    }
    const fail = (code: string, reason: string) => {
      devices.recordFailure(uplink.deviceKey, uplink.receivedAt, reason);
      return { code, reason };
    };
    const receivedAtMs = Date.parse(uplink.receivedAt);
    let outcome;
    if (uplink.json !== undefined) outcome = device.profile.decodeJson({ json: uplink.json, receivedAtMs, params: device.params });
    else if (uplink.bytes !== undefined && uplink.fPort !== undefined) {
      outcome = device.profile.decode({ fPort: uplink.fPort, bytes: uplink.bytes, receivedAtMs, params: device.params });
    } else {
      return fail('no-payload', 'the uplink carries no application payload (fPort 0: MAC commands only)');
    }
    if (!outcome.ok) return fail(outcome.code, outcome.reason);
    const records = buildRecords(outcome.observations, outcome.undecoded, {
      kommune: this.options.kommune,
      deviceId: device.deviceId,
      assetId: device.assetId,
      gatewayId: this.options.gatewayId,
      receivedAt: uplink.receivedAt,
      radio: uplink.radio,
      messageId: uplink.messageId,
    });
    for (const record of records) {
      const validation = validateRecord(record);
      if (!validation.ok) return fail('invalid-record', validation.reason);
    }
    devices.recordDecoded(uplink.deviceKey, uplink.receivedAt, records);
    return { records };
  }

  /** Keeps what could not be used, with its reason and raw bytes. */
  deadLetter(raw: RawMessage, deviceKey: string | undefined, code: string, reason: string): void {
    this.counters.deadLetters++;
    this.options.deadLetters.add({ raw, deviceKey, code, reason });
    this.options.logger.debug({ deviceKey, code, reason, source: raw.source }, 'dead letter');
  }
}
