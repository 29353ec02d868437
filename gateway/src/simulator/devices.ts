/**
 * What each of the eight profiles is in the simulator: which physical model drives it, how its
 * readings become the state its encoder takes (rounded as the device rounds), how often it
 * reports, the registry parameters a gateway needs for it, and how its assets are named.
 */
import { alkalineAaaPair, Battery, lithiumThionylChloride } from './behaviour/battery.js';
import { Door, randomDoorParams } from './behaviour/door.js';
import { HeatMeter, randomHeatMeterParams } from './behaviour/heat-meter.js';
import { PulseMeter, randomPulseMeterParams } from './behaviour/pulse-meter.js';
import { randomWasteContainerParams, WasteContainer } from './behaviour/waste-container.js';
import { randomWaterBasinParams, WaterBasin } from './behaviour/water-basin.js';
import { randomWaterMeterParams, WaterMeter } from './behaviour/water-meter.js';
import { type EncodedUplink, encoders, type SimulatedProfileId } from './encoders/index.js';
import type { Random } from './random.js';

/** One simulated device's physics and payloads. */
export interface DeviceModel {
  /** Registry parameters (e.g. emptyDistanceMm), for the gateway's device list. */
  readonly params: Record<string, number | string>;
  /** Moves the physics to `ms` (never backwards). */
  advanceTo(ms: number): void;
  /** When the device next reports on its own (a door opens or closes); undefined for purely periodic devices. */
  nextEventMs(): number | undefined;
  /** The uplink the device sends at `ms`, from its state there. */
  uplink(ms: number): EncodedUplink;
}

export interface ProfileSimulation {
  /** Default reporting interval, s. */
  intervalS: number;
  /** Asset ids are `<assetPrefix>-0001`, numbered across the profiles sharing a prefix. */
  assetPrefix: string;
  /** Device names are `<namePrefix>-001`. */
  namePrefix: string;
  /** A device starting at `startMs`, its randomness from `rng` (one generator per device). */
  create(startMs: number, rng: Random): DeviceModel;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
const mm = (value: number, min: number, max: number) => clamp(Math.round(value), min, max);

function periodic(params: Record<string, number | string>, advanceTo: (ms: number) => void, uplink: (ms: number) => EncodedUplink): DeviceModel {
  return { params, advanceTo, nextEventMs: () => undefined, uplink };
}

function fillSensor(kind: 'em310' | 'ldds75'): ProfileSimulation['create'] {
  return (startMs, rng) => {
    // the LDDS75 cannot see closer than 280 mm: mount it so the full line stays beyond that
    const params = randomWasteContainerParams(rng.fork('params'), kind === 'ldds75' ? 320 : 150);
    const model = new WasteContainer(params, startMs, rng.fork('physics'), rng.fork('measure'));
    const battery = Battery.random(rng.fork('battery'), startMs);
    const hasProbe = rng.fork('probe').chance(0.6);
    const registry = { emptyDistanceMm: params.emptyDistanceMm, fullDistanceMm: params.fullDistanceMm };
    return periodic(registry, (ms) => model.advanceTo(ms), (ms) => {
      const state = model.read();
      if (kind === 'em310') {
        return encoders['milesight-em310-udl']({
          batteryPercent: Math.round(battery.percentAt(ms)),
          distanceMm: mm(state.distanceMm, 20, 5000),
          tilted: state.tilted,
        });
      }
      return encoders['dragino-ldds75']({
        batteryV: battery.volts(ms, lithiumThionylChloride),
        distanceMm: mm(state.distanceMm, 281, 7500),
        temperatureC: hasProbe ? state.temperatureC : undefined,
      });
    });
  };
}

function doorSensor(kind: 'ws301' | 'lds02'): ProfileSimulation['create'] {
  return (startMs, rng) => {
    // the LDS02 raises its alarm when a door stays open 30 minutes; the WS301 has no such alarm
    const model = new Door(randomDoorParams(rng.fork('params'), kind === 'lds02' ? 1800 : undefined), startMs, rng.fork('physics'));
    const battery = Battery.random(rng.fork('battery'), startMs);
    return {
      params: {},
      advanceTo: (ms) => model.advanceTo(ms),
      nextEventMs: () => model.nextEventMs(),
      uplink: (ms) => {
        const state = model.read();
        if (kind === 'ws301') {
          return encoders['milesight-ws301']({ batteryPercent: Math.round(battery.percentAt(ms)), doorOpen: state.open, tamper: state.tamper });
        }
        return encoders['dragino-lds02']({
          doorOpen: state.open,
          batteryV: battery.volts(ms, alkalineAaaPair),
          openCount: state.openCount % 0x1000000, // the sensor's counter has 24 bits
          lastOpenDurationS: state.lastOpenDurationS,
          alarm: state.alarm,
        });
      },
    };
  };
}

export const profileSimulations: Record<SimulatedProfileId, ProfileSimulation> = {
  'milesight-em310-udl': { intervalS: 1800, assetPrefix: 'beholder', namePrefix: 'em310-udl', create: fillSensor('em310') },
  'dragino-ldds75': { intervalS: 1800, assetPrefix: 'beholder', namePrefix: 'ldds75', create: fillSensor('ldds75') },
  'milesight-em500-swl': {
    intervalS: 600,
    assetPrefix: 'bassin',
    namePrefix: 'em500-swl',
    create: (startMs, rng) => {
      const params = randomWaterBasinParams(rng.fork('params'));
      const model = new WaterBasin(params, startMs, rng.fork('physics'), rng.fork('measure'));
      const battery = Battery.random(rng.fork('battery'), startMs);
      return periodic({ referenceLevelM: params.referenceLevelM }, (ms) => model.advanceTo(ms), (ms) =>
        encoders['milesight-em500-swl']({
          batteryPercent: Math.round(battery.percentAt(ms)),
          waterDepthM: Math.round(model.read().depthM * 100) / 100,
        }),
      );
    },
  },
  'milesight-em300-di': {
    intervalS: 1200,
    assetPrefix: 'pulsmaaler',
    namePrefix: 'em300-di',
    create: (startMs, rng) => {
      const model = new PulseMeter(randomPulseMeterParams(rng.fork('params')), startMs, rng.fork('physics'), rng.fork('measure'));
      const battery = Battery.random(rng.fork('battery'), startMs);
      return periodic({}, (ms) => model.advanceTo(ms), (ms) => {
        const state = model.read();
        return encoders['milesight-em300-di']({
          batteryPercent: Math.round(battery.percentAt(ms)),
          temperatureC: state.temperatureC,
          humidityPercent: state.humidityPercent,
          pulseCount: state.pulseCount % 2 ** 32, // a 32-bit counter wraps
        });
      });
    },
  },
  'milesight-ws301': { intervalS: 3600, assetPrefix: 'doer', namePrefix: 'ws301', create: doorSensor('ws301') },
  'dragino-lds02': { intervalS: 7200, assetPrefix: 'doer', namePrefix: 'lds02', create: doorSensor('lds02') },
  'elvaco-cmi4110': {
    intervalS: 3600,
    assetPrefix: 'varmemaaler',
    namePrefix: 'cmi4110',
    create: (startMs, rng) => {
      const model = new HeatMeter(randomHeatMeterParams(rng.fork('params')), startMs, rng.fork('physics'), rng.fork('measure'));
      return periodic({}, (ms) => model.advanceTo(ms), () => {
        const state = model.read();
        return encoders['elvaco-cmi4110']({
          ...state,
          // registers show what has been counted: whole kWh, whole 10 l
          energyKWh: Math.floor(state.energyKWh),
          volumeM3: Math.floor(state.volumeM3 * 100) / 100,
        });
      });
    },
  },
  'axioma-qalcosonic-w1': {
    intervalS: 6 * 3600,
    assetPrefix: 'vandmaaler',
    namePrefix: 'qalcosonic-w1',
    create: (startMs, rng) => {
      const model = new WaterMeter(randomWaterMeterParams(rng.fork('params')), startMs, rng.fork('physics'));
      return periodic({}, (ms) => model.advanceTo(ms), (ms) => {
        const state = model.read();
        const log = model.hourlyLog(16);
        return encoders['axioma-qalcosonic-w1']({
          meterTimeS: Math.floor(ms / 1000),
          statusFlags: state.statusFlags,
          volumeL: state.volumeL,
          logStartS: log.startMs / 1000,
          logVolumesL: log.litres,
        });
      });
    },
  },
};
