import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { LoadedProfiles } from '../../../firmware-profiles/src/index.js';
import { parseYaml } from './parse-yaml.js';
import { type GatewayConfig, gatewayConfig, type Secret } from './schema.js';

export interface ConfigProblem {
  /** Path in the file, e.g. devices[3].profile */
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: GatewayConfig; secrets: SecretResolver } | { ok: false; problems: ConfigProblem[] };

/** Reads a secret where the config says it is; the value never goes into logs or errors. */
export type SecretResolver = (secret: Secret) => string;

const maxConfigBytes = 8 * 1024 * 1024;

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

function parseText(text: string, json: boolean): { value?: unknown; problems: ConfigProblem[] } {
  if (json) {
    try {
      return { value: JSON.parse(text), problems: [] };
    } catch (error) {
      return { problems: [{ path: '(file)', message: `not valid JSON: ${(error as Error).message}` }] };
    }
  }
  const parsed = parseYaml(text);
  if (!parsed.ok) return { problems: parsed.errors.map((message) => ({ path: '(file)', message: `not valid YAML: ${message.split('\n')[0]}` })) };
  return { value: parsed.value, problems: [] };
}

function secretReader(baseDir: string, env: NodeJS.ProcessEnv): (secret: Secret) => { value?: string; problem?: string } {
  return (secret) => {
    if (typeof secret === 'string') return { value: secret };
    if ('env' in secret) {
      const value = env[secret.env];
      return value ? { value } : { problem: `environment variable ${secret.env} is not set` };
    }
    try {
      const value = readFileSync(resolve(baseDir, secret.file), 'utf8').trim();
      return value ? { value } : { problem: `secret file ${secret.file} is empty` };
    } catch (error) {
      return { problem: `cannot read secret file ${secret.file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
    }
  };
}

/**
 * Loads and checks a gateway configuration: the file's shape, then what only the whole can tell
 * (unique devices, known profiles, valid device parameters, readable secrets). Every problem is
 * reported with its path in the file.
 */
export function loadGatewayConfig(file: string, profiles: LoadedProfiles, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > maxConfigBytes) return { ok: false, problems: [{ path: '(file)', message: `is ${size} bytes; the limit is ${maxConfigBytes}` }] };
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '(file)', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }] };
  }
  const parsed = parseText(text, extname(file) === '.json');
  if (parsed.problems.length > 0) return { ok: false, problems: parsed.problems };
  const result = gatewayConfig.safeParse(parsed.value ?? {});
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((issue) => ({ path: formatPath(issue.path) || '(file)', message: issue.message })) };
  }
  const config = result.data;
  const readSecret = secretReader(dirname(resolve(file)), env);
  const problems = [...checkSources(config), ...checkDevices(config, profiles), ...checkSecrets(config, readSecret), ...checkTls(config, readSecret)];
  if (problems.length > 0) return { ok: false, problems };
  const secrets: SecretResolver = (secret) => {
    const read = readSecret(secret);
    if (read.value === undefined) throw new Error(read.problem);
    return read.value;
  };
  return { ok: true, config, secrets };
}

/** The embedded brokers: someone must be able to log in, no two on one port, no pattern twice. */
function checkSources(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const hasLogins = config.devices.some((device) => device.mqtt !== undefined);
  const listeners: { host: string; port: number; index: number }[] = [];
  const anyHost = (host: string) => host === '0.0.0.0' || host === '::';
  config.sources.forEach((source, index) => {
    if (source.type !== 'mqtt-broker') return;
    const path = `sources[${index}]`;
    if (!hasLogins) {
      problems.push({ path, message: 'no device has MQTT credentials (devices[].mqtt): the broker would refuse every login' });
    }
    const clash = listeners.find((other) => other.port === source.port && (other.host === source.host || anyHost(other.host) || anyHost(source.host)));
    if (clash) problems.push({ path: `${path}.port`, message: `${source.port} is already used by sources[${clash.index}]` });
    listeners.push({ host: source.host, port: source.port, index });
    const patterns = new Map<string, number>();
    source.topics.forEach((topic, topicIndex) => {
      const first = patterns.get(topic.pattern);
      if (first !== undefined) problems.push({ path: `${path}.topics[${topicIndex}].pattern`, message: `is the same as topics[${first}]` });
      else patterns.set(topic.pattern, topicIndex);
    });
  });
  return problems;
}

function checkDevices(config: GatewayConfig, profiles: LoadedProfiles): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  const hasBroker = config.sources.some((source) => source.type === 'mqtt-broker');
  const usernames = new Map<string, number>();
  config.devices.forEach((device, index) => {
    const path = `devices[${index}]`;
    const first = seen.get(device.deviceKey);
    if (first !== undefined) problems.push({ path: `${path}.deviceKey`, message: `${device.deviceKey} is already configured at devices[${first}]` });
    else seen.set(device.deviceKey, index);
    const profile = profiles.profiles.get(device.profile);
    if (!profile) {
      const known = [...profiles.profiles.keys()].join(', ');
      problems.push({ path: `${path}.profile`, message: `unknown profile "${device.profile}" (known: ${known})` });
    } else {
      const params = profile.prepareParams(device.params);
      if (!params.ok) problems.push({ path: `${path}.params`, message: params.reason });
    }
    if (device.mqtt) {
      if (!hasBroker) problems.push({ path: `${path}.mqtt`, message: 'MQTT credentials, but no mqtt-broker source is configured' });
      const clash = usernames.get(device.mqtt.username);
      if (clash !== undefined) problems.push({ path: `${path}.mqtt.username`, message: `is already used by devices[${clash}]` });
      else usernames.set(device.mqtt.username, index);
    }
  });
  return problems;
}

function checkSecrets(config: GatewayConfig, readSecret: ReturnType<typeof secretReader>): ConfigProblem[] {
  const places: [string, Secret | undefined][] = [
    ['cloud.token', config.cloud.token],
    ['status.token', config.status.token],
    ...config.sources.map((source, index): [string, Secret | undefined] => [`sources[${index}].password`, 'password' in source ? source.password : undefined]),
    ...config.devices.map((device, index): [string, Secret | undefined] => [`devices[${index}].mqtt.password`, device.mqtt?.password]),
  ];
  return places.flatMap(([path, secret]) => {
    if (secret === undefined) return [];
    const read = readSecret(secret);
    return read.problem ? [{ path, message: read.problem }] : [];
  });
}

/** The embedded brokers' TLS files: readable, PEM, and a certificate with its own private key. */
function checkTls(config: GatewayConfig, readSecret: ReturnType<typeof secretReader>): ConfigProblem[] {
  return config.sources.flatMap((source, index): ConfigProblem[] => {
    if (source.type !== 'mqtt-broker' || !source.tls) return [];
    const path = `sources[${index}].tls`;
    const problems: ConfigProblem[] = [];
    const pem = (field: 'certFile' | 'keyFile', header: RegExp, what: string) => {
      const read = readSecret({ file: source.tls![field] });
      if (read.problem) problems.push({ path: `${path}.${field}`, message: read.problem });
      else if (!header.test(read.value!)) problems.push({ path: `${path}.${field}`, message: `${source.tls![field]} holds no PEM ${what}` });
      else return read.value;
      return undefined;
    };
    const cert = pem('certFile', /-----BEGIN CERTIFICATE-----/, 'certificate');
    const key = pem('keyFile', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key');
    if (cert === undefined || key === undefined) return problems;
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      // e.g. "key values mismatch": OpenSSL's reason, without the key's contents
      problems.push({ path, message: `the certificate and key cannot be used together: ${(error as Error).message}` });
    }
    return problems;
  });
}
