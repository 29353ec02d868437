import { afterAll, describe, expect, it } from 'vitest';
import { buildRecords, checkVector, decodeVector } from '../../../firmware-profiles/src/index.js';
import { validateRecord } from '../../../standards/src/index.js';
import { repositoryProfiles } from './helpers.js';

const loaded = await repositoryProfiles();
afterAll(() => {
  for (const profile of loaded.profiles.values()) profile.dispose();
});

const models = [
  'milesight-em310-udl', 'milesight-em500-swl', 'milesight-em300-di', 'milesight-ws301',
  'dragino-ldds75', 'dragino-lds02', 'elvaco-cmi4110', 'axioma-qalcosonic-w1',
];

describe('the repository profiles', () => {
  it('all load without errors', () => {
    expect(loaded.errors.map((error) => error.message)).toEqual([]);
    expect([...loaded.profiles.keys()]).toEqual(expect.arrayContaining(models));
  });

  for (const id of models) {
    it(`${id}: its own vectors pass and give valid records`, () => {
      const profile = loaded.profiles.get(id)!;
      expect(profile.source.vectors.length).toBeGreaterThanOrEqual(3);
      for (const vector of profile.source.vectors) {
        expect(checkVector(profile, vector)).toEqual([]);
        if (vector.error !== undefined) continue;
        const params = profile.prepareParams(vector.params);
        if (!params.ok) throw new Error(params.reason);
        const receivedAt = vector.receivedAt ?? new Date().toISOString();
        const outcome = decodeVector(profile, { ...vector, receivedAt }, params.params);
        if (!outcome.ok) throw new Error(outcome.reason);
        const records = buildRecords(outcome.observations, outcome.undecoded, {
          kommune: '0751', deviceId: 'dev-1', gatewayId: 'gw-1', receivedAt: new Date(receivedAt).toISOString(), radio: { rssiDbm: -90, snrDb: 7.5 },
        });
        for (const record of records) expect(validateRecord(record), `${vector.hex}: ${JSON.stringify(record)}`).toMatchObject({ ok: true });
      }
    });
  }
});

describe('decoding details', () => {
  const decode = (id: string, fPort: number, hex: string, receivedAt = '2026-11-24T08:00:00Z') =>
    loaded.profiles.get(id)!.decode({ fPort, bytes: Buffer.from(hex, 'hex'), receivedAtMs: Date.parse(receivedAt) });

  it('keeps the bytes of an unknown Milesight channel and warns', () => {
    const outcome = decode('milesight-em310-udl', 85, '0382440807AA0102');
    expect(outcome).toMatchObject({ ok: true, undecoded: [{ offset: 4, hex: '07aa0102' }] });
    expect(outcome.warnings.join()).toContain('unknown channel 0x07/0xaa at byte 4');
  });

  it('times the water meter log hour by hour and sums the deltas', () => {
    const outcome = decode(
      'axioma-qalcosonic-w1',
      100,
      '0ea0355d302935000054c0345de7290000b800b900b800b800b800b900b800b800b800b800b800b800b900b900b900',
      '2019-07-22T11:38:00Z',
    );
    if (!outcome.ok) throw new Error(outcome.reason);
    const log = outcome.observations.slice(1);
    expect(log[0]).toMatchObject({ observedAt: '2019-07-21T19:00:00.000Z', fields: { volumeM3: 10.727 } });
    expect(log[15]).toMatchObject({ observedAt: '2019-07-22T10:00:00.000Z', fields: { volumeM3: 13.492 } });
  });

  it('unpacks the 14-bit deltas of the 24 h frame', () => {
    const outcome = decode(
      'axioma-qalcosonic-w1',
      100,
      '011fbfd05e30cd0f0800d4879e41865c1b42470d7283b8201608fec181981dd007f3919460218247b631784c1c9e87b8e17600',
      '2020-05-29T07:52:00Z',
    );
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.observations[16]!.fields.volumeM3).toBeCloseTo(560.639, 6);
    expect(outcome.observations[23]).toMatchObject({ observedAt: '2020-05-29T00:00:00.000Z' });
    expect(outcome.observations[23]!.fields.volumeM3).toBeCloseTo(573.662, 6);
  });

  it('refuses device times far in the future instead of trusting them', () => {
    const outcome = decode('axioma-qalcosonic-w1', 100, '41643A5E1077010000', '2019-01-01T00:00:00Z');
    expect(outcome).toMatchObject({ ok: true, observations: [{ observedAt: undefined, qualityFlags: ['invalid-device-time:observedAt'] }] });
  });

  it('rejects parameters that do not belong to the profile, naming them', () => {
    const em310 = loaded.profiles.get('milesight-em310-udl')!;
    expect(em310.prepareParams({ emptyDistanceMm: 2500, colour: 'red' })).toMatchObject({ ok: false, reason: expect.stringContaining('colour') });
    expect(em310.prepareParams({ emptyDistanceMm: 100, fullDistanceMm: 200 })).toMatchObject({ ok: false, reason: expect.stringContaining('emptyDistanceMm') });
    expect(em310.prepareParams({ emptyDistanceMm: 'far' })).toMatchObject({ ok: false });
  });
});
