import type { Logger } from 'pino';
import { recordsOfUplink, type Uplink } from '../../../firmware-profiles/src/index.js';
import type { SensorRecord } from '../../../standards/src/index.js';
import type { DeadLetterStore, NewDeadLetter } from '../core/dead-letter.js';
import type { RecordQueue } from '../core/queue.js';
import type { RawMessage, UplinkSink } from '../core/uplink.js';
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
  private readonly deadLetterCommits: GroupCommit<NewDeadLetter>;

  constructor(private readonly options: PipelineOptions) {
    this.commits = new GroupCommit((records) => {
      options.queue.append(records);
      options.onQueued();
    });
    this.deadLetterCommits = new GroupCommit((entries) => options.deadLetters.addMany(entries));
  }

  async accept(uplink: Uplink, raw: RawMessage): Promise<void> {
    this.counters.uplinks++;
    const decoded = this.decode(uplink);
    if ('records' in decoded) await this.commit(decoded.records);
    else await this.deadLetter(raw, uplink.deviceKey, decoded.code, decoded.reason);
  }

  async reject(raw: RawMessage, reason: string, deviceKey?: string): Promise<void> {
    this.counters.uplinks++;
    await this.deadLetter(raw, deviceKey, 'unreadable', reason);
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
    const decoded = recordsOfUplink(uplink, device, { kommune: this.options.kommune, gatewayId: this.options.gatewayId });
    if (!decoded.ok) {
      devices.recordFailure(uplink.deviceKey, uplink.receivedAt, decoded.reason);
      return { code: decoded.code, reason: decoded.reason };
    }
    devices.recordDecoded(uplink.deviceKey, uplink.receivedAt, decoded.records);
    return { records: decoded.records };
  }

  /** Keeps what could not be used, with its reason and raw bytes (grouped with others into one transaction); resolves once committed. */
  deadLetter(raw: RawMessage, deviceKey: string | undefined, code: string, reason: string): Promise<void> {
    this.counters.deadLetters++;
    this.options.logger.debug({ deviceKey, code, reason, source: raw.source }, 'dead letter');
    return this.deadLetterCommits.add([{ raw, deviceKey, code, reason }]);
  }
}
