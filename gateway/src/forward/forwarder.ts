import { promisify } from 'node:util';
import { constants as zlibConstants, gzip } from 'node:zlib';
import type { Logger } from 'pino';
import { INGEST_PATH, type IngestResult, ingestResponse, type SensorRecord } from '../../../standards/src/index.js';
import type { QueuedRecord, RecordQueue } from '../core/queue.js';
import {
  type BackoffPolicy,
  defaultBackoffPolicy,
  parseRetryAfter,
  type RandomSource,
  retryDelay,
  unauthorizedDelay,
} from './backoff.js';

const gzipAsync = promisify(gzip);

export interface ForwarderOptions {
  queue: RecordQueue;
  /** Base URL of the cloud, e.g. https://cloud.example.dk; the request goes to {cloudUrl}/api/v1/ingest. */
  cloudUrl: string;
  /** Gateway token, sent as a bearer token. Never logged. */
  token: string;
  gatewayId: string;
  /** Most records in one request. A backlog is sent in batches of this size without lingering. */
  batchSize: number;
  /** Most bytes of (uncompressed) JSON body in one request; default 4 MiB. A single larger record still goes alone. */
  maxBatchBytes?: number;
  /** With fewer than batchSize records queued, how long to wait for more before sending. */
  lingerMs: number;
  logger: Logger;
  /**
   * A record the cloud rejected (the gateway puts it in the dead-letter store). It is acknowledged
   * in the queue only after this returns; if it throws, the record stays queued and is sent again.
   */
  onRejected: (record: SensorRecord, reason: string) => void;
  fetchImpl?: typeof fetch;
  /** Requests on the wire at once while the cloud answers; 1 while it fails. Default 2. */
  maxInFlight?: number;
  /** A request not answered in this time is abandoned and retried. Default 30 s. */
  requestTimeoutMs?: number;
  /** Backoff after failures; defaults: 500 ms doubling to 60 s, full jitter; 401/403 every ~5 min. */
  backoff?: Partial<BackoffPolicy>;
  /** When nothing notifies, look at the queue this often anyway. Default 5 s. */
  idlePollMs?: number;
  /** zlib level; default 1 (fastest: ~9 % of the JSON for records, vs ~8 % at level 6 for twice the CPU). */
  gzipLevel?: number;
  /** Random source for the jitter (tests inject one). */
  random?: RandomSource;
}

export type ForwarderStatus = 'stopped' | 'connecting' | 'connected' | 'backoff' | 'unauthorized';

export interface ForwarderState {
  /** connecting: started, no answer yet; connected: the last request was answered; backoff: waiting after a failure;
   *  unauthorized: the cloud refused the token (401/403), retried slowly. */
  status: ForwarderStatus;
  connected: boolean;
  lastSuccessAt: string | undefined;
  lastError: string | undefined;
  /** Records the cloud acknowledged as stored or duplicate (and that left the queue). */
  sentRecords: number;
  storedRecords: number;
  duplicateRecords: number;
  /** Records the cloud rejected, handed to onRejected and acknowledged. */
  rejectedRecords: number;
  requests: number;
  consecutiveFailures: number;
  nextAttemptAt: string | undefined;
  inFlightRecords: number;
  /** Records per request now: batchSize, or less after the cloud answered 413. */
  batchLimit: number;
}

export interface Forwarder {
  /** Starts sending what the queue holds (a backlog from before a restart, too). */
  start(): void;
  /**
   * Stops sending; resolves once the requests in flight are answered and their outcomes applied.
   * With `timeoutMs`, requests still unanswered then are aborted; their records stay queued.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** Records were appended to the queue: send promptly (a full batch at once, else after lingerMs). */
  notify(): void;
  state(): ForwarderState;
}

interface Batch {
  items: QueuedRecord[];
  body: Buffer;
  jsonBytes: number;
}

type WakeReason = 'notify' | 'completion' | 'stop';

/**
 * The forwarder (DESIGN.md §1): queue → batched, gzip JSON → POST /api/v1/ingest. A record leaves
 * the queue only when the cloud answered for its id (stored, duplicate, or rejected and handed to
 * onRejected); anything else is kept and sent again, so delivery is at least once and the cloud's
 * dedup on the id makes the store exactly once.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { queue, gatewayId, batchSize, lingerMs, onRejected } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
  const maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 2);
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const idlePollMs = options.idlePollMs ?? 5_000;
  const gzipOptions = { level: options.gzipLevel ?? zlibConstants.Z_BEST_SPEED, memLevel: 9 };
  const policy: BackoffPolicy = { ...defaultBackoffPolicy, ...options.backoff };
  const random = options.random ?? Math.random;
  const fetchImpl = options.fetchImpl ?? globalThis.fetch;
  const logger = options.logger.child({ component: 'forwarder' });
  const url = new URL(INGEST_PATH.slice(1), options.cloudUrl.endsWith('/') ? options.cloudUrl : `${options.cloudUrl}/`).href;
  const headers = {
    authorization: `Bearer ${options.token}`,
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    accept: 'application/json',
  };
  const bodyPrefix = `{"gatewayId":${JSON.stringify(gatewayId)},"records":[`;

  let running = false;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let status: ForwarderStatus = 'stopped';
  let lastSuccessAt: string | undefined;
  let lastError: string | undefined;
  let storedRecords = 0;
  let duplicateRecords = 0;
  let rejectedRecords = 0;
  let requests = 0;
  let consecutiveFailures = 0;
  let nextAttemptAtMs = 0;
  let batchLimit = batchSize;
  let successesSinceShrink = 0;
  /** When records were first seen waiting for a batch to fill (the linger clock). */
  let pendingSince: number | undefined;
  /** Requests on the wire, each with the highest seq of its batch. */
  const inFlight = new Map<Promise<void>, number>();
  const inFlightSeqs = new Set<number>();
  /**
   * A finished request left records unacknowledged below the ones still in flight, so the next
   * batch must be chosen from the oldest record again instead of after the last one sent.
   */
  let rewind = false;
  const controllers = new Set<AbortController>();
  let waiter: { on: ReadonlySet<WakeReason>; wake: () => void } | undefined;

  function wake(reason: WakeReason): void {
    if (waiter && waiter.on.has(reason)) waiter.wake();
  }

  /** Waits for `ms` (undefined: no timeout) or one of the reasons; stop always wakes. Only the loop waits. */
  function waitFor(ms: number | undefined, ...reasons: WakeReason[]): Promise<void> {
    if (stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, Math.max(0, ms));
      function done(): void {
        if (timer !== undefined) clearTimeout(timer);
        waiter = undefined;
        resolve();
      }
      waiter = { on: new Set<WakeReason>([...reasons, 'stop']), wake: done };
    });
  }

  function redact(text: string): string {
    return options.token.length > 0 ? text.split(options.token).join('[redacted]') : text;
  }

  async function run(): Promise<void> {
    while (!stopping) {
      const now = Date.now();
      if (nextAttemptAtMs > now) {
        await waitFor(nextAttemptAtMs - now);
        continue;
      }
      if (inFlight.size >= (consecutiveFailures > 0 ? 1 : maxInFlight)) {
        await waitFor(undefined, 'completion');
        continue;
      }
      let fresh: QueuedRecord[];
      try {
        fresh = nextCandidates();
      } catch (error) {
        failure(`queue: ${describe(error)}`, undefined);
        continue;
      }
      if (fresh.length === 0) {
        pendingSince = undefined;
        await waitFor(inFlight.size > 0 ? undefined : idlePollMs, 'notify', 'completion');
        continue;
      }
      if (fresh.length < batchLimit && lingerMs > 0) {
        pendingSince ??= now;
        const deadline = pendingSince + lingerMs;
        if (now < deadline) {
          await waitFor(deadline - now, 'notify', 'completion');
          continue;
        }
      }
      pendingSince = undefined;
      const chosen = fresh.length > batchLimit ? fresh.slice(0, batchLimit) : fresh;
      let batch: Batch;
      try {
        batch = await prepare(chosen);
      } catch (error) {
        for (const item of chosen) inFlightSeqs.delete(item.seq);
        failure(`could not prepare a batch: ${describe(error)}`, undefined);
        continue;
      }
      if (stopping) {
        for (const item of batch.items) inFlightSeqs.delete(item.seq);
        break;
      }
      const request = send(batch).finally(() => {
        inFlight.delete(request);
        wake('completion');
      });
      inFlight.set(request, batch.items[batch.items.length - 1]!.seq);
    }
    await Promise.allSettled([...inFlight.keys()]);
  }

  /**
   * Up to batchLimit queued records not in flight, oldest first. While requests are in flight the
   * queue is read after the newest record sent (every older unacknowledged record is then in
   * flight); after a request that left records behind, from the oldest again.
   */
  function nextCandidates(): QueuedRecord[] {
    if (inFlightSeqs.size === 0) {
      rewind = false;
      return queue.peek(batchLimit);
    }
    if (rewind) {
      return queue.peek(inFlightSeqs.size + batchLimit).filter((item) => !inFlightSeqs.has(item.seq)).slice(0, batchLimit);
    }
    return queue.peek(batchLimit, Math.max(...inFlight.values()));
  }

  /** Serialises each record once, cuts the batch at maxBatchBytes, gzips; marks the records in flight. */
  async function prepare(candidates: QueuedRecord[]): Promise<Batch> {
    const parts: string[] = [];
    const items: QueuedRecord[] = [];
    let jsonBytes = bodyPrefix.length + 2;
    for (const item of candidates) {
      const json = JSON.stringify(item.record);
      const bytes = Buffer.byteLength(json) + 1;
      if (items.length > 0 && jsonBytes + bytes > maxBatchBytes) break;
      parts.push(json);
      items.push(item);
      jsonBytes += bytes;
    }
    for (const item of items) inFlightSeqs.add(item.seq);
    try {
      const body = await gzipAsync(`${bodyPrefix}${parts.join(',')}]}`, gzipOptions);
      return { items, body, jsonBytes };
    } catch (error) {
      for (const item of items) inFlightSeqs.delete(item.seq);
      throw error;
    }
  }

  async function send(batch: Batch): Promise<void> {
    const controller = new AbortController();
    controllers.add(controller);
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${requestTimeoutMs} ms`)), requestTimeoutMs);
    requests++;
    let fullyAcknowledged = false;
    try {
      const response = await fetchImpl(url, { method: 'POST', headers, body: batch.body, signal: controller.signal });
      if (response.ok) {
        const parsed = ingestResponse.safeParse(await response.json());
        if (!parsed.success) {
          failure(`invalid answer from the cloud: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`, undefined);
        } else {
          fullyAcknowledged = applyOutcomes(batch, parsed.data.results);
        }
        return;
      }
      const detail = await response.text().then((text) => text.slice(0, 200), () => '');
      if (response.status === 401 || response.status === 403) {
        unauthorized(response.status, detail);
      } else if (response.status === 413) {
        tooLarge(batch);
      } else {
        failure(`HTTP ${response.status}${detail ? `: ${detail}` : ''}`, parseRetryAfter(response.headers.get('retry-after'), Date.now()));
      }
    } catch (error) {
      if (stopping && controller.signal.aborted) {
        lastError = 'request abandoned at stop; its records stay queued';
        logger.info({ records: batch.items.length }, lastError);
      } else {
        failure(`request failed: ${describe(error)}`, undefined);
      }
    } finally {
      clearTimeout(timer);
      controllers.delete(controller);
      for (const item of batch.items) inFlightSeqs.delete(item.seq);
      if (!fullyAcknowledged) rewind = true;
    }
  }

  /** Applies the answer's outcomes; true when every record of the batch left the queue. */
  function applyOutcomes(batch: Batch, results: readonly IngestResult[]): boolean {
    const waiting = new Map<string, QueuedRecord>();
    for (const item of batch.items) waiting.set(item.record.id, item);
    const acknowledged: string[] = [];
    let stored = 0;
    let duplicates = 0;
    let rejected = 0;
    let unknown = 0;
    let handOffFailed = 0;
    for (const result of results) {
      const item = waiting.get(result.id);
      if (!item) {
        unknown++;
        continue;
      }
      waiting.delete(result.id);
      if (result.outcome === 'stored') stored++;
      else if (result.outcome === 'duplicate') duplicates++;
      else {
        const reason = result.reason ?? 'rejected by the cloud (no reason given)';
        try {
          onRejected(item.record, reason);
        } catch (error) {
          handOffFailed++;
          logger.error({ recordId: item.record.id, err: redact(describe(error)) }, 'could not hand a rejected record over; it stays queued');
          continue;
        }
        rejected++;
        logger.warn({ recordId: item.record.id, deviceId: item.record.deviceId, reason }, 'cloud rejected a record');
      }
      acknowledged.push(result.id);
    }
    try {
      if (acknowledged.length > 0) queue.acknowledge(acknowledged);
    } catch (error) {
      failure(`queue: could not acknowledge ${acknowledged.length} records: ${describe(error)}`, undefined);
      return false;
    }
    storedRecords += stored;
    duplicateRecords += duplicates;
    rejectedRecords += rejected;
    if (unknown > 0) logger.warn({ unknown }, 'cloud answered for ids that were not in the request; ignored');
    logger.debug({ records: batch.items.length, stored, duplicates, rejected, jsonBytes: batch.jsonBytes, gzipBytes: batch.body.length }, 'batch sent');
    const missing = waiting.size;
    if (missing > 0 || handOffFailed > 0) {
      const problems = [
        missing > 0 ? `${missing} of ${batch.items.length} records had no outcome in the answer` : '',
        handOffFailed > 0 ? `${handOffFailed} rejected records could not be handed over` : '',
      ].filter(Boolean);
      failure(`${problems.join('; ')}; kept for retry`, undefined);
      return false;
    }
    success();
    return true;
  }

  function success(): void {
    if (consecutiveFailures > 0) logger.info({ afterFailures: consecutiveFailures }, 'cloud reachable again');
    status = 'connected';
    consecutiveFailures = 0;
    nextAttemptAtMs = 0;
    lastSuccessAt = new Date().toISOString();
    if (batchLimit < batchSize && ++successesSinceShrink >= 20) {
      batchLimit = Math.min(batchSize, batchLimit * 2);
      successesSinceShrink = 0;
    }
  }

  function failure(reason: string, retryAfterMs: number | undefined): void {
    consecutiveFailures++;
    lastError = redact(reason);
    const delay = retryDelay(consecutiveFailures, retryAfterMs, policy, random);
    nextAttemptAtMs = Math.max(nextAttemptAtMs, Date.now() + delay);
    status = 'backoff';
    const fields = { consecutiveFailures, retryInMs: delay, error: lastError };
    if (consecutiveFailures === 10) logger.error({ ...fields, alarm: 'cloud-unreachable' }, 'cloud unreachable; records are kept in the queue');
    else logger.warn(fields, 'sending to the cloud failed; will retry');
  }

  function unauthorized(httpStatus: number, detail: string): void {
    consecutiveFailures++;
    status = 'unauthorized';
    lastError = redact(`HTTP ${httpStatus}: the cloud refused the gateway token${detail ? ` (${detail})` : ''}`);
    const delay = unauthorizedDelay(policy, random);
    nextAttemptAtMs = Math.max(nextAttemptAtMs, Date.now() + delay);
    logger.error(
      { alarm: 'cloud-unauthorized', httpStatus, consecutiveFailures, retryInMs: delay, error: lastError },
      'the cloud refused the gateway token; check cloud.token; records are kept in the queue',
    );
  }

  /**
   * 413: send smaller batches from now on (the records are read again from the queue). A record
   * refused even alone is kept, not dropped: records are small (the standards bound every field),
   * so that means a body limit set too low between gateway and cloud; retried with backoff, alarmed.
   */
  function tooLarge(batch: Batch): void {
    if (batch.items.length > 1) {
      batchLimit = Math.max(1, Math.min(batchLimit, Math.floor(batch.items.length / 2)));
      successesSinceShrink = 0;
      logger.warn({ records: batch.items.length, jsonBytes: batch.jsonBytes, batchLimit }, 'cloud answered 413; splitting the batch');
      return;
    }
    batchLimit = 1;
    successesSinceShrink = 0;
    failure(`HTTP 413 for a single record (${batch.jsonBytes} bytes of JSON); the body size limit on the way to the cloud is too low`, undefined);
    logger.error(
      { alarm: 'cloud-body-limit', jsonBytes: batch.jsonBytes, recordId: batch.items[0]?.record.id },
      'the cloud refuses a single record as too large; records are kept in the queue',
    );
  }

  return {
    start() {
      if (running) return;
      running = true;
      stopping = false;
      status = 'connecting';
      loop = run().catch((error: unknown) => {
        logger.error({ err: redact(describe(error)) }, 'forwarder loop failed');
      });
    },

    async stop({ timeoutMs }: { timeoutMs?: number } = {}) {
      if (!running) return;
      stopping = true;
      wake('stop');
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              for (const controller of controllers) controller.abort(new Error('forwarder stopped'));
            }, timeoutMs);
      try {
        await loop;
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        running = false;
        status = 'stopped';
      }
    },

    notify() {
      wake('notify');
    },

    state() {
      return {
        status,
        connected: status === 'connected',
        lastSuccessAt,
        lastError,
        sentRecords: storedRecords + duplicateRecords,
        storedRecords,
        duplicateRecords,
        rejectedRecords,
        requests,
        consecutiveFailures,
        nextAttemptAt: nextAttemptAtMs > Date.now() ? new Date(nextAttemptAtMs).toISOString() : undefined,
        inFlightRecords: inFlightSeqs.size,
        batchLimit,
      };
    },
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : '';
  return causeText && !error.message.includes(causeText) ? `${error.message} (${causeText})` : error.message;
}
