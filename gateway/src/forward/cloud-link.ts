import type { Logger } from 'pino';
import { type BackoffPolicy, type RandomSource, retryDelay, unauthorizedDelay } from './backoff.js';

/** connecting: started, no answer yet; connected: the last request was answered; backoff: waiting after a failure;
 *  unauthorized: the cloud refused the token (401/403), retried slowly. */
export type ForwarderStatus = 'stopped' | 'connecting' | 'connected' | 'backoff' | 'unauthorized';

/**
 * The forwarder's view of the cloud: whether it answers, when to try again after a failure
 * (backoff, Retry-After, slow retries of a refused token), and how many records a request may
 * carry after 413 answers (halved per 413, doubled back after 20 good answers).
 */
export class CloudLink {
  status: ForwarderStatus = 'stopped';
  lastSuccessAt: string | undefined;
  lastError: string | undefined;
  consecutiveFailures = 0;
  /** No request before this time (Unix ms). */
  nextAttemptAtMs = 0;
  batchLimit: number;
  private successesSinceShrink = 0;

  constructor(
    private readonly batchSize: number,
    private readonly policy: BackoffPolicy,
    private readonly random: RandomSource,
    private readonly logger: Logger,
    readonly redact: (text: string) => string,
  ) {
    this.batchLimit = batchSize;
  }

  success(): void {
    if (this.consecutiveFailures > 0) this.logger.info({ afterFailures: this.consecutiveFailures }, 'cloud reachable again');
    this.status = 'connected';
    this.consecutiveFailures = 0;
    this.nextAttemptAtMs = 0;
    this.lastSuccessAt = new Date().toISOString();
    if (this.batchLimit < this.batchSize && ++this.successesSinceShrink >= 20) {
      this.batchLimit = Math.min(this.batchSize, this.batchLimit * 2);
      this.successesSinceShrink = 0;
    }
  }

  failure(reason: string, retryAfterMs: number | undefined): void {
    this.consecutiveFailures++;
    this.lastError = this.redact(reason);
    const delay = retryDelay(this.consecutiveFailures, retryAfterMs, this.policy, this.random);
    this.nextAttemptAtMs = Math.max(this.nextAttemptAtMs, Date.now() + delay);
    this.status = 'backoff';
    const fields = { consecutiveFailures: this.consecutiveFailures, retryInMs: delay, error: this.lastError };
    if (this.consecutiveFailures === 10) this.logger.error({ ...fields, alarm: 'cloud-unreachable' }, 'cloud unreachable; records are kept in the queue');
    else this.logger.warn(fields, 'sending to the cloud failed; will retry');
  }

  unauthorized(httpStatus: number, detail: string): void {
    this.consecutiveFailures++;
    this.status = 'unauthorized';
    this.lastError = this.redact(`HTTP ${httpStatus}: the cloud refused the gateway token${detail ? ` (${detail})` : ''}`);
    const delay = unauthorizedDelay(this.policy, this.random);
    this.nextAttemptAtMs = Math.max(this.nextAttemptAtMs, Date.now() + delay);
    this.logger.error(
      { alarm: 'cloud-unauthorized', httpStatus, consecutiveFailures: this.consecutiveFailures, retryInMs: delay, error: this.lastError },
      'the cloud refused the gateway token; check cloud.token; records are kept in the queue',
    );
  }

  /**
   * 413: send smaller batches from now on (the records are read again from the queue). A record
   * refused even alone is kept, not dropped: records are small (the standards bound every field),
   * so that means a body limit set too low between gateway and cloud; retried with backoff, alarmed.
   */
  tooLarge(records: number, jsonBytes: number, firstId: string | undefined): void {
    this.successesSinceShrink = 0;
    if (records > 1) {
      this.batchLimit = Math.max(1, Math.min(this.batchLimit, Math.floor(records / 2)));
      this.logger.warn({ records, jsonBytes, batchLimit: this.batchLimit }, 'cloud answered 413; splitting the batch');
      return;
    }
    this.batchLimit = 1;
    this.failure(`HTTP 413 for a single record (${jsonBytes} bytes of JSON); the body size limit on the way to the cloud is too low`, undefined);
    this.logger.error(
      { alarm: 'cloud-body-limit', jsonBytes, recordId: firstId },
      'the cloud refuses a single record as too large; records are kept in the queue',
    );
  }

  /** Requests allowed on the wire now: one while the cloud fails (probing), else maxInFlight. */
  allowedInFlight(maxInFlight: number): number {
    return this.consecutiveFailures > 0 ? 1 : maxInFlight;
  }
}
