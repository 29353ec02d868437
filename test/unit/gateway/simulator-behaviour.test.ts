import { describe, expect, it } from 'vitest';
import {
  alkalineAaaPair,
  Battery,
  DAY_MS,
  Door,
  HeatMeter,
  HOUR_MS,
  leakStatus,
  lithiumThionylChloride,
  localTime,
  MINUTE_MS,
  PulseMeter,
  RadioLink,
  randomDoorParams,
  randomHeatMeterParams,
  randomPulseMeterParams,
  randomWasteContainerParams,
  randomWaterBasinParams,
  randomWaterMeterParams,
  WasteContainer,
  WaterBasin,
  WaterMeter,
} from '../../../gateway/src/simulator/behaviour.js';
import { Random } from '../../../gateway/src/simulator/random.js';

const winter = Date.parse('2025-01-06T00:00:00Z'); // a Monday
const summer = Date.parse('2025-07-07T00:00:00Z');

function container(seed: string, start = winter): WasteContainer {
  const rng = new Random(seed);
  return new WasteContainer(randomWasteContainerParams(rng.fork('params')), start, rng.fork('physics'), rng.fork('measure'));
}

/** Samples `read` every `stepMs` from `start` for `days`. */
function trace<T>(model: { advanceTo(ms: number): void }, read: () => T, start: number, days: number, stepMs: number): { t: number; value: T }[] {
  const out: { t: number; value: T }[] = [];
  for (let t = start; t <= start + days * DAY_MS; t += stepMs) {
    model.advanceTo(t);
    out.push({ t, value: read() });
  }
  return out;
}

describe('Random', () => {
  it('is deterministic for a seed and labels, and differs between them', () => {
    const a = new Random('s', 'x', 1);
    const b = new Random('s', 'x', 1);
    const c = new Random('s', 'x', 2);
    const seqA = Array.from({ length: 50 }, () => a.uint32());
    expect(Array.from({ length: 50 }, () => b.uint32())).toEqual(seqA);
    expect(Array.from({ length: 50 }, () => c.uint32())).not.toEqual(seqA);
    expect(new Random('s').fork('x', 1).uint32()).toBe(new Random('s', 'x', 1).uint32());
  });

  it('draws in range with plausible moments', () => {
    const rng = new Random('moments');
    const uniforms = Array.from({ length: 20_000 }, () => rng.next());
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniforms)).toBeLessThan(1);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(uniforms)).toBeCloseTo(0.5, 1);
    expect(mean(Array.from({ length: 20_000 }, () => rng.normal(3, 2)))).toBeCloseTo(3, 1);
    expect(mean(Array.from({ length: 20_000 }, () => rng.poisson(4)))).toBeCloseTo(4, 1);
    expect(mean(Array.from({ length: 20_000 }, () => rng.exponential(5)))).toBeGreaterThan(4.7);
    expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('Danish local time', () => {
  it('is UTC+1 in winter and UTC+2 in summer', () => {
    expect(localTime(Date.parse('2025-01-06T07:30:00Z')).hour).toBe(8.5);
    expect(localTime(Date.parse('2025-07-07T07:30:00Z')).hour).toBe(9.5);
    expect(localTime(Date.parse('2025-03-30T00:59:00Z')).hour).toBeCloseTo(1 + 59 / 60); // before the switch
    expect(localTime(Date.parse('2025-03-30T01:00:00Z')).hour).toBe(3);
    expect(localTime(winter).weekday).toBe(1);
  });
});

describe('waste container', () => {
  it('keeps its fill level in 0..1, fills between emptyings, and drops on each emptying', () => {
    let emptyings = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 20; i++) {
      const model = container(`bin-${i}`);
      const samples = trace(model, () => model.read(), winter, 60, 10 * MINUTE_MS);
      for (let j = 1; j < samples.length; j++) {
        const before = samples[j - 1]!.value;
        const after = samples[j]!.value;
        const at = `bin-${i} ${new Date(samples[j]!.t).toISOString()}`;
        if (!(after.fill >= 0 && after.fill <= 1)) wrong.push(`${at}: fill ${after.fill}`);
        if (after.emptiedCount > before.emptiedCount) {
          emptyings++;
          if (!(after.fill < 0.1)) wrong.push(`${at}: ${after.fill} after emptying`);
          if (before.fill > 0.2 && !(after.fill < before.fill)) wrong.push(`${at}: emptying did not lower ${before.fill}`);
        } else if (after.fill < before.fill) {
          wrong.push(`${at}: fell from ${before.fill} to ${after.fill} without emptying`);
        }
      }
      // scheduled collections at least every 4 weeks, plus extra trips when full
      expect(samples.at(-1)!.value.emptiedCount).toBeGreaterThanOrEqual(2);
    }
    expect(wrong).toEqual([]);
    expect(emptyings).toBeGreaterThan(40);
  });

  it('is emptied within a few days once above 85 %', () => {
    for (let i = 0; i < 20; i++) {
      const model = container(`full-${i}`);
      const samples = trace(model, () => model.read(), winter, 60, HOUR_MS);
      let above = 0;
      for (const { value } of samples) {
        above = value.fill > 0.86 ? above + 1 : 0;
        expect(above).toBeLessThan(5 * 24); // overnight and over a weekend, but not for a week
      }
    }
  });

  it('fills faster by day than by night', () => {
    let day = 0;
    let night = 0;
    for (let i = 0; i < 20; i++) {
      const model = container(`night-${i}`);
      const samples = trace(model, () => model.read(), winter, 20, HOUR_MS);
      for (let j = 1; j < samples.length; j++) {
        const rise = samples[j]!.value.fill - samples[j - 1]!.value.fill;
        if (rise < 0 || samples[j]!.value.fill >= 1) continue;
        const hour = localTime(samples[j - 1]!.t).hour;
        if (hour >= 1 && hour < 5) night += rise;
        if (hour >= 10 && hour < 14) day += rise;
      }
    }
    expect(day).toBeGreaterThan(4 * night);
  });

  it('measures distance from the fill level, within the container', () => {
    const model = container('distance');
    for (const { value } of trace(model, () => model.read(), winter, 10, HOUR_MS)) {
      const { emptyDistanceMm, fullDistanceMm } = model.params;
      const expected = emptyDistanceMm - value.fill * (emptyDistanceMm - fullDistanceMm);
      expect(Math.abs(value.distanceMm - expected)).toBeLessThan(40);
    }
  });

  it('is tilted now and then, and stands up again', () => {
    let tiltedHours = 0;
    let uprightAfterTilt = 0;
    for (let i = 0; i < 30; i++) {
      const model = container(`tilt-${i}`);
      let wasTilted = false;
      for (const { value } of trace(model, () => model.read(), winter, 90, HOUR_MS)) {
        if (value.tilted) tiltedHours++;
        if (wasTilted && !value.tilted) uprightAfterTilt++;
        wasTilted = value.tilted;
      }
    }
    expect(tiltedHours).toBeGreaterThan(0);
    expect(uprightAfterTilt).toBeGreaterThan(0);
    expect(tiltedHours).toBeLessThan(30 * 90 * 24 * 0.05);
  });

  it('reaches the same state however it is advanced (the state is a function of time)', () => {
    const once = container('steps');
    once.advanceTo(winter + 9 * DAY_MS + 123_456);
    const many = container('steps');
    for (let t = winter; t <= winter + 9 * DAY_MS + 123_456; t += 7 * MINUTE_MS + 13_000) many.advanceTo(t);
    many.advanceTo(winter + 9 * DAY_MS + 123_456);
    expect(many.read().fill).toBe(once.read().fill);
    expect(many.read().emptiedCount).toBe(once.read().emptiedCount);
    expect(container('other').read().fill).not.toBe(container('steps').read().fill);
  });
});

describe('water basin', () => {
  it('stays at or above 0, rises when it rains and recedes afterwards', () => {
    let rainEvents = 0;
    let recessions = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 10; i++) {
      const rng = new Random(`basin-${i}`);
      const params = randomWaterBasinParams(rng.fork('params'));
      const model = new WaterBasin(params, winter, rng.fork('physics'), rng.fork('measure'));
      const samples = trace(model, () => model.read(), winter, 30, 5 * MINUTE_MS);
      let rainStart: number | undefined;
      for (let j = 0; j < samples.length; j++) {
        const { value } = samples[j]!;
        if (!(value.depthM >= 0 && value.depthM < params.maxDepthM + 0.1)) wrong.push(`basin-${i}: depth ${value.depthM}`);
        if (value.rainMmH > 0 && rainStart === undefined) rainStart = j;
        if (value.rainMmH === 0 && rainStart !== undefined) {
          const before = samples[Math.max(0, rainStart - 1)]!.value.depthM;
          const peak = Math.max(...samples.slice(rainStart, j + 1).map((s) => s.value.depthM));
          expect(peak).toBeGreaterThan(before);
          // 36 h later, when it has not rained again, a clear rise has receded
          const later = samples[j + 36 * 12];
          if (later && peak - before > 0.05 && samples.slice(j, j + 36 * 12).every((s) => s.value.rainMmH === 0)) {
            expect(later.value.depthM).toBeLessThan(peak);
            recessions++;
          }
          rainEvents++;
          rainStart = undefined;
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(rainEvents).toBeGreaterThan(20);
    expect(recessions).toBeGreaterThan(5);
  });

  it('wiggles over the day in dry weather', () => {
    const rng = new Random('wiggle');
    const params = { ...randomWaterBasinParams(rng.fork('params')), meanDryH: 10_000, diurnalM: 0.02 };
    const model = new WaterBasin(params, winter, rng.fork('physics'), rng.fork('measure'));
    const depths = trace(model, () => model.read().depthM, winter, 2, HOUR_MS).map((s) => s.value);
    expect(Math.max(...depths) - Math.min(...depths)).toBeGreaterThan(0.03);
    expect(Math.max(...depths) - Math.min(...depths)).toBeLessThan(0.06);
  });
});

describe('meters never count down', () => {
  it('pulse meter: counts up with the daily profile', () => {
    for (let i = 0; i < 10; i++) {
      const rng = new Random(`pulse-${i}`);
      const params = randomPulseMeterParams(rng.fork('params'));
      const model = new PulseMeter(params, winter, rng.fork('physics'), rng.fork('measure'));
      const samples = trace(model, () => model.read(), winter, 14, 20 * MINUTE_MS);
      expect(samples.filter((s, j) => j > 0 && s.value.pulseCount < samples[j - 1]!.value.pulseCount)).toEqual([]);
      const perDay = (samples.at(-1)!.value.pulseCount - samples[0]!.value.pulseCount) / 14;
      expect(perDay).toBeGreaterThan(params.pulsesPerDay * 0.2);
      expect(perDay).toBeLessThan(params.pulsesPerDay * 1.5);
      const temperatures = samples.map((s) => s.value.temperatureC);
      const humidities = samples.map((s) => s.value.humidityPercent);
      expect(Math.min(...temperatures)).toBeGreaterThan(0);
      expect(Math.max(...temperatures)).toBeLessThan(35);
      expect(Math.min(...humidities)).toBeGreaterThanOrEqual(20);
      expect(Math.max(...humidities)).toBeLessThanOrEqual(95);
    }
  });

  it('heat meter: energy and volume integrate power and flow; flow ~65 °C, return ~40 °C; more in winter', () => {
    const perDay = (start: number, i: number) => {
      const rng = new Random(`heat-${i}`);
      const model = new HeatMeter(randomHeatMeterParams(rng.fork('params')), start, rng.fork('physics'), rng.fork('measure'));
      const samples = trace(model, () => model.read(), start, 7, HOUR_MS);
      for (let j = 1; j < samples.length; j++) {
        const [a, b] = [samples[j - 1]!.value, samples[j]!.value];
        expect(b.energyKWh).toBeGreaterThanOrEqual(a.energyKWh);
        expect(b.volumeM3).toBeGreaterThanOrEqual(a.volumeM3);
        expect(b.powerKW).toBeGreaterThanOrEqual(0);
        expect(b.flowTempC).toBeGreaterThan(55);
        expect(b.flowTempC).toBeLessThan(80);
        expect(b.returnTempC).toBeGreaterThan(30);
        expect(b.returnTempC).toBeLessThan(50);
        expect(b.flowTempC - b.returnTempC).toBeGreaterThan(10);
        // Q = 1.163 kWh/(m³·K) × ΔT × V: the flow carries the power
        expect(b.flowM3h * 1.163 * Math.max(5, b.flowTempC - b.returnTempC)).toBeCloseTo(b.powerKW, 0);
      }
      return (samples.at(-1)!.value.energyKWh - samples[0]!.value.energyKWh) / 7;
    };
    for (let i = 0; i < 5; i++) expect(perDay(winter, i)).toBeGreaterThan(2 * perDay(summer, i));
  });

  it('water meter: hourly consumption with a night minimum; the hourly log agrees with the register', () => {
    let night = 0;
    let evening = 0;
    for (let i = 0; i < 10; i++) {
      const rng = new Random(`water-${i}`);
      const model = new WaterMeter({ ...randomWaterMeterParams(rng.fork('params')), leak: undefined }, winter, rng.fork('physics'));
      const samples = trace(model, () => ({ ...model.read(), log: model.hourlyLog(16) }), winter, 7, HOUR_MS);
      for (let j = 1; j < samples.length; j++) {
        const [a, b] = [samples[j - 1]!.value, samples[j]!.value];
        expect(b.volumeL).toBeGreaterThanOrEqual(a.volumeL);
        expect(b.statusFlags).toBe(0);
        const hour = localTime(samples[j - 1]!.t).hour;
        if (hour >= 2 && hour < 4) night += b.volumeL - a.volumeL;
        if (hour >= 18 && hour < 20) evening += b.volumeL - a.volumeL;
        expect(b.log.litres).toHaveLength(16);
        expect(b.log.startMs % HOUR_MS).toBe(0);
        for (let k = 1; k < 16; k++) expect(b.log.litres[k]!).toBeGreaterThanOrEqual(b.log.litres[k - 1]!);
        expect(b.log.litres.at(-1)).toBe(b.volumeL); // sampled at full hours
      }
    }
    expect(evening).toBeGreaterThan(5 * night);
    expect(night).toBeGreaterThan(0);
  });

  it('water meter: a leak raises the flow and, after a day, the leak alarm', () => {
    const rng = new Random('leak');
    const params = { litresPerDay: 300, initialLitres: 1000, leak: { afterH: 10, litresPerHour: 20 } };
    const leaking = new WaterMeter(params, winter, rng.fork('physics'));
    const dry = new WaterMeter({ ...params, leak: undefined }, winter, new Random('leak').fork('physics'));
    leaking.advanceTo(winter + 33 * HOUR_MS);
    expect(leaking.read()).toMatchObject({ leaking: true, statusFlags: 0 });
    leaking.advanceTo(winter + 35 * HOUR_MS);
    dry.advanceTo(winter + 35 * HOUR_MS);
    expect(leaking.read().statusFlags).toBe(leakStatus);
    expect(leakStatus).toBe(0x30);
    expect(leaking.read().volumeL - dry.read().volumeL).toBeGreaterThan(20 * 25 * 0.9);
  });
});

describe('door', () => {
  function door(seed: string, alarmAfterS?: number): Door {
    const rng = new Random(seed);
    return new Door(randomDoorParams(rng.fork('params'), alarmAfterS), winter, rng.fork('physics'));
  }

  it('opens and closes: the count rises, durations are recorded, events come in time order', () => {
    for (let i = 0; i < 10; i++) {
      const model = door(`door-${i}`, 1800);
      const start = model.read().openCount;
      let last = winter;
      let opens = 0;
      let closes = 0;
      let alarms = 0;
      let previous = model.read();
      while (last < winter + 14 * DAY_MS) {
        const next = model.nextEventMs();
        expect(next).toBeGreaterThan(last);
        model.advanceTo(next);
        last = next;
        const state = model.read();
        expect(state.openCount).toBeGreaterThanOrEqual(previous.openCount);
        if (state.open && !previous.open) opens++;
        if (!state.open && previous.open) {
          closes++;
          expect(state.lastOpenDurationS).toBeGreaterThan(0);
        }
        if (state.alarm) {
          alarms++;
          expect(state.open).toBe(true);
        }
        previous = state;
      }
      expect(opens).toBeGreaterThan(7);
      expect(Math.abs(opens - closes)).toBeLessThanOrEqual(1);
      expect(model.read().openCount - start).toBe(opens);
      expect(alarms).toBeLessThan(opens);
    }
  });

  it('is used more on weekday daytime than at night', () => {
    let day = 0;
    let night = 0;
    for (let i = 0; i < 10; i++) {
      const model = door(`use-${i}`);
      let count = model.read().openCount;
      for (let t = winter; t < winter + 5 * DAY_MS; t += HOUR_MS) {
        model.advanceTo(t + HOUR_MS);
        const hour = localTime(t).hour;
        const added = model.read().openCount - count;
        count = model.read().openCount;
        if (hour >= 8 && hour < 16) day += added;
        if (hour >= 0 && hour < 5) night += added;
      }
    }
    expect(day).toBeGreaterThan(5 * night);
  });

  it('gives the same history however it is advanced', () => {
    const a = door('same');
    const b = door('same');
    a.advanceTo(winter + 3 * DAY_MS);
    for (let t = winter; t <= winter + 3 * DAY_MS; t += 61_000) b.advanceTo(t);
    b.advanceTo(winter + 3 * DAY_MS);
    expect(b.read()).toEqual(a.read());
  });
});

describe('battery and radio', () => {
  it('batteries drain slowly and never recharge', () => {
    for (let i = 0; i < 20; i++) {
      const battery = Battery.random(new Random(`battery-${i}`), winter);
      let previous = battery.percentAt(winter);
      for (let day = 1; day <= 60; day++) {
        const now = battery.percentAt(winter + day * DAY_MS);
        expect(now).toBeLessThanOrEqual(previous);
        previous = now;
      }
      expect(battery.percentAt(winter) - battery.percentAt(winter + 30 * DAY_MS)).toBeLessThan(2);
      for (const chemistry of [lithiumThionylChloride, alkalineAaaPair]) {
        const volts = battery.volts(winter, chemistry);
        expect(volts).toBeGreaterThanOrEqual(chemistry.emptyV);
        expect(volts).toBeLessThanOrEqual(chemistry.fullV);
      }
    }
  });

  it('RSSI and SNR vary around a per-device link, within what LoRa receivers report', () => {
    const link = new RadioLink(new Random('radio'), ['0200000000000001', '0200000000000002']);
    const samples = Array.from({ length: 500 }, () => link.sample());
    const rssi = samples.map((s) => s.receptions[0]!.rssiDbm);
    expect(new Set(rssi).size).toBeGreaterThan(5);
    expect(Math.max(...rssi) - Math.min(...rssi)).toBeLessThan(25);
    for (const sample of samples) {
      for (const rx of sample.receptions) {
        expect(rx.rssiDbm).toBeGreaterThanOrEqual(-137);
        expect(rx.rssiDbm).toBeLessThanOrEqual(-30);
        expect(rx.snrDb).toBeGreaterThanOrEqual(-20);
        expect(rx.snrDb).toBeLessThanOrEqual(13.5);
      }
      expect(sample.receptions[1]?.rssiDbm ?? -200).toBeLessThan(sample.receptions[0]!.rssiDbm);
      expect(sample.dataRate).toBe(12 - sample.spreadingFactor);
    }
    expect(samples.some((s) => s.receptions.length === 2)).toBe(true);
  });
});
