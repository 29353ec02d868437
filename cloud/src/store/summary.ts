import { bucketStart, nextBucketStart } from './zone.js';
import type { Aggregate, Bucket, BucketWidth } from './time-series-store.js';

/**
 * What both stores compute range queries from: per series, a time-ordered run of summaries of one
 * field — a single reading, or a rollup bucket (hour, day) — that fold into the buckets asked for.
 * Folding is the same whatever the source, so a day bucket built from a daily rollup row, from 24
 * hourly rows or from the readings themselves has the same value.
 */
export interface Summary {
  /** Time that places the summary in a target bucket: the reading's time, or the rollup bucket's start. */
  start: number;
  /** Values summarised (> 0). */
  n: number;
  sum: number;
  min: number;
  max: number;
  /** First and last value, in time order. */
  first: number;
  last: number;
  /** Sum of the positive steps between consecutive values inside the summary. */
  inc: number;
  /** Time of the last value (for `last` over several series); the summary's start when not known. */
  lastTs: number;
}

/** The summary of one reading. */
export function pointSummary(ts: number, value: number): Summary {
  return { start: ts, n: 1, sum: value, min: value, max: value, first: value, last: value, inc: 0, lastTs: ts };
}

interface Accumulator {
  n: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
  delta: number;
}

/** Folds summaries of several series into target buckets, one series at a time. */
export class BucketFolder {
  private readonly buckets = new Map<number, Accumulator>();
  private currentStart = Number.NaN;
  private currentEnd = Number.NaN;

  constructor(
    private readonly width: BucketWidth,
    private readonly timeZone: string,
  ) {}

  private bucketOf(ms: number): number {
    if (!(ms >= this.currentStart && ms < this.currentEnd)) {
      this.currentStart = bucketStart(this.width, this.timeZone, ms);
      this.currentEnd = nextBucketStart(this.width, this.timeZone, this.currentStart);
    }
    return this.currentStart;
  }

  /**
   * Adds one series: its summaries in time order, and the last value it had before them (for the
   * step into the first bucket of `sum-delta`), if any.
   */
  addSeries(summaries: Iterable<Summary>, lastBefore: number | undefined): void {
    let previous = lastBefore;
    for (const summary of summaries) {
      if (!(summary.n > 0)) continue;
      const start = this.bucketOf(summary.start);
      let bucket = this.buckets.get(start);
      if (!bucket) {
        bucket = { n: 0, sum: 0, min: Infinity, max: -Infinity, last: Number.NaN, lastTs: -Infinity, delta: 0 };
        this.buckets.set(start, bucket);
      }
      bucket.n += summary.n;
      bucket.sum += summary.sum;
      if (summary.min < bucket.min) bucket.min = summary.min;
      if (summary.max > bucket.max) bucket.max = summary.max;
      // Equal times (two series, or a summary's start standing in for its last time): the later one wins.
      if (summary.lastTs >= bucket.lastTs) {
        bucket.last = summary.last;
        bucket.lastTs = summary.lastTs;
      }
      bucket.delta += summary.inc + (previous === undefined ? 0 : Math.max(0, summary.first - previous));
      previous = summary.last;
    }
  }

  /** The non-empty buckets in time order, valued by `aggregate`. */
  result(aggregate: Aggregate): Bucket[] {
    const starts = [...this.buckets.keys()].sort((a, b) => a - b);
    return starts.map((start) => {
      const bucket = this.buckets.get(start)!;
      return { start: new Date(start).toISOString(), value: valueOf(bucket, aggregate), count: bucket.n };
    });
  }
}

function valueOf(bucket: Accumulator, aggregate: Aggregate): number {
  switch (aggregate) {
    case 'min':
      return bucket.min;
    case 'max':
      return bucket.max;
    case 'mean':
      return bucket.sum / bucket.n;
    case 'last':
      return bucket.last;
    case 'sum-delta':
      return bucket.delta;
  }
}
