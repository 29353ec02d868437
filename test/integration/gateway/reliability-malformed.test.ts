import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAdminToken } from '../../../gateway/src/status/admin-token.js';
import { chirpstackUpEvent, chirpstackUpTopic, type MqttMessage, publishWindowed } from '../../support/chirpstack-uplinks.js';
import { type GatewayProcess, pollUntil, probeDevice } from '../../support/gateway-process.js';
import { mosquittoMissing } from '../../support/mosquitto.js';
import { reliabilityRig } from '../../support/reliability-rig.js';

/**
 * Reliability 4: 10⁵ hostile messages through the real ingest path (Mosquitto → ChirpStack source
 * → envelope parser → registry → decoder → validation → queue / dead letters → cloud): random
 * bytes, truncated JSON, malformed envelopes, random and truncated payloads of configured devices,
 * unknown devices, payloads over the size limit, with valid uplinks among them. The gateway must
 * not crash, and every message must be accounted for: records at the cloud (told apart by their
 * receivedAt, unique per message) plus dead letters equals what was published, each dead letter
 * with a reason.
 */

const total = Number(process.env.SENSORBRO_RELIABILITY_FLOOD ?? 100_000);
const seed = Number(process.env.SENSORBRO_RELIABILITY_SEED ?? 0x5e5b0);
const maxPayloadBytes = 2048;
const baseMs = Date.parse('2026-02-01T00:00:00.000Z');

/** Configured devices, each with a payload it decodes (from the profiles' test vectors). */
const configured = [
  { deviceKey: '24e124136b530001', profile: 'milesight-em310-udl', fPort: 85, hex: '01755C03824408040001', params: { emptyDistanceMm: 2500 } },
  { deviceKey: '24e124136b530002', profile: 'milesight-em310-udl', fPort: 85, hex: '0382E803040000' },
  { deviceKey: 'a840411f61830001', profile: 'dragino-lds02', fPort: 10, hex: '8B880100002500000100' },
  { deviceKey: 'a840411f61830002', profile: 'dragino-ldds75', fPort: 2, hex: '0B45050A00000001' },
  { deviceKey: '24e124136b530003', profile: 'milesight-em500-swl', fPort: 85, hex: '01756403770200' },
  { deviceKey: '24e124136b530004', profile: 'milesight-ws301', fPort: 85, hex: '017564030001040001' },
  { deviceKey: '24e124136b530005', profile: 'milesight-em300-di', fPort: 85, hex: '01755C05C800010000' },
  { deviceKey: '70b3d5e75e530001', profile: 'elvaco-cmi4110', fPort: 2, hex: '000C06526761020C14978999000B2D0000000B3B0000000A5A33060A5E41050C782911036602FD170000' },
  { deviceKey: '70b3d5e75e530002', profile: 'axioma-qalcosonic-w1', fPort: 100, hex: '0ea0355d302935000054c0345de7290000b800b900b800b800b800b900b800b800b800b800b800b800b900b900b900' },
] as const;

/** Mulberry32: a small seeded generator, so message i is the same in every run with the same seed. */
function rng(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind =
  | 'random-bytes'
  | 'truncated-json'
  | 'random-payload'
  | 'damaged-payload'
  | 'unknown-device'
  | 'oversized'
  | 'malformed-envelope'
  | 'other-event-garbage'
  | 'valid';

/** Shares per 100 messages. */
const plan: [Kind, number][] = [
  ['random-bytes', 16],
  ['truncated-json', 12],
  ['random-payload', 20],
  ['damaged-payload', 10],
  ['unknown-device', 8],
  ['oversized', 2],
  ['malformed-envelope', 15],
  ['other-event-garbage', 4],
  ['valid', 13],
];
const kindByPercent: Kind[] = plan.flatMap(([kind, share]) => Array<Kind>(share).fill(kind));

function makeFlood(runId: string) {
  const counts = Object.fromEntries(plan.map(([kind]) => [kind, 0])) as Record<Kind, number>;

  const message = (index: number): MqttMessage => {
    const random = rng(seed ^ Math.imul(index + 1, 0x9e3779b1));
    const int = (n: number) => Math.floor(random() * n);
    const bytes = (n: number) => {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = int(256);
      return out;
    };
    const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
    const device = pick(configured);
    const unknownEui = `0000${index.toString(16).padStart(12, '0')}`;
    // Unique per message: the records of message i have receivedAt = baseMs + i ms.
    const time = new Date(baseMs + index).toISOString();
    const envelope = (devEui: string, fPort: number, payload: Uint8Array) =>
      chirpstackUpEvent({ devEui, deduplicationId: `${runId}-${index}`, time, fCnt: index, fPort, bytes: payload });
    const json = (value: unknown, devEui: string = device.deviceKey): MqttMessage => ({ topic: chirpstackUpTopic(devEui), payload: Buffer.from(JSON.stringify(value)) });
    const valid = Buffer.from(device.hex, 'hex');

    const kind = kindByPercent[index % 100]!;
    counts[kind]++;
    switch (kind) {
      case 'random-bytes':
        return { topic: chirpstackUpTopic(random() < 0.5 ? device.deviceKey : unknownEui), payload: bytes(int(300)) };
      case 'truncated-json': {
        const whole = Buffer.from(JSON.stringify(envelope(device.deviceKey, device.fPort, valid)));
        return { topic: chirpstackUpTopic(device.deviceKey), payload: whole.subarray(0, int(whole.length)) };
      }
      case 'random-payload':
        return json(envelope(device.deviceKey, random() < 0.7 ? device.fPort : 1 + int(255), bytes(int(64))));
      case 'damaged-payload': {
        const damaged = Buffer.from(valid);
        if (random() < 0.5) return json(envelope(device.deviceKey, device.fPort, damaged.subarray(0, int(damaged.length))));
        for (let flips = 1 + int(3); flips > 0; flips--) damaged[int(damaged.length)]! ^= 1 << int(8);
        return json(envelope(device.deviceKey, device.fPort, damaged));
      }
      case 'unknown-device':
        return json(envelope(unknownEui, 85, Buffer.from('01755C03824408040001', 'hex')), unknownEui);
      case 'oversized': {
        const size = maxPayloadBytes + 1 + int(2048);
        if (random() < 0.5) return { topic: chirpstackUpTopic(device.deviceKey), payload: bytes(size) };
        const padded = { ...envelope(device.deviceKey, device.fPort, valid), padding: '' };
        padded.padding = 'x'.repeat(Math.max(0, size - JSON.stringify(padded).length));
        return json(padded);
      }
      case 'other-event-garbage': {
        // Status and join topics are subscribed too: garbage there is a dead letter as well.
        const event = random() < 0.5 ? 'status' : 'join';
        const whole = Buffer.from(JSON.stringify({ time, deviceInfo: { devEui: device.deviceKey }, batteryLevel: 50 }));
        const payload = random() < 0.5 ? bytes(int(200)) : whole.subarray(0, int(whole.length));
        return { topic: `application/app-1/device/${device.deviceKey}/event/${event}`, payload };
      }
      case 'valid':
        return json(envelope(device.deviceKey, device.fPort, valid));
      case 'malformed-envelope': {
        const good = envelope(device.deviceKey, device.fPort, valid);
        const variants: (() => MqttMessage)[] = [
          () => json(pick([null, 42, 'up', [], true, [good]])),
          () => json({ ...good, deviceInfo: undefined }),
          () => json({ ...good, deviceInfo: { devEui: 'not-a-dev-eui!!' } }),
          () => json({ ...good, deviceInfo: { devEui: unknownEui } }), // topic and body disagree
          () => json({ ...good, fPort: pick(['85', -1, 256, 8.5, {}]) }),
          () => json({ ...good, data: pick(['!!!not base64!!!', 12345, ['AQ=='], 'A']) }),
          () => json({ ...good, fPort: 0 }), // data on the MAC port
          () => json({ ...good, time: pick(['yesterday', '2026-13-45T99:99:99Z', 17, '2026-02-01 00:00:00']) }),
          () => json({ ...good, fCnt: pick([-1, 2 ** 40, 'seven', 1.5]) }),
          () => json({ ...good, rxInfo: pick(['gateway', [{ rssi: 'loud' }], [{ rssi: -97.5 }], {}]) }),
          () => json({ ...good, deduplicationId: pick(['', 'x'.repeat(200), 7]) }),
          // Deep nesting and hostile keys, within the size limit.
          () => ({ topic: chirpstackUpTopic(device.deviceKey), payload: Buffer.from(`${'['.repeat(900)}${']'.repeat(900)}`) }),
          () => ({ topic: chirpstackUpTopic(device.deviceKey), payload: Buffer.from(`{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"deviceInfo":"${device.deviceKey}"}`) }),
          // Invalid UTF-8 inside an otherwise valid envelope.
          () => {
            const text = Buffer.from(JSON.stringify({ ...good, deduplicationId: `${runId}-${index}-@` }));
            text[text.indexOf(0x40)] = 0xff;
            return { topic: chirpstackUpTopic(device.deviceKey), payload: text };
          },
          // A topic of the subscribed shape whose device segment is no DevEUI.
          () => ({ topic: chirpstackUpTopic('..'), payload: Buffer.from(JSON.stringify(good)) }),
        ];
        return pick(variants)();
      }
    }
  };
  return { message, counts };
}

interface DeadLetterEntry {
  id: number;
  code: string;
  reason: string;
  repeats: number;
  deviceKey?: string;
  raw: { source: string; address: string; payload: string };
}

describe.skipIf(mosquittoMissing !== '')(`10⁵ hostile messages through the real ingest path${mosquittoMissing}`, () => {
  const rig = reliabilityRig({
    name: 'flood',
    devices: configured.map(({ deviceKey, profile, ...rest }) => ({ deviceKey, profile, ...('params' in rest ? { params: rest.params } : {}) })),
    config: { batchSize: 1000, lingerMs: 50, deadLetterMax: Math.max(200_000, total * 2), maxPayloadBytes },
  });

  it('takes them all without crashing: records plus dead letters account for every message, each dead letter with a reason', async () => {
    const { broker, cloud, gateway } = rig;
    const began = Date.now();
    const flood = makeFlood(`flood-${process.pid}-${began}`);
    const run = publishWindowed(rig.publisher, total, flood.message, { window: 1000 });
    await run.done;
    const publishedS = (Date.now() - began) / 1000;
    expect(run.failedCount).toBe(0);

    // The probes of waitUntilSubscribed are dead letters of probeDevice; the flood never uses it.
    const probes = (status: Awaited<ReturnType<GatewayProcess['status']>>) => status.deadLetters.byDevice[probeDevice] ?? 0;
    let last = await gateway.status();
    const finished = await pollUntil(
      async () => {
        if (!gateway.alive()) return true;
        last = await gateway.status();
        return last.pipeline.uplinks - probes(last) >= total && last.queue.depth === 0;
      },
      240_000,
      250,
    );
    const ingestedS = (Date.now() - began) / 1000;
    expect(gateway.alive(), `the gateway process died:\n${gateway.output().slice(-4000)}`).toBe(true);
    // Settled: every record the pipeline queued (sensors' and heartbeats) is at the cloud.
    await pollUntil(async () => {
      const now = await gateway.status();
      return now.queue.depth === 0 && now.pipeline.records === cloud.counts.stored;
    }, 10_000, 100);
    const status = await gateway.status();
    // Connections of the gateway's MQTT client in the broker log: one, unless it was dropped.
    const upstreamConnections = broker.log().split('\n').filter((line) => line.includes(` as ${rig.clientId} `)).length;
    const probeLetters = probes(status);

    // Records at the cloud, by the message they came from (receivedAt = baseMs + index).
    const messagesWithRecords = new Set<number>();
    let floodRecords = 0;
    let otherRecords = 0;
    for (const record of cloud.stored()) {
      const index = Date.parse(record.receivedAt) - baseMs;
      if (record.standard === 'gateway-heartbeat/1' || !(Number.isInteger(index) && index >= 0 && index < total)) {
        otherRecords++;
        continue;
      }
      floodRecords++;
      messagesWithRecords.add(index);
    }

    // Every dead letter, paged through the admin API.
    const token = readAdminToken(rig.storageDir);
    const codes = new Map<string, number>();
    const reasons = new Map<string, number>();
    const withoutReason: DeadLetterEntry[] = [];
    let listed = 0;
    let afterId = 0;
    for (;;) {
      const response = await fetch(`${gateway.statusUrl}/api/dead-letters?limit=1000&afterId=${afterId}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as DeadLetterEntry[];
      if (page.length === 0) break;
      for (const entry of page) {
        listed += 1 + entry.repeats;
        afterId = entry.id;
        if (typeof entry.reason !== 'string' || entry.reason.trim() === '' || typeof entry.code !== 'string' || entry.code === '') withoutReason.push(entry);
        codes.set(entry.code, (codes.get(entry.code) ?? 0) + 1);
        const shape = `${entry.code}: ${String(entry.reason).replace(/[0-9a-f]{16}/g, '<eui>').replace(/\d+/g, 'N').slice(0, 90)}`;
        reasons.set(shape, (reasons.get(shape) ?? 0) + 1);
      }
    }
    // A message with the same topic and bytes as an earlier one is counted on that entry (repeats).
    const floodDeadLetters = status.deadLetters.total + status.deadLetters.repeats - probeLetters;
    const rss = (() => {
      try {
        return /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'))?.[1];
      } catch {
        return undefined;
      }
    })();
    const summary = {
      published: total,
      seed,
      kinds: flood.counts,
      acknowledgedByBroker: run.ackedCount,
      finished,
      upstreamConnections,
      pipeline: status.pipeline,
      probes: probeLetters,
      messagesWithRecords: messagesWithRecords.size,
      floodRecords,
      otherRecords,
      deadLetters: floodDeadLetters,
      accountedFor: messagesWithRecords.size + floodDeadLetters,
      deadLettersDropped: status.deadLetters.dropped,
      deadLettersListed: listed,
      codes: Object.fromEntries(codes),
      cloud: { stored: cloud.counts.stored, duplicates: cloud.counts.duplicates, rejected: cloud.counts.rejected },
      queue: { depth: status.queue.depth, droppedAtQuota: status.queue.droppedAtQuota },
      gatewayPeakRssMiB: rss ? Math.round(Number(rss) / 1024) : undefined,
      publishedS,
      ingestedS,
      seconds: (Date.now() - began) / 1000,
    };
    console.log(`[reliability-malformed] ${JSON.stringify(summary)}`);
    console.log(
      `[reliability-malformed] dead-letter reasons:\n${[...reasons]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 40)
        .map(([shape, count]) => `  ${String(count).padStart(6)}  ${shape}`)
        .join('\n')}`,
    );

    expect(finished).toBe(true);
    // No reconnect: a dropped connection makes the broker redeliver the message in progress, which
    // then counts twice (and, undecodable, leaves a second dead letter). See reliability-keepalive.
    expect(upstreamConnections, `the gateway's upstream connection was dropped; its log:\n${gateway.output().slice(-2000)}`).toBe(1);
    // Each message taken once (no reconnects here, so no redeliveries), and each accounted for.
    expect(status.pipeline.uplinks - probeLetters).toBe(total);
    expect(messagesWithRecords.size + floodDeadLetters).toBe(total);
    expect(status.pipeline.deadLetters).toBe(status.deadLetters.total + status.deadLetters.repeats);
    expect(status.pipeline.records).toBe(floodRecords + otherRecords);
    expect(status.deadLetters.dropped).toBe(0);
    expect(listed).toBe(status.deadLetters.total + status.deadLetters.repeats);
    expect(withoutReason.slice(0, 5)).toEqual([]);
    expect(cloud.counts.rejected).toBe(0);
    expect(status.queue).toMatchObject({ depth: 0, droppedAtQuota: 0 });
    // The valid ones made records, and the hostile ones did not all vanish into one bucket.
    expect(messagesWithRecords.size).toBeGreaterThanOrEqual(flood.counts.valid);
    expect(codes.get('unknown-device') ?? 0).toBeGreaterThanOrEqual(flood.counts['unknown-device']);
  }, 300_000);
});
