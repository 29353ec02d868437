/**
 * Publishes a simulation to an MQTT broker (as a network server's integration would) at a steady
 * rate: a token bucket paces the messages, a bound on unacknowledged messages keeps memory flat
 * when the broker is slow or away, and the run ends by itself after `count` messages or
 * `durationS` seconds, or when `signal` aborts.
 */
import { randomBytes } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Simulator } from './simulator.js';
import { TokenBucket } from './token-bucket.js';

/** What a message needs to be published. */
export interface PublishableUplink {
  topic: string;
  payload: Buffer;
}

export interface PublishOptions {
  /**
   * Where the messages come from: a simulator (`next(clock())` for each message, endless), or
   * uplinks already made, e.g. `simulator.pastUplinks(from, to)` to replay a past week (the run
   * ends when they do).
   */
  simulator: Pick<Simulator, 'next'> | Iterable<PublishableUplink>;
  /** mqtt://host[:port] or mqtts://host[:port] */
  mqttUrl: string;
  username?: string | undefined;
  password?: string | undefined;
  clientId?: string | undefined;
  /** Messages per second. */
  ratePerSecond: number;
  /** 1 (default): each message is acknowledged by the broker (PUBACK); 0: fire and forget. */
  qos?: 0 | 1 | undefined;
  /** Stop after this many seconds of publishing. */
  durationS?: number | undefined;
  /** Stop after this many messages. With a simulator, at least one of durationS and count is required. */
  count?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Messages sent but not yet acknowledged, at most (default: a second's worth, 10 to 1000). */
  maxInFlight?: number | undefined;
  /** Simulated time given to the simulator for each message (default: the wall clock). */
  clock?: (() => number) | undefined;
  /** How long to wait for outstanding acknowledgements at the end, ms (default 10 000). */
  drainTimeoutMs?: number | undefined;
  /** Connection attempt limit, ms (default 10 000). */
  connectTimeoutMs?: number | undefined;
  /** Called for each message once the broker has it (PUBACK at QoS 1, written at QoS 0). */
  onPublished?: ((topic: string) => void) | undefined;
}

export interface PublishResult {
  /** Messages handed to the client. */
  published: number;
  /** Messages the broker acknowledged with PUBACK (QoS 1; 0 at QoS 0). */
  acknowledged: number;
  /** Messages not acknowledged (QoS 1) or not written (QoS 0) by the end, drain included. */
  failed: number;
  /** 'exhausted': the given uplinks ran out. */
  stoppedBy: 'count' | 'duration' | 'abort' | 'exhausted';
  elapsedS: number;
  /** The client's last error (refused connection, lost connection…), if any. */
  lastError?: string;
}

function checkOptions(options: PublishOptions): void {
  const { mqttUrl, ratePerSecond, durationS, count, maxInFlight, qos } = options;
  const problems: string[] = [];
  if (!/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/.test(mqttUrl)) problems.push(`mqttUrl ${mqttUrl} must be mqtt://host[:port] or mqtts://host[:port]`);
  if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) problems.push(`ratePerSecond ${ratePerSecond} must be a positive number`);
  const finite = Symbol.iterator in options.simulator; // uplinks already made end by themselves
  if (!finite && durationS === undefined && count === undefined) problems.push('give durationS or count (or both): the run must end by itself');
  if (durationS !== undefined && !(durationS > 0 && Number.isFinite(durationS))) problems.push(`durationS ${durationS} must be a positive number`);
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) problems.push(`count ${count} must be a whole number`);
  if (maxInFlight !== undefined && !(Number.isInteger(maxInFlight) && maxInFlight >= 1)) problems.push(`maxInFlight ${maxInFlight} must be at least 1`);
  if (qos !== undefined && qos !== 0 && qos !== 1) problems.push(`qos ${String(qos)} must be 0 or 1`);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
}

export async function publishSimulation(options: PublishOptions): Promise<PublishResult> {
  checkOptions(options);
  const qos = options.qos ?? 1;
  const maxInFlight = options.maxInFlight ?? Math.min(1000, Math.max(10, Math.ceil(options.ratePerSecond)));
  const clock = options.clock ?? Date.now;
  const { signal } = options;
  const source = options.simulator;
  const iterator = Symbol.iterator in source ? source[Symbol.iterator]() : undefined;
  const nextUplink = (): PublishableUplink | undefined => {
    if (!iterator) return (source as Pick<Simulator, 'next'>).next(clock());
    const step = iterator.next();
    return step.done ? undefined : step.value;
  };
  const clientOptions: IClientOptions = {
    clientId: options.clientId ?? `sensorbro-sim-${randomBytes(4).toString('hex')}`,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 1000,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  };
  // no retries for the first connection: a broker that is not there is an error, not a wait
  const client: MqttClient = await connectAsync(options.mqttUrl, clientOptions, false);
  let lastError: Error | undefined;
  client.on('error', (error) => (lastError = error)); // reconnects on its own; keep the process alive

  let published = 0;
  /** Acknowledged (QoS 1) or written (QoS 0) without error. */
  let delivered = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const settled = () => {
    wake?.();
    wake = undefined;
  };

  /** Resolves after `ms`, on the next acknowledgement, or on abort, whichever comes first. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(1000, Math.max(0, ms)));
      signal?.addEventListener('abort', done, { once: true });
      wake = done;
    });

  const started = performance.now();
  const deadline = options.durationS !== undefined ? started + options.durationS * 1000 : Infinity;
  const bucket = new TokenBucket(options.ratePerSecond, Math.max(1, Math.ceil(options.ratePerSecond / 20)), started);
  let stoppedBy: PublishResult['stoppedBy'];
  for (;;) {
    if (signal?.aborted) {
      stoppedBy = 'abort';
      break;
    }
    if (options.count !== undefined && published >= options.count) {
      stoppedBy = 'count';
      break;
    }
    const now = performance.now();
    if (now >= deadline) {
      stoppedBy = 'duration';
      break;
    }
    if (inFlight >= maxInFlight) {
      await pause(deadline - now);
      continue;
    }
    const wait = bucket.take(now);
    if (wait > 0) {
      await pause(Math.min(wait, deadline - now));
      continue;
    }
    const uplink = nextUplink();
    if (!uplink) {
      stoppedBy = 'exhausted';
      break;
    }
    inFlight++;
    published++;
    client.publish(uplink.topic, uplink.payload, { qos }, (error) => {
      inFlight--;
      if (!error) {
        delivered++;
        options.onPublished?.(uplink.topic);
      }
      settled();
    });
  }

  const drainUntil = performance.now() + (options.drainTimeoutMs ?? 10_000);
  while (inFlight > 0 && performance.now() < drainUntil) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, drainUntil - performance.now()));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  await client.endAsync(inFlight > 0);
  return {
    published,
    acknowledged: qos === 1 ? delivered : 0,
    failed: published - delivered,
    stoppedBy,
    elapsedS: (performance.now() - started) / 1000,
    ...(lastError ? { lastError: lastError.message } : {}),
  };
}
