import { chirpstackTopics, parseChirpstackEvent } from '../../../../firmware-profiles/src/index.js';
import { MqttUpstreamSource, type UpstreamOptions } from '../mqtt-upstream.js';

/** ChirpStack v4 MQTT integration (JSON encoding): up, status and join events of one application or all (`+`). */
export function chirpstackSource(options: UpstreamOptions & { applicationId?: string }): MqttUpstreamSource {
  return new MqttUpstreamSource({ source: 'chirpstack', topics: chirpstackTopics(options.applicationId), parse: parseChirpstackEvent }, options);
}
