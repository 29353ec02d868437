import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledProfile, flattenObservation, loadProfiles, type Observation } from '../../../firmware-profiles/src/index.js';
import { gatewayConfig } from '../../../gateway/src/config/schema.js';
import { simulatedProfileIds } from '../../../gateway/src/simulator/encoders/index.js';
import { createSimulator, type SimulatedUplink, type SimulatorOptions } from '../../../gateway/src/simulator/simulator.js';

const DAY = 86_400_000;
const start = Date.parse('2025-02-03T00:00:00Z');
const allProfiles = Object.fromEntries(simulatedProfileIds.map((id) => [id, 3])) as SimulatorOptions['devices'];
const options = (overrides: Partial<SimulatorOptions> = {}): SimulatorOptions => ({
  seed: 'test',
  devices: allProfiles,
  networkServer: 'chirpstack',
  applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
  startTime: start,
  ...overrides,
});

let profiles: Map<string, CompiledProfile>;
beforeAll(async () => {
  const loaded = await loadProfiles();
  expect(loaded.errors.map((error) => error.message)).toEqual([]);
  profiles = loaded.profiles;
});
afterAll(() => {
  for (const profile of profiles?.values() ?? []) profile.dispose();
});

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** fPort and bytes as the envelope carries them (ChirpStack or TTS JSON). */
function carried(uplink: SimulatedUplink): { fPort: number; bytes: Buffer; fCnt: number } {
  const json = JSON.parse(uplink.payload.toString('utf8'));
  if (json.deviceInfo) return { fPort: json.fPort, bytes: Buffer.from(json.data, 'base64'), fCnt: json.fCnt ?? 0 };
  const m = json.uplink_message;
  return { fPort: m.f_port, bytes: Buffer.from(m.frm_payload, 'base64'), fCnt: m.f_cnt ?? 0 };
}

describe('simulator devices', () => {
  it('lists every device with a stable DevEUI, an asset and the parameters its profile needs', () => {
    const simulator = createSimulator(options());
    const devices = simulator.devices();
    expect(devices).toHaveLength(24);
    for (const id of simulatedProfileIds) expect(devices.filter((d) => d.profile === id)).toHaveLength(3);
    expect(new Set(devices.map((d) => d.deviceKey)).size).toBe(24);
    expect(new Set(devices.map((d) => d.assetId)).size).toBe(24);
    for (const device of devices) {
      expect(device.deviceKey).toMatch(/^[0-9a-f]{16}$/);
      expect(parseInt(device.deviceKey.slice(0, 2), 16) & 0x03).toBe(0x02); // locally administered, unicast
      const prepared = profiles.get(device.profile)!.prepareParams(device.params);
      expect(prepared.ok, JSON.stringify(prepared)).toBe(true);
    }
    for (const fill of devices.filter((d) => d.profile === 'milesight-em310-udl' || d.profile === 'dragino-ldds75')) {
      const { emptyDistanceMm, fullDistanceMm } = fill.params as { emptyDistanceMm: number; fullDistanceMm: number };
      expect(emptyDistanceMm).toBeGreaterThan(fullDistanceMm + 500);
      if (fill.profile === 'dragino-ldds75') expect(fullDistanceMm).toBeGreaterThan(280); // outside the blind zone
    }
    for (const logger of devices.filter((d) => d.profile === 'milesight-em500-swl')) expect(typeof logger.params.referenceLevelM).toBe('number');
    // a gateway configuration can take the list as it is
    expect(gatewayConfig.shape.devices.parse(devices)).toHaveLength(24);
  });

  it('refuses unknown profiles and bad counts', () => {
    expect(() => createSimulator(options({ devices: { 'acme-thing': 1 } as never }))).toThrow(/unknown profile acme-thing/);
    expect(() => createSimulator(options({ devices: { 'milesight-ws301': -1 } }))).toThrow(RangeError);
    expect(() => createSimulator(options({ applicationId: 'a/b' }))).toThrow(/applicationId/);
    expect(() => createSimulator(options({ devices: {} })).next(start)).toThrow(/no devices/);
  });
});

describe('simulator determinism', () => {
  const run = (o: SimulatorOptions) => {
    const simulator = createSimulator(o);
    const out: string[] = [];
    for (let i = 0; i < 200; i++) {
      const uplink = simulator.next(start + i * 10_000);
      out.push(`${uplink.topic} ${uplink.payload.toString('base64')}`);
    }
    for (const uplink of simulator.pastUplinks(start + DAY, start + 2 * DAY)) out.push(`${uplink.topic} ${uplink.payload.toString('base64')}`);
    return { devices: simulator.devices(), out };
  };

  it('gives the same devices and the same messages, byte for byte, for the same seed', () => {
    for (const networkServer of ['chirpstack', 'tts'] as const) {
      const a = run(options({ networkServer, applicationId: 'app' }));
      const b = run(options({ networkServer, applicationId: 'app' }));
      expect(b.devices).toEqual(a.devices);
      expect(b.out).toEqual(a.out);
    }
  });

  it('differs for another seed', () => {
    const a = run(options());
    const b = run(options({ seed: 'other' }));
    expect(b.devices.map((d) => d.deviceKey).filter((key) => a.devices.some((d) => d.deviceKey === key))).toEqual([]);
    expect(b.out).not.toEqual(a.out);
  });

  it('gives each uplink its own message id, stable for the same uplink, new for a later run', () => {
    const id = (u: SimulatedUplink) => JSON.parse(u.payload.toString()).deduplicationId as string;
    const first = createSimulator(options({ devices: { 'milesight-em310-udl': 3 } }));
    const ids = Array.from({ length: 30 }, (_, i) => id(first.next(start + i * 1000)));
    expect(new Set(ids).size).toBe(30);
    const again = createSimulator(options({ devices: { 'milesight-em310-udl': 3 } }));
    expect(Array.from({ length: 30 }, (_, i) => id(again.next(start + i * 1000)))).toEqual(ids);
    // the same seed a day later (a demo run again): the same devices, other messages
    const later = createSimulator(options({ devices: { 'milesight-em310-udl': 3 }, startTime: start + DAY }));
    const laterIds = Array.from({ length: 30 }, (_, i) => id(later.next(start + DAY + i * 1000)));
    expect(laterIds.filter((x) => ids.includes(x))).toEqual([]);
  });

  it('keeps a device the same when devices of other profiles are added', () => {
    const few = createSimulator(options({ devices: { 'milesight-em310-udl': 2 } })).devices();
    const more = createSimulator(options({ devices: { 'milesight-em310-udl': 2, 'milesight-ws301': 5 } })).devices();
    expect(more.filter((d) => d.profile === 'milesight-em310-udl')).toEqual(few);
  });
});

describe('simulator.next', () => {
  it('takes devices in fair order by their own interval, and stamps them now', () => {
    const simulator = createSimulator(
      options({ devices: { 'milesight-em310-udl': 2, 'milesight-em500-swl': 1 }, intervalsS: { 'milesight-em310-udl': 1800, 'milesight-em500-swl': 600 } }),
    );
    const [binA, binB, basin] = simulator.devices().map((d) => d.deviceKey);
    const counts = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const uplink = simulator.next(start + i * 1000); // far faster than the devices' own rate
      expect(uplink.timeMs).toBe(start + i * 1000);
      expect(uplink.trigger).toBe('interval');
      counts.set(uplink.deviceKey, (counts.get(uplink.deviceKey) ?? 0) + 1);
    }
    // three times the rate for a third of the interval; the two bins alike
    expect(Math.abs(counts.get(binA!)! - counts.get(binB!)!)).toBeLessThanOrEqual(1);
    expect(counts.get(basin!)! / counts.get(binA!)!).toBeCloseTo(3, 0);
  });

  it('counts each device’s frames from 0, omitting fCnt 0 as ChirpStack does', () => {
    const simulator = createSimulator(options({ devices: { 'milesight-ws301': 2 }, eventUplinks: false }));
    const frames = new Map<string, number[]>();
    for (let i = 0; i < 10; i++) {
      const uplink = simulator.next(start + i);
      const json = JSON.parse(uplink.payload.toString());
      frames.set(uplink.deviceKey, [...(frames.get(uplink.deviceKey) ?? []), json.fCnt ?? 0]);
      if (uplink.fCnt === 0) expect(json).not.toHaveProperty('fCnt');
    }
    for (const counts of frames.values()) expect(counts).toEqual([0, 1, 2, 3, 4]);
  });

  it('never goes back in time, and reports door events that happened by now', () => {
    const simulator = createSimulator(options({ devices: { 'dragino-lds02': 5 } }));
    const late = simulator.next(start + 3 * DAY);
    expect(simulator.next(start).timeMs).toBe(late.timeMs); // an earlier now counts as the clock
    const events = Array.from({ length: 50 }, (_, i) => simulator.next(start + 3 * DAY + i * 60_000)).filter((u) => u.trigger === 'event');
    expect(events.length).toBeGreaterThan(0);
  });
});

describe('simulator.pastUplinks: a week at natural times', () => {
  const from = start;
  const to = start + 7 * DAY;
  let uplinks: SimulatedUplink[];
  let decoded: { uplink: SimulatedUplink; observations: Observation[] }[];

  beforeAll(() => {
    const simulator = createSimulator(options({ networkServer: 'tts', applicationId: 'demo', tenant: 'ttn' }));
    const params = new Map(simulator.devices().map((d) => [d.deviceKey, d]));
    const started = performance.now();
    uplinks = [...simulator.pastUplinks(from, to)];
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(simulator.clockMs).toBe(to);
    decoded = uplinks.map((uplink) => {
      const device = params.get(uplink.deviceKey)!;
      const profile = profiles.get(device.profile)!;
      const prepared = profile.prepareParams(device.params);
      if (!prepared.ok) throw new Error(prepared.reason);
      const { fPort, bytes } = carried(uplink);
      const outcome = profile.decode({ fPort, bytes, receivedAtMs: uplink.timeMs, params: prepared.params });
      if (!outcome.ok) throw new Error(`${device.profile} ${bytes.toString('hex')}: ${outcome.reason}`);
      return { uplink, observations: outcome.observations };
    });
  });

  it('comes in time order, inside [from, to), each device at its interval', () => {
    for (let i = 1; i < uplinks.length; i++) expect(uplinks[i]!.timeMs).toBeGreaterThanOrEqual(uplinks[i - 1]!.timeMs);
    expect(uplinks[0]!.timeMs).toBeGreaterThanOrEqual(from);
    expect(uplinks.at(-1)!.timeMs).toBeLessThan(to);
    const byDevice = groupBy(uplinks.filter((u) => u.trigger === 'interval'), (u) => u.deviceKey);
    expect(byDevice.size).toBe(24);
    const intervalS: Record<string, number> = { 'milesight-em310-udl': 1800, 'milesight-em500-swl': 600, 'axioma-qalcosonic-w1': 21_600 };
    for (const list of byDevice.values()) {
      const seconds = intervalS[list[0]!.profile];
      if (seconds) expect(list).toHaveLength((7 * DAY) / (seconds * 1000));
      for (let i = 1; i < list.length; i++) expect(list[i]!.timeMs - list[i - 1]!.timeMs).toBe(list[1]!.timeMs - list[0]!.timeMs);
    }
  });

  it('carries the encoded payload and frame counter in the envelope', () => {
    for (const uplink of uplinks.slice(0, 500)) {
      const { fPort, bytes, fCnt } = carried(uplink);
      expect(fPort).toBe(uplink.fPort);
      expect(bytes.equals(Buffer.from(uplink.bytes))).toBe(true);
      expect(fCnt).toBe(uplink.fCnt);
      expect(uplink.topic).toBe(`v3/demo@ttn/devices/eui-${uplink.deviceKey}/up`);
    }
  });

  it('decodes, every message, into good records', () => {
    const notGood = decoded.flatMap(({ uplink, observations }) =>
      observations.filter((o) => o.quality !== 'good').map((o) => `${uplink.profile}: ${o.quality} ${o.qualityFlags?.join()}`),
    );
    expect(notGood).toEqual([]);
  });

  /** Decoded first-observation fields per device, in time order. */
  const series = (profile: string) =>
    groupBy(
      decoded.filter((d) => d.uplink.profile === profile),
      (d) => d.uplink.deviceKey,
    );

  it('fill levels stay in 0..1, rise, and drop when containers are emptied', () => {
    let drops = 0;
    for (const profile of ['milesight-em310-udl', 'dragino-ldds75']) {
      for (const list of series(profile).values()) {
        const levels = list.map((d) => d.observations[0]!.fields.fillLevel as number);
        for (const level of levels) expect(level).toBeGreaterThanOrEqual(0);
        for (const level of levels) expect(level).toBeLessThanOrEqual(1);
        for (let i = 1; i < levels.length; i++) if (levels[i]! < levels[i - 1]! - 0.3) drops++;
        expect(Math.max(...levels) - Math.min(...levels)).toBeGreaterThan(0.1);
      }
    }
    expect(drops).toBeGreaterThan(0);
  });

  it('meters never count down', () => {
    for (const [profile, field] of [
      ['milesight-em300-di', 'pulseCount'],
      ['elvaco-cmi4110', 'energyKWh'],
      ['elvaco-cmi4110', 'volumeM3'],
      ['axioma-qalcosonic-w1', 'volumeM3'],
    ] as const) {
      for (const list of series(profile).values()) {
        const values = list.map((d) => d.observations[0]!.fields[field] as number);
        for (let i = 1; i < values.length; i++) expect(values[i], `${profile} ${field}`).toBeGreaterThanOrEqual(values[i - 1]!);
        expect(values.at(-1)!).toBeGreaterThan(values[0]!);
      }
    }
    // the water meter's hourly log: 16 points, one an hour, counting up
    for (const { observations } of decoded.filter((d) => d.uplink.profile === 'axioma-qalcosonic-w1')) {
      const log = observations.slice(1).map(flattenObservation);
      expect(log).toHaveLength(16);
      for (let i = 1; i < 16; i++) {
        expect(Date.parse(log[i]!.observedAt as string) - Date.parse(log[i - 1]!.observedAt as string)).toBe(3_600_000);
        expect(log[i]!.volumeM3 as number).toBeGreaterThanOrEqual(log[i - 1]!.volumeM3 as number);
      }
    }
  });

  it('doors open and close, reported as they happen, their counts rising', () => {
    for (const profile of ['milesight-ws301', 'dragino-lds02']) {
      for (const list of series(profile).values()) {
        const open = list.map((d) => d.observations[0]!.fields.doorOpen as boolean);
        expect(open.some((o) => o)).toBe(true);
        expect(open.some((o) => !o)).toBe(true);
        expect(list.some((d) => d.uplink.trigger === 'event')).toBe(true);
        if (profile === 'dragino-lds02') {
          const counts = list.map((d) => d.observations[0]!.fields.openCount as number);
          for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
          expect(counts.at(-1)!).toBeGreaterThan(counts[0]!);
        }
      }
    }
  });

  it('refuses a past before the simulation’s clock, and next() carries on after it', () => {
    const simulator = createSimulator(options({ devices: { 'milesight-em310-udl': 1 } }));
    expect(() => simulator.pastUplinks(start - DAY, start)).toThrow(/startTime/);
    const past = [...simulator.pastUplinks(start, start + DAY)];
    expect(past).toHaveLength(48);
    expect(() => simulator.pastUplinks(start, start + 2 * DAY)).toThrow(RangeError);
    const next = simulator.next(start + DAY + 1000);
    expect(next.timeMs).toBe(start + DAY + 1000);
    expect(next.fCnt).toBe(48);
  });
});
