import { Counter, Gauge, Registry } from 'prom-client';
import type { GatewayStatus } from './snapshot.js';
import { describeCounters, words } from './source-counters.js';

export interface GatewayMetrics {
  contentType: string;
  /** Takes one status snapshot and renders every metric from it. */
  render(): Promise<string>;
}

/**
 * Prometheus metrics, filled from the status snapshot at scrape time. Counters follow the
 * snapshot's running totals (increased by the difference since the last scrape).
 */
export function createMetrics(snapshot: () => GatewayStatus): GatewayMetrics {
  const registry = new Registry();
  let current: GatewayStatus = snapshot();
  const read = () => current;
  const gauge = (name: string, help: string, value: (s: GatewayStatus) => number, labels: string[] = []) =>
    new Gauge({ name, help, labelNames: labels, registers: [registry], collect() { this.set(value(read())); } });
  const counter = (name: string, help: string, total: (s: GatewayStatus) => number) => {
    let seen = 0;
    return new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = total(read());
        if (now > seen) this.inc(now - seen);
        seen = Math.max(seen, now);
      },
    });
  };

  gauge('sensorbro_queue_depth', 'Records waiting to be delivered to the cloud', (s) => s.queue.depth);
  gauge('sensorbro_queue_oldest_age_seconds', 'Age of the oldest queued record', (s) => s.queue.oldestAgeS ?? 0);
  gauge('sensorbro_queue_bytes', 'Bytes of queued records', (s) => s.queue.bytes);
  gauge('sensorbro_queue_quota_bytes', 'Disk quota of the queue', (s) => s.queue.quotaBytes);
  counter('sensorbro_queue_dropped_total', 'Records dropped because the queue quota was reached', (s) => s.queue.droppedAtQuota);
  gauge('sensorbro_cloud_up', '1 when the last delivery to the cloud succeeded', (s) => (s.cloud.consecutiveFailures === 0 && s.cloud.lastSuccessAt ? 1 : 0));
  gauge('sensorbro_cloud_consecutive_failures', 'Failed deliveries since the last success', (s) => s.cloud.consecutiveFailures);
  counter('sensorbro_records_sent_total', 'Records the cloud acknowledged', (s) => s.cloud.sentRecords);
  counter('sensorbro_records_rejected_total', 'Records the cloud rejected (kept as dead letters)', (s) => s.cloud.rejectedRecords);
  counter('sensorbro_uplinks_total', 'Uplinks received from all sources', (s) => s.pipeline.uplinks);
  counter('sensorbro_records_decoded_total', 'Records decoded and queued', (s) => s.pipeline.records);
  counter('sensorbro_dead_letters_total', 'Messages kept as dead letters', (s) => s.pipeline.deadLetters);
  gauge('sensorbro_dead_letters_stored', 'Dead letters in the store', (s) => s.deadLetters.total);
  const sourceUp = new Gauge({ name: 'sensorbro_source_up', help: '1 when an ingest source is connected', labelNames: ['source'], registers: [registry] });
  const deviceErrors = new Gauge({ name: 'sensorbro_device_decode_errors', help: 'Decode errors per device', labelNames: ['device'], registers: [registry] });
  const deviceAge = new Gauge({ name: 'sensorbro_device_last_seen_age_seconds', help: 'Seconds since each device was last heard', labelNames: ['device'], registers: [registry] });
  const followSourceCounters = sourceCounters(registry);

  return {
    contentType: registry.contentType,
    async render() {
      current = snapshot();
      const now = Date.now();
      sourceUp.reset();
      for (const source of current.sources) sourceUp.set({ source: source.name }, source.connected ? 1 : 0);
      followSourceCounters(current.sources);
      deviceErrors.reset();
      deviceAge.reset();
      for (const device of current.devices) {
        deviceErrors.set({ device: device.deviceKey }, device.decodeErrors);
        if (device.lastSeenAt) deviceAge.set({ device: device.deviceKey }, Math.round((now - Date.parse(device.lastSeenAt)) / 1000));
      }
      return registry.metrics();
    },
  };
}

/**
 * Each source's own counters as `sensorbro_source_<counter>_total{source="…"}` (e.g.
 * `sensorbro_source_logins_refused_total`), registered when a source first reports them. Every
 * counter a source keeps has a series, 0 included, so alerts on an increase work from the start.
 */
function sourceCounters(registry: Registry): (sources: GatewayStatus['sources']) => void {
  const metrics = new Map<string, Counter<'source'>>();
  const seen = new Map<string, number>();
  return (sources) => {
    for (const source of sources) {
      if (!source.counters) continue;
      for (const counter of describeCounters(source.counters)) {
        if (!Number.isFinite(counter.value) || counter.value < 0) continue;
        const name = `sensorbro_source_${words(counter.name).replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}_total`;
        let metric = metrics.get(name);
        if (!metric) {
          metric = new Counter({ name, help: counter.help, labelNames: ['source'], registers: [registry] });
          metrics.set(name, metric);
        }
        const key = `${name}\0${source.name}`;
        const before = seen.get(key) ?? 0;
        // Below the last scrape: the source was made anew (configuration reload) and counts from 0
        // again. (A new source that counted past the old value before the scrape is under-counted.)
        metric.inc({ source: source.name }, counter.value >= before ? counter.value - before : counter.value);
        seen.set(key, counter.value);
      }
    }
  };
}
