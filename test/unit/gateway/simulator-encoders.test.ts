import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledProfile, type Decoded, flattenObservation, loadProfiles } from '../../../firmware-profiles/src/index.js';
import {
  type EncodedUplink,
  encoders,
  type QalcosonicW1State,
  type SimulatedProfileId,
  simulatedProfileIds,
} from '../../../gateway/src/simulator/encoders/index.js';

let profiles: Map<string, CompiledProfile>;

beforeAll(async () => {
  const loaded = await loadProfiles();
  expect(loaded.errors.map((error) => error.message)).toEqual([]);
  profiles = loaded.profiles;
});
afterAll(() => {
  for (const profile of profiles?.values() ?? []) profile.dispose();
});

/** Decodes with the real compiled profile; a refusal fails the test with its reason. */
function decode(profile: SimulatedProfileId, uplink: EncodedUplink, receivedAtMs = Date.parse('2025-06-01T12:00:00Z')): Decoded {
  const outcome = profiles.get(profile)!.decode({ fPort: uplink.fPort, bytes: uplink.bytes, receivedAtMs });
  if (!outcome.ok) throw new Error(`${profile} refused ${Buffer.from(uplink.bytes).toString('hex')}: ${outcome.reason}`);
  return outcome;
}

/** The one observation of a payload, flattened to record paths; no warnings, nothing left undecoded. */
function single(profile: SimulatedProfileId, uplink: EncodedUplink): Record<string, unknown> {
  const decoded = decode(profile, uplink);
  expect(decoded.warnings).toEqual([]);
  expect(decoded.undecoded).toEqual([]);
  expect(decoded.observations).toHaveLength(1);
  return flattenObservation(decoded.observations[0]!);
}

const battery = fc.integer({ min: 0, max: 100 });
const runs = { numRuns: 300 };

describe('simulator encoders: every state survives encode → real profile decode', () => {
  it('covers the eight profiles, and the repository has a profile for each', () => {
    expect(simulatedProfileIds.sort()).toEqual(
      [
        'axioma-qalcosonic-w1',
        'dragino-ldds75',
        'dragino-lds02',
        'elvaco-cmi4110',
        'milesight-em300-di',
        'milesight-em310-udl',
        'milesight-em500-swl',
        'milesight-ws301',
      ].sort(),
    );
    for (const id of simulatedProfileIds) expect(profiles.has(id), id).toBe(true);
  });

  it('milesight-em310-udl: battery, distance, tilt', () => {
    fc.assert(
      fc.property(battery, fc.integer({ min: 20, max: 5000 }), fc.boolean(), (batteryPercent, distanceMm, tilted) => {
        const uplink = encoders['milesight-em310-udl']({ batteryPercent, distanceMm, tilted });
        expect(uplink.fPort).toBe(85);
        expect(single('milesight-em310-udl', uplink)).toEqual({
          standard: 'fill-level/1',
          quality: 'good',
          distanceMm,
          tilted,
          'device.batteryPercent': batteryPercent,
        });
      }),
      runs,
    );
  });

  it('milesight-em500-swl: battery, depth in cm', () => {
    fc.assert(
      fc.property(battery, fc.integer({ min: 0, max: 0xfffc }), (batteryPercent, cm) => {
        const uplink = encoders['milesight-em500-swl']({ batteryPercent, waterDepthM: cm / 100 });
        expect(single('milesight-em500-swl', uplink)).toEqual({
          standard: 'water-level/1',
          quality: 'good',
          waterDepthM: cm / 100,
          'device.batteryPercent': batteryPercent,
        });
      }),
      runs,
    );
  });

  it('milesight-em300-di: battery and pulse count decoded; temperature and humidity in their channels', () => {
    fc.assert(
      fc.property(
        battery,
        fc.integer({ min: -400, max: 850 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (batteryPercent, deciC, halfPercent, pulseCount) => {
          const uplink = encoders['milesight-em300-di']({ batteryPercent, temperatureC: deciC / 10, humidityPercent: halfPercent / 2, pulseCount });
          expect(single('milesight-em300-di', uplink)).toEqual({
            standard: 'meter-reading/1',
            quality: 'good',
            meterType: 'pulse',
            pulseCount,
            'device.batteryPercent': batteryPercent,
          });
          // the profile skips 03 67 and 04 68 (not meter readings): read them as the user guide defines them
          const b = Buffer.from(uplink.bytes);
          expect(b.subarray(3, 5).toString('hex')).toBe('0367');
          expect(b.readInt16LE(5) / 10).toBe(deciC / 10);
          expect(b.subarray(7, 9).toString('hex')).toBe('0468');
          expect(b[9]! / 2).toBe(halfPercent / 2);
        },
      ),
      runs,
    );
  });

  it('milesight-ws301: battery, door, tamper', () => {
    fc.assert(
      fc.property(battery, fc.boolean(), fc.boolean(), (batteryPercent, doorOpen, tamper) => {
        expect(single('milesight-ws301', encoders['milesight-ws301']({ batteryPercent, doorOpen, tamper }))).toEqual({
          standard: 'door-lock/1',
          quality: 'good',
          doorOpen,
          tamper,
          'device.batteryPercent': batteryPercent,
        });
      }),
      runs,
    );
  });

  it('dragino-ldds75: battery V, distance, probe temperature (0.0 °C is the sensor’s "no probe")', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2500, max: 3700 }),
        fc.integer({ min: 280, max: 7500 }),
        fc.option(fc.integer({ min: -550, max: 1250 }), { nil: undefined }),
        (mV, distanceMm, deciC) => {
          const uplink = encoders['dragino-ldds75']({ batteryV: mV / 1000, distanceMm, temperatureC: deciC === undefined ? undefined : deciC / 10 });
          expect(uplink.fPort).toBe(2);
          expect(uplink.bytes).toHaveLength(8);
          const decoded = decode('dragino-ldds75', uplink);
          expect(decoded.observations).toHaveLength(1);
          // bytes 4 (interrupt flag) and 7 (sensor flag) are known to the profile, mapped to no field
          expect(decoded.undecoded).toEqual([]);
          expect(decoded.warnings).toEqual([]);
          expect(flattenObservation(decoded.observations[0]!)).toEqual({
            standard: 'fill-level/1',
            quality: 'good',
            distanceMm,
            ...(deciC === undefined || deciC === 0 ? {} : { temperatureC: deciC / 10 }),
            'device.batteryV': mV / 1000,
          });
        },
      ),
      runs,
    );
  });

  it('dragino-lds02: door, battery V, open count, last open duration (minutes), alarm', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 2100, max: 3700 }),
        fc.integer({ min: 0, max: 0xffffff }),
        fc.integer({ min: 0, max: 0xffffff }),
        fc.boolean(),
        (doorOpen, mV, openCount, minutes, alarm) => {
          const uplink = encoders['dragino-lds02']({ doorOpen, batteryV: mV / 1000, openCount, lastOpenDurationS: minutes * 60, alarm });
          expect(uplink.fPort).toBe(10);
          expect(single('dragino-lds02', uplink)).toEqual({
            standard: 'door-lock/1',
            quality: 'good',
            doorOpen,
            openCount,
            lastOpenDurationS: minutes * 60,
            alarm,
            'device.batteryV': mV / 1000,
          });
        },
      ),
      runs,
    );
  });

  it('elvaco-cmi4110: every M-Bus record, BCD both signs', () => {
    fc.assert(
      fc.property(
        fc.record({
          energy: fc.integer({ min: 0, max: 99_999_999 }),
          volume: fc.integer({ min: 0, max: 99_999_999 }),
          power: fc.integer({ min: -99_999, max: 999_999 }),
          flow: fc.integer({ min: -99_999, max: 999_999 }),
          flowTemp: fc.integer({ min: -200, max: 2000 }),
          returnTemp: fc.integer({ min: -200, max: 2000 }),
          serial: fc.integer({ min: 0, max: 99_999_999 }),
          errorFlags: fc.integer({ min: 0, max: 0x7fff }),
        }),
        (r) => {
          const meterId = String(r.serial).padStart(8, '0');
          const uplink = encoders['elvaco-cmi4110']({
            energyKWh: r.energy,
            volumeM3: r.volume / 100,
            powerKW: r.power / 10,
            flowM3h: r.flow / 1000,
            flowTempC: r.flowTemp / 10,
            returnTempC: r.returnTemp / 10,
            meterId,
            errorFlags: r.errorFlags,
          });
          expect(uplink.fPort).toBe(2);
          expect(single('elvaco-cmi4110', uplink)).toEqual({
            standard: 'meter-reading/1',
            quality: 'good',
            meterType: 'heat',
            energyKWh: r.energy,
            volumeM3: r.volume / 100,
            powerKW: r.power / 10,
            flowM3h: r.flow / 1000,
            flowTempC: r.flowTemp / 10,
            returnTempC: r.returnTemp / 10,
            meterId,
            errorFlags: r.errorFlags,
          });
        },
      ),
      runs,
    );
  });

  it('axioma-qalcosonic-w1: the current reading and 16 hourly log points', () => {
    const earliest = Date.UTC(2001, 0, 1) / 1000;
    const latest = Date.UTC(2099, 0, 1) / 1000;
    const state = fc
      .record({
        meterTimeS: fc.integer({ min: earliest, max: latest }),
        statusFlags: fc.integer({ min: 0, max: 0xff }),
        volumeL: fc.integer({ min: 0, max: 0xffffffff }),
        hoursBack: fc.integer({ min: 0, max: 24 * 365 }),
        logStartL: fc.integer({ min: 0, max: 0xffffffff - 15 * 0xffff }),
        deltas: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 15, maxLength: 15 }),
      })
      .map((r): QalcosonicW1State => {
        const logStartS = Math.max(Math.ceil(earliest / 3600), Math.floor(r.meterTimeS / 3600) - r.hoursBack) * 3600;
        const logVolumesL = [r.logStartL];
        for (const delta of r.deltas) logVolumesL.push(logVolumesL.at(-1)! + delta);
        return { meterTimeS: r.meterTimeS, statusFlags: r.statusFlags, volumeL: r.volumeL, logStartS, logVolumesL };
      });
    fc.assert(
      fc.property(state, (s) => {
        const uplink = encoders['axioma-qalcosonic-w1'](s);
        expect(uplink.fPort).toBe(100);
        expect(uplink.bytes).toHaveLength(47);
        const decoded = decode('axioma-qalcosonic-w1', uplink, s.meterTimeS * 1000);
        expect(decoded.warnings).toEqual([]);
        expect(decoded.undecoded).toEqual([]);
        const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
        expect(decoded.observations.map(flattenObservation)).toEqual([
          { standard: 'meter-reading/1', quality: 'good', meterType: 'water', observedAt: iso(s.meterTimeS), errorFlags: s.statusFlags, volumeM3: s.volumeL / 1000 },
          ...s.logVolumesL.map((litres, i) => ({
            standard: 'meter-reading/1',
            quality: 'good',
            meterType: 'water',
            observedAt: iso(s.logStartS + i * 3600),
            volumeM3: litres / 1000,
          })),
        ]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('simulator encoders: bytes', () => {
  const hex = (uplink: EncodedUplink) => Buffer.from(uplink.bytes).toString('hex').toUpperCase();

  it('reproduce the vendors’ example payloads of the profiles', () => {
    expect(hex(encoders['milesight-em310-udl']({ batteryPercent: 92, distanceMm: 2116, tilted: true }))).toBe('01755C03824408040001');
    expect(hex(encoders['milesight-em300-di']({ batteryPercent: 100, temperatureC: 24.6, humidityPercent: 80, pulseCount: 1000 }))).toBe(
      '0175640367F6000468A005C8E8030000',
    );
    expect(hex(encoders['dragino-ldds75']({ batteryV: 2.885, distanceMm: 2821, temperatureC: 26.1 }))).toBe('0B450B0500010501');
    expect(hex(encoders['dragino-ldds75']({ batteryV: 2.885, distanceMm: 1290 }))).toBe('0B45050A00000001');
    expect(hex(encoders['dragino-lds02']({ doorOpen: true, batteryV: 2.952, openCount: 37, lastOpenDurationS: 60, alarm: false }))).toBe(
      '8B880100002500000100',
    );
    expect(
      hex(
        encoders['elvaco-cmi4110']({
          energyKWh: 2616752,
          volumeM3: 9989.97,
          powerKW: 0,
          flowM3h: 0,
          flowTempC: 63.3,
          returnTempC: 54.1,
          meterId: '66031129',
          errorFlags: 0,
        }),
      ),
    ).toBe('000C06526761020C14978999000B2D0000000B3B0000000A5A33060A5E41050C782911036602FD170000');
  });

  it('round to the device’s resolution', () => {
    const uplink = encoders['milesight-em500-swl']({ batteryPercent: 99.6, waterDepthM: 1.234 });
    expect(hex(uplink)).toBe('0175640377' + '7B00');
    expect(hex(encoders['dragino-lds02']({ doorOpen: false, batteryV: 3, openCount: 1, lastOpenDurationS: 89, alarm: false })).slice(12, 18)).toBe('000001');
  });

  it('refuse what the layout cannot carry', () => {
    expect(() => encoders['milesight-em310-udl']({ batteryPercent: 101, distanceMm: 100, tilted: false })).toThrow(RangeError);
    expect(() => encoders['milesight-em310-udl']({ batteryPercent: 50, distanceMm: 70_000, tilted: false })).toThrow(/distanceMm/);
    expect(() => encoders['milesight-em500-swl']({ batteryPercent: 50, waterDepthM: 655.35 })).toThrow(RangeError); // 0xFFFF: probe failure
    expect(() => encoders['dragino-ldds75']({ batteryV: 3.3, distanceMm: 20 })).toThrow(/invalid reading/);
    expect(() => encoders['dragino-ldds75']({ batteryV: 3.3, distanceMm: Number.NaN })).toThrow(RangeError);
    expect(() => encoders['elvaco-cmi4110']({ energyKWh: 1e8, volumeM3: 0, powerKW: 0, flowM3h: 0, flowTempC: 60, returnTempC: 40, meterId: '1', errorFlags: 0 })).toThrow(
      /energyKWh/,
    );
    expect(() => encoders['elvaco-cmi4110']({ energyKWh: 1, volumeM3: 0, powerKW: 0, flowM3h: 0, flowTempC: 60, returnTempC: 40, meterId: 'A1', errorFlags: 0 })).toThrow(
      /meterId/,
    );
    const log = { meterTimeS: 1_700_000_000, statusFlags: 0, volumeL: 10, logStartS: 1_699_999_200, logVolumesL: Array.from({ length: 16 }, (_, i) => i) };
    expect(() => encoders['axioma-qalcosonic-w1'](log)).not.toThrow();
    expect(() => encoders['axioma-qalcosonic-w1']({ ...log, logStartS: log.logStartS + 1 })).toThrow(/full hour/);
    expect(() => encoders['axioma-qalcosonic-w1']({ ...log, logVolumesL: [...log.logVolumesL.slice(0, 15), 0] })).toThrow(RangeError); // a log never counts down
    expect(() => encoders['axioma-qalcosonic-w1']({ ...log, logVolumesL: log.logVolumesL.slice(1) })).toThrow(/16/);
  });
});
