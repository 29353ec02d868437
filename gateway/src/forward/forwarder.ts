import { constants as zlibConstants } from 'node:zlib';
import type { Logger } from 'pino';
import { INGEST_PATH, type SensorRecord } from '../../../standards/src/index.js';
import type { RecordQueue } from '../core/queue.js';
import { type BackoffPolicy, defaultBackoffPolicy, type RandomSource } from './backoff.js';
import { type Batch, batchBuilder } from './batch.js';
import { CloudLink, type ForwarderStatus } from './cloud-link.js';
import { describeError, tallyOutcomes } from './outcomes.js';
import { type PostTarget, postBatch } from './post-batch.js';
import { SendWindow, Wakeup } from './scheduler.js';

export type { ForwarderStatus } from './cloud-link.js';

export interface ForwarderOptions {
  queue: Pick<RecordQueue, 'peekJson' | 'acknowledge'>;
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

export interface ForwarderState {
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

/**
 * The forwarder (DESIGN.md §1): queue → batched, gzip JSON → POST /api/v1/ingest. A record leaves
 * the queue only when the cloud answered for its id (stored, duplicate, or rejected and handed to
 * onRejected); anything else is kept and sent again, so delivery is at least once and the cloud's
 * dedup on the id makes the store exactly once.
 *
 * This module schedules: when to read the next batch (linger, in-flight limit, backoff) and what
 * an answer does to the queue. Batch bodies: batch.ts; the answer's outcomes: outcomes.ts; the
 * cloud's health and backoff: cloud-link.ts; the HTTP exchange: post-batch.ts.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { queue, batchSize, lingerMs, onRejected } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
  const maxInFlight = Math.max(1, options.maxInFlight ?? 2);
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const idlePollMs = options.idlePollMs ?? 5_000;
  const logger = options.logger.child({ component: 'forwarder' });
  const redact = (text: string) => (options.token.length > 0 ? text.split(options.token).join('[redacted]') : text);
  const link = new CloudLink(batchSize, { ...defaultBackoffPolicy, ...options.backoff }, options.random ?? Math.random, logger, redact);
  const build = batchBuilder({
    gatewayId: options.gatewayId,
    maxBatchBytes: options.maxBatchBytes ?? 4 * 1024 * 1024,
    gzipLevel: options.gzipLevel ?? zlibConstants.Z_BEST_SPEED,
  });
  const target: PostTarget = {
    url: new URL(INGEST_PATH.slice(1), options.cloudUrl.endsWith('/') ? options.cloudUrl : `${options.cloudUrl}/`).href,
    headers: {
      authorization: `Bearer ${options.token}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      accept: 'application/json',
    },
    fetchImpl: options.fetchImpl ?? globalThis.fetch,
  };

  const window = new SendWindow();
  const wakeup = new Wakeup();
  const inFlight = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();
  let running = false;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let storedRecords = 0;
  let duplicateRecords = 0;
  let rejectedRecords = 0;
  let requests = 0;
  /** When records were first seen waiting for a batch to fill (the linger clock). */
  let pendingSince: number | undefined;

  async function run(): Promise<void> {
    while (!stopping) {
      const now = Date.now();
      if (link.nextAttemptAtMs > now) {
        await wakeup.waitFor(link.nextAttemptAtMs - now);
        continue;
      }
      if (window.requestCount >= link.allowedInFlight(maxInFlight)) {
        await wakeup.waitFor(undefined, 'completion');
        continue;
      }
      let fresh;
      try {
        fresh = window.next(queue, link.batchLimit);
      } catch (error) {
        link.failure(`queue: ${describeError(error)}`, undefined);
        continue;
      }
      if (fresh.length === 0) {
        pendingSince = undefined;
        await wakeup.waitFor(window.requestCount > 0 ? undefined : idlePollMs, 'notify', 'completion');
        continue;
      }
      if (fresh.length < link.batchLimit && lingerMs > 0) {
        pendingSince ??= now;
        const deadline = pendingSince + lingerMs;
        if (now < deadline) {
          await wakeup.waitFor(deadline - now, 'notify', 'completion');
          continue;
        }
      }
      pendingSince = undefined;
      let batch: Batch;
      try {
        batch = await build(fresh);
      } catch (error) {
        link.failure(`could not prepare a batch: ${describeError(error)}`, undefined);
        continue;
      }
      if (stopping) break;
      const request: Promise<void> = send(batch).finally(() => {
        inFlight.delete(request);
        wakeup.wake('completion');
      });
      inFlight.add(request);
    }
    await Promise.allSettled([...inFlight]);
  }

  async function send(batch: Batch): Promise<void> {
    const controller = new AbortController();
    controllers.add(controller);
    window.open(controller, batch.seqs);
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${requestTimeoutMs} ms`)), requestTimeoutMs);
    requests++;
    let fullyAcknowledged = false;
    try {
      const answer = await postBatch(target, batch.body, controller.signal);
      switch (answer.kind) {
        case 'answered':
          fullyAcknowledged = applyAnswer(batch, answer.results);
          break;
        case 'unauthorized':
          link.unauthorized(answer.httpStatus, answer.detail);
          break;
        case 'too-large':
          link.tooLarge(batch.ids.length, batch.jsonBytes, batch.ids[0]);
          break;
        case 'failed':
          link.failure(answer.reason, answer.retryAfterMs);
          break;
      }
    } catch (error) {
      if (stopping && controller.signal.aborted) {
        link.lastError = 'request abandoned at stop; its records stay queued';
        logger.info({ records: batch.ids.length }, link.lastError);
      } else {
        link.failure(`request failed: ${describeError(error)}`, undefined);
      }
    } finally {
      clearTimeout(timer);
      controllers.delete(controller);
      window.close(controller, batch.seqs, fullyAcknowledged);
    }
  }

  function readQueued(seq: number): SensorRecord | undefined {
    const [item] = queue.peekJson(1, seq - 1);
    return item?.seq === seq ? (JSON.parse(item.json) as SensorRecord) : undefined;
  }

  /** Acknowledges what the answer settled; true when every record of the batch left the queue. */
  function applyAnswer(batch: Batch, results: Parameters<typeof tallyOutcomes>[1]): boolean {
    const tally = tallyOutcomes(batch, results, { read: readQueued, onRejected }, logger, redact);
    try {
      if (tally.acknowledged.length > 0) queue.acknowledge(tally.acknowledged);
    } catch (error) {
      link.failure(`queue: could not acknowledge ${tally.acknowledged.length} records: ${describeError(error)}`, undefined);
      return false;
    }
    storedRecords += tally.stored;
    duplicateRecords += tally.duplicates;
    rejectedRecords += tally.rejected;
    if (tally.unknown > 0) logger.warn({ unknown: tally.unknown }, 'cloud answered for ids that were not in the request; ignored');
    logger.debug(
      { records: batch.ids.length, stored: tally.stored, duplicates: tally.duplicates, rejected: tally.rejected, jsonBytes: batch.jsonBytes, gzipBytes: batch.body.length },
      'batch sent',
    );
    if (tally.missing > 0 || tally.handOffFailed > 0) {
      const problems = [
        tally.missing > 0 ? `${tally.missing} of ${batch.ids.length} records had no outcome in the answer` : '',
        tally.handOffFailed > 0 ? `${tally.handOffFailed} rejected records could not be handed over` : '',
      ].filter(Boolean);
      link.failure(`${problems.join('; ')}; kept for retry`, undefined);
      return false;
    }
    link.success();
    return true;
  }

  return {
    start() {
      if (running) return;
      running = true;
      stopping = false;
      wakeup.reset();
      link.status = 'connecting';
      loop = run().catch((error: unknown) => {
        logger.error({ err: redact(describeError(error)) }, 'forwarder loop failed');
      });
    },

    async stop({ timeoutMs }: { timeoutMs?: number } = {}) {
      if (!running) return;
      stopping = true;
      wakeup.wake('stop');
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
        link.status = 'stopped';
      }
    },

    notify() {
      wakeup.wake('notify');
    },

    state() {
      return {
        status: link.status,
        connected: link.status === 'connected',
        lastSuccessAt: link.lastSuccessAt,
        lastError: link.lastError,
        sentRecords: storedRecords + duplicateRecords,
        storedRecords,
        duplicateRecords,
        rejectedRecords,
        requests,
        consecutiveFailures: link.consecutiveFailures,
        nextAttemptAt: link.nextAttemptAtMs > Date.now() ? new Date(link.nextAttemptAtMs).toISOString() : undefined,
        inFlightRecords: window.recordCount,
        batchLimit: link.batchLimit,
      };
    },
  };
}
