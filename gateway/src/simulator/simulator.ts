/**
 * The simulator: many devices of the eight profiles, each with its own physics, radio link and
 * reporting interval, producing network-server uplink messages (topic + JSON payload) in a fair
 * order. Deterministic for a seed: the same seed, devices and calls give the same messages.
 */
import { RadioLink } from './behaviour/radio.js';
import { type DeviceModel, profileSimulations } from './devices.js';
import { type SimulatedProfileId, simulatedProfileIds } from './encoders/index.js';
import { type ChirpstackApplication, chirpstackUp, type TtsApplication, ttsUp, type UplinkFrame } from './envelopes.js';
import { Random } from './random.js';
import { DueQueue } from './schedule.js';

export type NetworkServer = 'chirpstack' | 'tts';

export interface SimulatorOptions {
  seed: string | number;
  /** How many devices of each profile. */
  devices: Partial<Record<SimulatedProfileId, number>>;
  networkServer: NetworkServer;
  /** ChirpStack: the application id (a UUID); The Things Stack: the application id. */
  applicationId: string;
  /** ChirpStack: the tenant id (default: a UUID from the seed); The Things Stack: the tenant of `app@tenant` topics (default: none). */
  tenant?: string | undefined;
  /** Where the physics starts, ms or Date (default: now). */
  startTime?: number | Date | undefined;
  /** Reporting interval per profile, s (defaults: 10 min for water level to 6 h for water meters). */
  intervalsS?: Partial<Record<SimulatedProfileId, number>> | undefined;
  /** Door sensors also report when a door opens or closes (as the real ones do). Default true. */
  eventUplinks?: boolean | undefined;
  /** LoRaWAN gateways hearing the devices (default 2). */
  gateways?: number | undefined;
}

/** A device as the gateway's registry needs it (the `devices` entries of a gateway config). */
export interface SimulatedDevice {
  /** DevEUI: 16 lower-case hex digits, locally administered (bit 0x02 of the first byte set). */
  deviceKey: string;
  profile: SimulatedProfileId;
  assetId: string;
  params: Record<string, number | string>;
}

export interface SimulatedUplink {
  topic: string;
  /** The envelope JSON, UTF-8. */
  payload: Buffer;
  deviceKey: string;
  profile: SimulatedProfileId;
  /** Network-server time of the uplink, ms. */
  timeMs: number;
  fCnt: number;
  fPort: number;
  bytes: Uint8Array;
  /** 'interval': the device's periodic report; 'event': a door opened or closed, or its alarm went off. */
  trigger: 'interval' | 'event';
}

export interface Simulator {
  devices(): SimulatedDevice[];
  /**
   * The next uplink, stamped `now` (default: the wall clock): an event a door sensor has to report
   * by `now` if there is one, else the device next in line by its own interval (stride scheduling:
   * a device with half the interval comes twice as often, ties in device order). Never returns
   * nothing, whatever the rate of calls: the caller's rate sets the throughput. Time never goes
   * back: an earlier `now` counts as the simulator's clock.
   */
  next(now?: number | Date): SimulatedUplink;
  /**
   * Every uplink in [from, to) at the devices' natural times (each device every interval from its
   * own phase, plus door events), in time order, computed as fast as the caller takes them.
   * `from` must not be before the simulator's clock (create it with `startTime` ≤ `from`);
   * afterwards the clock is `to`, and `next` carries on from there.
   */
  pastUplinks(from: number | Date, to: number | Date): Generator<SimulatedUplink, void, undefined>;
  /** The latest time the simulation has reached, ms. */
  readonly clockMs: number;
}

interface DeviceSlot {
  info: SimulatedDevice;
  name: string;
  devAddr: string;
  model: DeviceModel;
  radio: RadioLink;
  intervalMs: number;
  /** Natural report times are anchorMs + k × intervalMs. */
  anchorMs: number;
  periodicDue: number;
  fCnt: number;
}

const toMs = (time: number | Date): number => (typeof time === 'number' ? time : time.getTime());

function checkOptions(options: SimulatorOptions): void {
  for (const [profile, count] of Object.entries(options.devices)) {
    if (!Object.hasOwn(profileSimulations, profile)) {
      throw new RangeError(`unknown profile ${profile}; the simulator plays ${simulatedProfileIds.join(', ')}`);
    }
    if (!Number.isInteger(count) || count! < 0) throw new RangeError(`devices.${profile}: ${count} is not a count`);
  }
  for (const [profile, seconds] of Object.entries(options.intervalsS ?? {})) {
    if (!Object.hasOwn(profileSimulations, profile)) throw new RangeError(`intervalsS: unknown profile ${profile}`);
    if (!(typeof seconds === 'number' && seconds >= 1)) throw new RangeError(`intervalsS.${profile}: ${seconds} is not an interval of at least 1 s`);
  }
  if (options.networkServer !== 'chirpstack' && options.networkServer !== 'tts') {
    throw new RangeError(`networkServer must be 'chirpstack' or 'tts', not ${String(options.networkServer)}`);
  }
  const topicSafe = /^[^/+#@\s]+$/;
  if (!topicSafe.test(options.applicationId)) throw new RangeError(`applicationId "${options.applicationId}" must be non-empty without / + # @ or spaces`);
  if (options.tenant !== undefined && !topicSafe.test(options.tenant)) throw new RangeError(`tenant "${options.tenant}" must be non-empty without / + # @ or spaces`);
}

/** 8 bytes of EUI from `rng`, marked locally administered and unicast (not a vendor's). */
function localEui(rng: Random): string {
  const hex = rng.hex(8);
  const first = (parseInt(hex.slice(0, 2), 16) & 0xfc) | 0x02;
  return first.toString(16).padStart(2, '0') + hex.slice(2);
}

export function createSimulator(options: SimulatorOptions): Simulator {
  checkOptions(options);
  const seed = String(options.seed);
  const startMs = toMs(options.startTime ?? Date.now());
  const eventUplinks = options.eventUplinks ?? true;
  const gatewayIds = Array.from({ length: Math.max(1, options.gateways ?? 2) }, (_, i) => localEui(new Random(seed, 'gateway', i)));

  const slots: DeviceSlot[] = [];
  const usedEuis = new Set<string>();
  const assetNumbers = new Map<string, number>();
  for (const profile of simulatedProfileIds) {
    const count = options.devices[profile] ?? 0;
    const simulation = profileSimulations[profile];
    const intervalMs = Math.round((options.intervalsS?.[profile] ?? simulation.intervalS) * 1000);
    for (let index = 0; index < count; index++) {
      const rng = new Random(seed, profile, index);
      let devEui = localEui(rng.fork('deveui'));
      for (let attempt = 1; usedEuis.has(devEui); attempt++) devEui = localEui(rng.fork('deveui', attempt));
      usedEuis.add(devEui);
      const assetNumber = (assetNumbers.get(simulation.assetPrefix) ?? 0) + 1;
      assetNumbers.set(simulation.assetPrefix, assetNumber);
      const model = simulation.create(startMs, rng);
      const anchorMs = startMs + Math.floor(rng.fork('phase').uniform(0, intervalMs));
      slots.push({
        info: { deviceKey: devEui, profile, assetId: `${simulation.assetPrefix}-${String(assetNumber).padStart(4, '0')}`, params: model.params },
        name: `${simulation.namePrefix}-${String(index + 1).padStart(3, '0')}`,
        devAddr: rng.fork('devaddr').hex(4),
        model,
        radio: new RadioLink(rng.fork('radio'), gatewayIds),
        intervalMs,
        anchorMs,
        periodicDue: anchorMs,
        fCnt: 0,
      });
    }
  }

  const chirpstack: ChirpstackApplication = {
    tenantId: options.tenant ?? new Random(seed, 'tenant').uuid(),
    tenantName: 'sensorbro simulator',
    applicationId: options.applicationId,
    applicationName: 'sensorbro simulator',
    deviceProfileId: '',
  };
  const deviceProfileIds = new Map(simulatedProfileIds.map((profile) => [profile, new Random(seed, 'device-profile', profile).uuid()]));
  const tts: TtsApplication = { applicationId: options.applicationId, tenant: options.tenant, joinEui: new Random(seed, 'join-eui').hex(8) };

  const periodic = new DueQueue();
  const events = new DueQueue();
  let clock = startMs;

  function queueEvent(index: number): void {
    if (!eventUplinks) return;
    const at = slots[index]!.model.nextEventMs();
    if (at !== undefined) events.push(at, index);
  }

  slots.forEach((slot, index) => {
    periodic.push(slot.periodicDue, index);
    queueEvent(index);
  });

  function emit(index: number, timeMs: number, trigger: SimulatedUplink['trigger']): SimulatedUplink {
    const slot = slots[index]!;
    slot.model.advanceTo(timeMs);
    const { fPort, bytes } = slot.model.uplink(timeMs);
    const frame: UplinkFrame = {
      devEui: slot.info.deviceKey,
      deviceName: slot.name,
      profileId: slot.info.profile,
      devAddr: slot.devAddr,
      fCnt: slot.fCnt,
      fPort,
      bytes,
      timeMs,
      radio: slot.radio.sample(),
      assetId: slot.info.assetId,
    };
    slot.fCnt = (slot.fCnt + 1) % 2 ** 32;
    // message ids (deduplicationId, correlation id) are what the gateway keys records on: the same
    // uplink always gets the same id, an uplink at another time another one, also in a later run
    const ids = new Random(seed, 'envelope', slot.info.deviceKey, timeMs, frame.fCnt);
    const envelope =
      options.networkServer === 'chirpstack'
        ? chirpstackUp(frame, { ...chirpstack, deviceProfileId: deviceProfileIds.get(slot.info.profile)! }, ids)
        : ttsUp(frame, tts, ids);
    return {
      topic: envelope.topic,
      payload: Buffer.from(JSON.stringify(envelope.json)),
      deviceKey: slot.info.deviceKey,
      profile: slot.info.profile,
      timeMs,
      fCnt: frame.fCnt,
      fPort,
      bytes,
      trigger,
    };
  }

  return {
    get clockMs() {
      return clock;
    },

    devices() {
      return slots.map((slot) => ({ ...slot.info, params: { ...slot.info.params } }));
    },

    next(now = Date.now()) {
      if (slots.length === 0) throw new RangeError('the simulator has no devices');
      clock = Math.max(clock, toMs(now));
      const event = events.peek();
      if (event && event.dueMs <= clock) {
        events.pop();
        const uplink = emit(event.device, clock, 'event');
        queueEvent(event.device);
        return uplink;
      }
      const { device } = periodic.pop()!;
      const slot = slots[device]!;
      slot.periodicDue += slot.intervalMs;
      periodic.push(slot.periodicDue, device);
      return emit(device, clock, 'interval');
    },

    pastUplinks(from, to) {
      const fromMs = toMs(from);
      const toMsValue = toMs(to);
      if (fromMs < clock) {
        throw new RangeError(
          `pastUplinks from ${new Date(fromMs).toISOString()}: the simulation is already at ${new Date(clock).toISOString()} (create it with startTime at or before from)`,
        );
      }
      if (toMsValue < fromMs) throw new RangeError('pastUplinks: to is before from');
      return naturalUplinks(fromMs, toMsValue);
    },
  };

  /** The uplinks of [fromMs, toMs) at their natural times, generated as they are taken. */
  function* naturalUplinks(fromMs: number, toMsValue: number): Generator<SimulatedUplink, void, undefined> {
    clock = fromMs;
    periodic.clear();
    events.clear();
    slots.forEach((slot, index) => {
      slot.periodicDue = slot.anchorMs + Math.max(0, Math.ceil((fromMs - slot.anchorMs) / slot.intervalMs)) * slot.intervalMs;
      periodic.push(slot.periodicDue, index);
      if (eventUplinks && slot.model.nextEventMs() !== undefined) {
        slot.model.advanceTo(fromMs - 1); // events before `from` are history without reports
        queueEvent(index);
      }
    });
    for (;;) {
      const p = periodic.peek();
      const e = events.peek();
      const takeEvent = e !== undefined && (p === undefined || e.dueMs < p.dueMs);
      const next = takeEvent ? e : p;
      if (!next || next.dueMs >= toMsValue) break;
      clock = next.dueMs;
      if (takeEvent) {
        events.pop();
        const uplink = emit(next.device, next.dueMs, 'event');
        queueEvent(next.device);
        yield uplink;
      } else {
        periodic.pop();
        const slot = slots[next.device]!;
        const uplink = emit(next.device, next.dueMs, 'interval');
        slot.periodicDue += slot.intervalMs;
        periodic.push(slot.periodicDue, next.device);
        yield uplink;
      }
    }
    clock = Math.max(clock, toMsValue);
  }
}
