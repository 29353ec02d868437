/** How failed logins from one remote address slow down further attempts. */
export interface LoginThrottleOptions {
  /** Failed logins in a row before the address is blocked (default 5). */
  maxFailures?: number;
  /** First block; doubles each time the address fails again right after one (default 1 s). */
  initialBlockMs?: number;
  /** Longest block; an address quiet for this long (after its block) starts afresh (default 5 min). */
  maxBlockMs?: number;
  /** Addresses remembered at most; the least recently failing is forgotten first (default 10,000). */
  maxAddresses?: number;
}

interface Entry {
  failures: number;
  lastFailureMs: number;
  blockMs: number;
  blockedUntilMs: number;
}

/**
 * Back-off for repeated failed logins per remote address: after `maxFailures` failures the address
 * is refused without its password being checked, for a period that doubles (up to `maxBlockMs`)
 * while the failures go on. A successful login does not clear the record, so valid credentials
 * cannot be used to reset the count between guesses; records expire after `maxBlockMs` of quiet
 * after the last failure or block.
 */
export class LoginThrottle {
  private readonly maxFailures: number;
  private readonly initialBlockMs: number;
  private readonly maxBlockMs: number;
  private readonly maxAddresses: number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: LoginThrottleOptions = {}) {
    this.maxFailures = Math.max(1, options.maxFailures ?? 5);
    this.initialBlockMs = Math.max(1, options.initialBlockMs ?? 1000);
    this.maxBlockMs = Math.max(this.initialBlockMs, options.maxBlockMs ?? 5 * 60_000);
    this.maxAddresses = Math.max(1, options.maxAddresses ?? 10_000);
  }

  /** Milliseconds the address stays blocked; 0 when it may try. */
  blockedFor(address: string, nowMs: number): number {
    const entry = this.entries.get(address);
    return entry ? Math.max(0, entry.blockedUntilMs - nowMs) : 0;
  }

  /** Counts a failed login; true when the address is blocked from now on. */
  fail(address: string, nowMs: number): boolean {
    let entry = this.entries.get(address);
    if (entry && nowMs - Math.max(entry.lastFailureMs, entry.blockedUntilMs) > this.maxBlockMs) entry = undefined;
    entry ??= { failures: 0, lastFailureMs: nowMs, blockMs: 0, blockedUntilMs: 0 };
    entry.failures++;
    entry.lastFailureMs = nowMs;
    let blocked = false;
    if (entry.failures >= this.maxFailures) {
      entry.blockMs = entry.blockMs === 0 ? this.initialBlockMs : Math.min(this.maxBlockMs, entry.blockMs * 2);
      entry.blockedUntilMs = nowMs + entry.blockMs;
      entry.failures = 0;
      blocked = true;
    }
    // Re-inserted so the map's order is least recently failing first.
    this.entries.delete(address);
    this.entries.set(address, entry);
    while (this.entries.size > this.maxAddresses) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return blocked;
  }

  /** Addresses currently remembered (for tests and the status page). */
  get size(): number {
    return this.entries.size;
  }
}
