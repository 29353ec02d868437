import type { DeadLetterStats } from '../core/dead-letter.js';
import type { QueueStats } from '../core/queue.js';
import type { PipelineCounters } from '../pipeline/pipeline.js';

/** Everything the status page, `gateway status` and /metrics show; one snapshot, read on request. */
export interface GatewayStatus {
  gateway: { id: string; kommune: string; name: string | undefined; startedAt: string; uptimeS: number };
  cloud: {
    url: string;
    state: 'ok' | 'sending' | 'backoff' | 'unauthorized' | 'idle';
    lastSuccessAt: string | undefined;
    lastError: string | undefined;
    consecutiveFailures: number;
    sentRecords: number;
    rejectedRecords: number;
  };
  queue: QueueStats & { oldestAgeS: number | undefined };
  sources: SourceRow[];
  deadLetters: DeadLetterStats;
  pipeline: PipelineCounters;
  devices: DeviceRow[];
}

export interface SourceRow {
  name: string;
  connected: boolean;
  detail: string | undefined;
  /** The source's running totals (the embedded broker's logins, refusals, …) when it keeps any; they start from 0 when a configuration reload makes the source anew. */
  counters?: Record<string, number>;
}

export interface DeviceRow {
  deviceKey: string;
  profile: string;
  assetId: string | undefined;
  lastSeenAt: string | undefined;
  /** A short human summary of the last record, e.g. "distanceMm=1290 fillLevel=0.42". */
  lastValue: string | undefined;
  quality: string | undefined;
  batteryPercent: number | undefined;
  batteryV: number | undefined;
  rssiDbm: number | undefined;
  uplinks: number;
  decodeErrors: number;
  deadLetters: number;
  lastError: string | undefined;
}
