import type { RawMessage } from './uplink.js';

/** Why a message is a dead letter: the decoder's failure codes, plus the gateway's own. */
export type DeadLetterCode = string;

export interface DeadLetter {
  id: number;
  /** When it was dead-lettered, ISO 8601 UTC. */
  at: string;
  raw: RawMessage;
  deviceKey: string | undefined;
  code: DeadLetterCode;
  reason: string;
  /**
   * How often the same message (same source, address and bytes) arrived again after the first:
   * a redelivery (MQTT QoS 1 after a lost PUBACK), or a sensor repeating itself. Kept once.
   */
  repeats: number;
  /** When it last arrived, ISO 8601 UTC (= `at` when it never repeated). */
  lastAt: string;
}

export interface DeadLetterStats {
  total: number;
  byDevice: Record<string, number>;
  /** Oldest entries dropped because the store was full. */
  dropped: number;
  /** Repeats counted on the kept entries: `total + repeats` messages were dead-lettered and are still here. */
  repeats: number;
}

export type NewDeadLetter = Omit<DeadLetter, 'id' | 'at' | 'repeats' | 'lastAt'> & { at?: string };

/** On-disk, bounded store of what could not be used, with the reason and the raw bytes. */
export interface DeadLetterStore {
  /** Stores a new entry, or counts a repeat of an entry with the same source, address and bytes. */
  add(entry: NewDeadLetter): void;
  /** Several adds in one transaction (one commit for a burst of unusable messages). */
  addMany(entries: readonly NewDeadLetter[]): void;
  /** Oldest first; `afterId` pages through. */
  list(options?: { limit?: number; afterId?: number; deviceKey?: string }): DeadLetter[];
  remove(ids: readonly number[]): void;
  stats(): DeadLetterStats;
  close(): void;
}
