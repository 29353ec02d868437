import { readdirSync, readFileSync } from 'node:fs';
import type { IngestEndpoint } from '../../support/ingest-endpoint.js';

/** Figures of the gateway benchmark: statistics, /proc readings of other processes, record arrivals. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0–100) of unsorted values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const clockTicks = 100; // USER_HZ on Linux

/** CPU time (user + system) a process used so far, s; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime (fields 14, 15)
  } catch {
    return Number.NaN;
  }
}

/** VmRSS and VmHWM (peak RSS) of a process, bytes. */
export function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** The pid of the process whose command line contains `needle` (e.g. the Mosquitto started with our config file). */
export function findPid(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** The millisecond timestamp of a UUIDv7 (its first 48 bits). */
export function uuidV7Ms(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * Records as the ingest endpoint answers for them. The endpoint's per-record outcome hook
 * (`dropOutcomes`, always answering "keep the outcome") is called for each record of a request
 * right after the endpoint validated and stored it, just before it answers: the moment the record
 * is acknowledged. Its id is a UUIDv7 whose time part is the network-server time of the uplink,
 * which the simulator stamps with the wall clock when the message is published: so every record
 * carries its publish time through either system, with no side channel. Latency = answer time −
 * publish time, per record, with ms resolution; each id counts once.
 */
export class Arrivals {
  private active = false;
  private seen = new Set<string>();
  private latencies: number[] = [];
  count = 0;
  firstPublishMs = Number.POSITIVE_INFINITY;
  lastArrivalMs = 0;
  firstArrivalMs = 0;

  constructor(endpoint: IngestEndpoint) {
    endpoint.dropOutcomes((id) => {
      if (this.active) this.note(id);
      return false;
    });
  }

  private note(id: string): void {
    if (id === '' || this.seen.has(id)) return;
    this.seen.add(id);
    const now = Date.now();
    const published = uuidV7Ms(id);
    this.latencies.push(now - published);
    if (published < this.firstPublishMs) this.firstPublishMs = published;
    if (this.count === 0) this.firstArrivalMs = now;
    this.lastArrivalMs = now;
    this.count++;
  }

  /** Forgets what came before; counts from now on. */
  start(): void {
    this.seen = new Set();
    this.latencies = [];
    this.count = 0;
    this.firstPublishMs = Number.POSITIVE_INFINITY;
    this.lastArrivalMs = 0;
    this.firstArrivalMs = 0;
    this.active = true;
  }

  stop(): void {
    this.active = false;
  }

  latency(p: number): number {
    return percentile(this.latencies, p);
  }

  /**
   * Resolves once `count` records arrived, or none arrived for `stallMs` (lost ones never come),
   * or after `maxMs`: true when all came.
   */
  async waitFor(count: number, stallMs: number, maxMs: number): Promise<boolean> {
    const deadline = Date.now() + maxMs;
    let lastCount = this.count;
    let lastChange = Date.now();
    while (this.count < count) {
      const now = Date.now();
      if (this.count !== lastCount) {
        lastCount = this.count;
        lastChange = now;
      }
      if (now - lastChange > stallMs || now > deadline) return false;
      await sleep(20);
    }
    return true;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const mib = (bytes: number) => bytes / 1024 / 1024;
/** Whole number with thin grouping, as the decode benchmark prints. */
export const fmt = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US').replace(/,/g, ' ') : 'n/a');
