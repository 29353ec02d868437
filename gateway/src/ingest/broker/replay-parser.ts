import type { EnvelopeParser } from '../../../../firmware-profiles/src/index.js';
import { readPayload } from './payload.js';
import { type BrokerTopic, compileTopics } from './topics.js';

/**
 * Reads a dead letter of the embedded broker (topic + payload) again, the way it was read when it
 * arrived, for replayDeadLetters (gateway/src/pipeline/replay.ts, `parsers.mqtt`). The uplink's
 * receivedAt is the time of the replay: the dead letter keeps no broker time. A payload cut to the
 * size limit stays refused.
 */
export function brokerEnvelopeParser(topics: readonly BrokerTopic[], now: () => Date = () => new Date()): EnvelopeParser {
  const match = compileTopics(topics);
  return (topic, payload, maxBytes) => {
    const found = match(topic);
    if (!found) return { ok: false, reason: 'topic matches no configured pattern of the broker' };
    const result = readPayload(found, payload, maxBytes, now().toISOString());
    return result.ok ? { ok: true, kind: 'uplink', uplink: result.uplink } : { ok: false, reason: result.reason, deviceKey: found.deviceKey };
  };
}
