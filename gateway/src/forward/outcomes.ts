import type { Logger } from 'pino';
import type { IngestResult, SensorRecord } from '../../../standards/src/index.js';

/** What the cloud's answer means for the records of one request. */
export interface OutcomeTally {
  /** Ids that may leave the queue: stored, duplicate, or rejected and handed over. */
  acknowledged: string[];
  stored: number;
  duplicates: number;
  rejected: number;
  /** Results for ids that were not in the request (ignored). */
  unknown: number;
  /** Records of the request without a result: they stay queued. */
  missing: number;
  /** Rejected records whose hand-over threw: they stay queued. */
  handOffFailed: number;
}

/** The request's records, in request order. */
export interface SentRecords {
  ids: readonly string[];
  seqs: readonly number[];
}

export interface RejectedHandOver {
  /** The record with this queue sequence number, read again (undefined: no longer queued). */
  read: (seq: number) => SensorRecord | undefined;
  onRejected: (record: SensorRecord, reason: string) => void;
}

/**
 * Sorts the per-record outcomes of an answer. A rejected record is read back from the queue (only
 * then) and handed to `onRejected`; if that throws, the record is not acknowledged and is sent again.
 */
export function tallyOutcomes(
  sent: SentRecords,
  results: readonly IngestResult[],
  rejected: RejectedHandOver,
  logger: Logger,
  redact: (text: string) => string,
): OutcomeTally {
  const tally: OutcomeTally = { acknowledged: [], stored: 0, duplicates: 0, rejected: 0, unknown: 0, missing: 0, handOffFailed: 0 };
  const waiting = pairUp(sent.ids, results);
  for (let i = 0; i < results.length; i++) {
    const result = results[i]!;
    const index = waiting === undefined ? i : waiting.get(result.id);
    if (index === undefined) {
      tally.unknown++;
      continue;
    }
    waiting?.delete(result.id);
    if (result.outcome === 'stored') tally.stored++;
    else if (result.outcome === 'duplicate') tally.duplicates++;
    else {
      const reason = result.reason ?? 'rejected by the cloud (no reason given)';
      try {
        const record = rejected.read(sent.seqs[index]!);
        // Gone meanwhile (dropped at the quota): nothing to hand over, and nothing to keep.
        if (record) rejected.onRejected(record, reason);
        logger.warn({ recordId: result.id, deviceId: record?.deviceId, reason }, 'cloud rejected a record');
      } catch (error) {
        tally.handOffFailed++;
        logger.error({ recordId: result.id, err: redact(describeError(error)) }, 'could not hand a rejected record over; it stays queued');
        continue;
      }
      tally.rejected++;
    }
    tally.acknowledged.push(result.id);
  }
  tally.missing = waiting?.size ?? 0;
  return tally;
}

/**
 * undefined when the answer names the request's records one for one in their order (what the
 * cloud does), so result i belongs to record i; else each id's index, to be matched and crossed off.
 */
function pairUp(ids: readonly string[], results: readonly IngestResult[]): Map<string, number> | undefined {
  if (results.length === ids.length) {
    let i = 0;
    while (i < ids.length && results[i]!.id === ids[i]) i++;
    if (i === ids.length) return undefined;
  }
  const waiting = new Map<string, number>();
  ids.forEach((id, index) => waiting.set(id, index));
  return waiting;
}

/** An error's message, with its cause when the message does not already say it. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : '';
  return causeText && !error.message.includes(causeText) ? `${error.message} (${causeText})` : error.message;
}
