/**
 * A token bucket: tokens accrue at `ratePerSecond` up to `capacity`; each message takes one.
 * Starts with one token, so a run begins without a burst.
 */
export class TokenBucket {
  private tokens = 1;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    private lastMs: number,
  ) {
    if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) throw new RangeError(`rate ${ratePerSecond}/s must be a positive number`);
    if (!(capacity >= 1)) throw new RangeError(`capacity ${capacity} must be at least 1`);
    this.tokens = Math.min(1, capacity);
  }

  /** Takes a token: 0 when one was taken, else how many ms until one will be there (nothing taken). */
  take(nowMs: number): number {
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.lastMs) * this.ratePerSecond) / 1000);
      this.lastMs = nowMs;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) * 1000) / this.ratePerSecond;
  }
}
