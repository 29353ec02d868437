import {
  type GatewayHeartbeatRecord,
  type IngestResult,
  type SensorRecord,
  validateRecord,
} from '../../../../standards/src/index.js';
import type { GatewayPrincipal } from '../../auth/gateway-tokens.js';
import type { IngestCounts } from '../../db/gateway-health.js';
import type { TimeSeriesStore } from '../../store/time-series-store.js';

export interface IngestOutcome {
  /** One per record of the request, in its order. */
  results: IngestResult[];
  counts: IngestCounts;
  /** Valid heartbeat records of the request (stored or duplicate), for the gateway health table. */
  heartbeats: GatewayHeartbeatRecord[];
}

function idOf(candidate: unknown): string {
  const id = (candidate as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : '';
}

/**
 * Decides each record's outcome (DESIGN.md §2, Ingest API): invalid for its standard, of another
 * kommune than the gateway's, or naming another gateway → rejected with the reason; else handed
 * to the store, which answers stored or duplicate by record id. A second record with the same id
 * in one request is a duplicate without reaching the store. A store failure throws (the request
 * is answered 5xx and the gateway sends the batch again).
 */
export async function ingestRecords(gateway: GatewayPrincipal, candidates: readonly unknown[], store: TimeSeriesStore): Promise<IngestOutcome> {
  const results: IngestResult[] = new Array(candidates.length);
  const counts: IngestCounts = { stored: 0, duplicate: 0, rejected: 0 };
  const toWrite: SensorRecord[] = [];
  const writeIndex: number[] = [];
  const seen = new Set<string>();

  candidates.forEach((candidate, index) => {
    const id = idOf(candidate);
    const validation = validateRecord(candidate);
    const reason = !validation.ok
      ? validation.reason
      : validation.record.kommune !== gateway.kommune
        ? `kommune: this gateway may only write records of kommune ${gateway.kommune}`
        : validation.record.gatewayId !== gateway.gatewayId
          ? `gatewayId: this gateway may only write records naming itself (${gateway.gatewayId})`
          : undefined;
    if (!validation.ok || reason !== undefined) {
      results[index] = { id, outcome: 'rejected', reason: reason ?? 'invalid record' };
      counts.rejected++;
      return;
    }
    if (seen.has(id)) {
      results[index] = { id, outcome: 'duplicate' };
      counts.duplicate++;
      return;
    }
    seen.add(id);
    toWrite.push(validation.record);
    writeIndex.push(index);
  });

  const outcomes = toWrite.length > 0 ? await store.write(toWrite) : [];
  if (outcomes.length !== toWrite.length) throw new Error(`the store answered ${outcomes.length} outcomes for ${toWrite.length} records`);
  const heartbeats: GatewayHeartbeatRecord[] = [];
  outcomes.forEach((outcome, i) => {
    const record = toWrite[i]!;
    results[writeIndex[i]!] = { id: record.id, outcome };
    if (outcome === 'stored') counts.stored++;
    else counts.duplicate++;
    if (record.standard === 'gateway-heartbeat/1') heartbeats.push(record);
  });
  return { results, counts, heartbeats };
}
