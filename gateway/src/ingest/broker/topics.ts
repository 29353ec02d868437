/** One topic pattern of the embedded broker, as the configuration gives it. */
export interface BrokerTopic {
  /** e.g. `sensors/{deviceKey}/up`; no MQTT wildcards. */
  pattern: string;
  format: 'json' | 'binary';
  /** fPort given to binary payloads (default 1). */
  fPort?: number;
}

export interface TopicMatch {
  /** As the configuration spells device keys: a DevEUI (16 hex digits) in lower case. */
  deviceKey: string;
  topic: BrokerTopic;
}

/** Finds the pattern a topic matches and the device key in it; undefined when none does. */
export type TopicMatcher = (topic: string) => TopicMatch | undefined;

const placeholder = '{deviceKey}';
/** What a configured device key may be (gateway/src/config/schema.ts, deviceConfig.deviceKey). */
const deviceKeyShape = /^[A-Za-z0-9._:-]{1,128}$/;
const eui64 = /^[0-9A-Fa-f]{16}$/;

/** The configuration's spelling of a device key: DevEUIs in lower case, anything else as it is. */
export function normaliseDeviceKey(key: string): string {
  return eui64.test(key) ? key.toLowerCase() : key;
}

/** Throws when a pattern is unusable (the configuration schema refuses the same). */
export function compileTopics(topics: readonly BrokerTopic[]): TopicMatcher {
  if (topics.length === 0) throw new Error('the broker needs at least one topic pattern');
  const compiled = topics.map((topic) => ({ topic, regex: patternRegex(topic.pattern) }));
  return (name) => {
    for (const { topic, regex } of compiled) {
      const key = regex.exec(name)?.[1];
      if (key !== undefined && deviceKeyShape.test(key)) return { deviceKey: normaliseDeviceKey(key), topic };
    }
    return undefined;
  };
}

function patternRegex(pattern: string): RegExp {
  if (!pattern.includes(placeholder)) throw new Error(`topic pattern "${pattern}" has no ${placeholder}`);
  if (/[#+]/.test(pattern)) throw new Error(`topic pattern "${pattern}" has an MQTT wildcard`);
  if (pattern.startsWith('$')) throw new Error(`topic pattern "${pattern}" starts with $ (reserved for the broker)`);
  const literal = pattern.split(placeholder).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  // The first {deviceKey} captures one topic level (or part of one); any later one must repeat it.
  const source = literal.map((part, index) => (index === 0 ? part : `${index === 1 ? '([^/]+)' : '\\1'}${part}`)).join('');
  return new RegExp(`^${source}$`);
}
