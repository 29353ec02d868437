import type { RecordQueue, SerializedRecord } from '../core/queue.js';

export type WakeReason = 'notify' | 'completion' | 'stop';

/** Lets the send loop sleep until a timeout or one of the reasons it names; stop always wakes it. */
export class Wakeup {
  private waiter: { on: ReadonlySet<WakeReason>; wake: () => void } | undefined;
  private stopped = false;

  wake(reason: WakeReason): void {
    if (reason === 'stop') this.stopped = true;
    if (this.waiter && this.waiter.on.has(reason)) this.waiter.wake();
  }

  /** Waits `ms` (undefined: no timeout) or for one of the reasons. One waiter at a time: the loop. */
  waitFor(ms: number | undefined, ...reasons: WakeReason[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, Math.max(0, ms));
      this.waiter = { on: new Set<WakeReason>([...reasons, 'stop']), wake: done };
    });
  }

  reset(): void {
    this.stopped = false;
  }
}

/**
 * Which queued records are on the wire, and which to send next. Several requests may be in
 * flight; the next batch is read after the newest record sent (every older unacknowledged record
 * is then in flight). Once a request ends leaving records unacknowledged below the ones still in
 * flight, the next batch is chosen from the oldest record again, skipping those in flight.
 */
export class SendWindow {
  /** Highest seq of each request's batch. */
  private readonly requests = new Map<object, number>();
  private readonly seqs = new Set<number>();
  private rewind = false;

  get requestCount(): number {
    return this.requests.size;
  }

  get recordCount(): number {
    return this.seqs.size;
  }

  /** Up to `limit` queued records not in flight, oldest first. */
  next(queue: Pick<RecordQueue, 'peekJson'>, limit: number): SerializedRecord[] {
    if (this.seqs.size === 0) {
      this.rewind = false;
      return queue.peekJson(limit);
    }
    if (this.rewind) {
      return queue
        .peekJson(this.seqs.size + limit)
        .filter((item) => !this.seqs.has(item.seq))
        .slice(0, limit);
    }
    return queue.peekJson(limit, Math.max(...this.requests.values()));
  }

  /** `seqs`: the request's records, oldest first. */
  open(request: object, seqs: readonly number[]): void {
    for (const seq of seqs) this.seqs.add(seq);
    this.requests.set(request, seqs[seqs.length - 1]!);
  }

  /** The request ended; `fullyAcknowledged`: all its records left the queue. */
  close(request: object, seqs: readonly number[], fullyAcknowledged: boolean): void {
    this.requests.delete(request);
    for (const seq of seqs) this.seqs.delete(seq);
    if (!fullyAcknowledged) this.rewind = true;
  }
}
