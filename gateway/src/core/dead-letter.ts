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
}

export interface DeadLetterStats {
  total: number;
  byDevice: Record<string, number>;
  /** Oldest entries dropped because the store was full. */
  dropped: number;
}

/** On-disk, bounded store of what could not be used, with the reason and the raw bytes. */
export interface DeadLetterStore {
  add(entry: Omit<DeadLetter, 'id' | 'at'> & { at?: string }): void;
  /** Oldest first; `afterId` pages through. */
  list(options?: { limit?: number; afterId?: number; deviceKey?: string }): DeadLetter[];
  remove(ids: readonly number[]): void;
  stats(): DeadLetterStats;
  close(): void;
}
