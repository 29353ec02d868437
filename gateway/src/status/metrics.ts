import { Counter, Gauge, Registry } from 'prom-client';
import type { GatewayStatus } from './snapshot.js';

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

  return {
    contentType: registry.contentType,
    async render() {
      current = snapshot();
      const now = Date.now();
      sourceUp.reset();
      for (const source of current.sources) sourceUp.set({ source: source.name }, source.connected ? 1 : 0);
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
