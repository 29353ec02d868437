import type { IngestSource } from '../core/uplink.js';
import type { BrokerSourceOptions } from '../ingest/broker/source.js';

/**
 * The embedded MQTT broker's source with its modules (aedes and friends, ~3 MB of a gateway's
 * memory) loaded when it starts, so a gateway that has no broker configured never loads them.
 */
export function lazyBrokerSource(options: BrokerSourceOptions): IngestSource {
  let source: IngestSource | undefined;
  return {
    name: options.name ?? 'mqtt-broker',
    async start(sink) {
      const { brokerSource } = await import('../ingest/broker/source.js');
      source ??= brokerSource(options);
      await source.start(sink);
    },
    async stop() {
      await source?.stop();
    },
    state() {
      return source?.state() ?? { connected: false, detail: 'not started' };
    },
  };
}
