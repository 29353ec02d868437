import { parseTtsUp, ttsTopics } from '../../../../firmware-profiles/src/index.js';
import { MqttUpstreamSource, type UpstreamOptions } from '../mqtt-upstream.js';

/** The Things Stack v3 MQTT server: uplinks of one application (`app@tenant` when `tenant` is given). */
export function ttsSource(options: UpstreamOptions & { applicationId: string; tenant?: string }): MqttUpstreamSource {
  return new MqttUpstreamSource({ source: 'tts', topics: ttsTopics(options.applicationId, options.tenant), parse: parseTtsUp }, options);
}
