import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createForwarder } from '../../../gateway/src/forward/forwarder.js';
import { startIngestEndpoint } from '../../support/ingest-endpoint.js';
import { MemoryQueue, makeTestRecords } from '../../support/memory-queue.js';

/**
 * Drain rate of a backlog: 200,000 queued records → test ingest endpoint on loopback. Prints, does
 * not assert a rate. The endpoint runs in this same process (gunzip, JSON.parse, zod validation,
 * dedup), so the figure is the whole round trip on one JS thread plus zlib's thread pool. It also
 * prints the CPU time used, which other load on the machine disturbs less than the wall-clock rate.
 * FORWARD_BENCH_MATRIX=1 also runs other batch sizes / in-flight depths.
 */
const total = Number(process.env.FORWARD_BENCH_RECORDS ?? 200_000);
const defaults = { batchSize: 5000, maxInFlight: 2 };
const matrix = process.env.FORWARD_BENCH_MATRIX
  ? [
      { batchSize: 1000, maxInFlight: 1 },
      { batchSize: 1000, maxInFlight: 2 },
      { batchSize: 5000, maxInFlight: 1 },
      { batchSize: 5000, maxInFlight: 2 },
      { batchSize: 10_000, maxInFlight: 2 },
      { batchSize: 10_000, maxInFlight: 3 },
    ]
  : [defaults];

describe('forwarder backlog drain (benchmark, prints only)', () => {
  for (const { batchSize, maxInFlight } of matrix) {
    it(`drains ${total.toLocaleString('en')} records, batchSize ${batchSize}, maxInFlight ${maxInFlight}`, async () => {
      const endpoint = await startIngestEndpoint({ token: 'bench-token', keepRecords: false });
      const queue = new MemoryQueue();
      for (let i = 0; i < total; i += 10_000) queue.append(makeTestRecords(Math.min(10_000, total - i)));
      const forwarder = createForwarder({
        queue,
        cloudUrl: endpoint.url,
        token: 'bench-token',
        gatewayId: 'gw-test',
        batchSize,
        maxInFlight,
        lingerMs: 500,
        logger: pino({ level: 'warn' }),
        onRejected: () => {},
      });
      try {
        const cpuBefore = process.cpuUsage();
        const started = process.hrtime.bigint();
        forwarder.start();
        await queue.whenEmpty();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const cpu = process.cpuUsage(cpuBefore);
        const cpuSeconds = (cpu.user + cpu.system) / 1e6;
        const wire = endpoint.requests.reduce((sum, r) => sum + r.wireBytes, 0);
        const json = endpoint.requests.reduce((sum, r) => sum + r.jsonBytes, 0);
        console.log(
          `forward drain: ${total} records in ${seconds.toFixed(2)} s = ${Math.round(total / seconds).toLocaleString('en')} records/s ` +
            `(batchSize ${batchSize}, maxInFlight ${maxInFlight}, ${endpoint.counts.requests} requests, ` +
            `CPU ${cpuSeconds.toFixed(2)} s for forwarder + endpoint = ${Math.round(total / cpuSeconds).toLocaleString('en')} records per CPU-second, ` +
            `${(json / total).toFixed(0)} B JSON → ${(wire / total).toFixed(1)} B gzip per record)`,
        );
        expect(endpoint.counts.stored).toBe(total);
        expect(endpoint.storedIds().size).toBe(total);
      } finally {
        await forwarder.stop();
        await endpoint.close();
      }
    });
  }
});
