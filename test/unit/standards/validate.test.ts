import { describe, expect, it } from 'vitest';
import { validateRecord } from '../../../standards/src/index.js';

const base = {
  id: '0190a6e2-3b4c-7d5e-8f60-718293a4b5c6',
  kommune: '0751',
  deviceId: 'a84041000181c061',
  gatewayId: 'gw-aarhus-1',
  observedAt: '2026-11-24T08:00:00Z',
  receivedAt: '2026-11-24T08:00:01.250Z',
  quality: 'good',
};

describe('validateRecord', () => {
  it('accepts a complete record of each standard', () => {
    const records = [
      { ...base, standard: 'fill-level/1', distanceMm: 2116, fillLevel: 0.15, tilted: false, device: { batteryPercent: 92 } },
      { ...base, standard: 'water-level/1', waterDepthM: 0.02, levelM: 1.27, datum: 'DVR90' },
      { ...base, standard: 'meter-reading/1', meterType: 'heat', energyKWh: 2616752, meterId: '66031129' },
      { ...base, standard: 'door-lock/1', doorOpen: true, openCount: 37 },
    ];
    for (const record of records) expect(validateRecord(record), record.standard).toEqual({ ok: true, record });
  });

  it('needs a measurement unless the record is bad', () => {
    const noDistance = validateRecord({ ...base, standard: 'fill-level/1', tilted: true });
    expect(noDistance).toMatchObject({ ok: false, reason: expect.stringContaining('distanceMm') });
    const bad = validateRecord({ ...base, standard: 'water-level/1', quality: 'bad', qualityFlags: ['probe-failure:waterDepthM'] });
    expect(bad.ok).toBe(true);
  });

  it('names the failing field', () => {
    expect(validateRecord({ ...base, standard: 'fill-level/1', distanceMm: -5 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^distanceMm: /),
    });
    expect(validateRecord({ ...base, kommune: '751', standard: 'door-lock/1', doorOpen: true })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('kommune'),
    });
    expect(validateRecord({ ...base, standard: 'door-lock/1', doorOpen: true, colour: 'red' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('colour'),
    });
    expect(validateRecord({ ...base, standard: 'noise/1' })).toMatchObject({ ok: false, reason: expect.stringContaining('noise/1') });
    expect(validateRecord(null)).toMatchObject({ ok: false });
  });

  it('wants UUIDv7 ids and UTC timestamps', () => {
    expect(validateRecord({ ...base, id: '0190a6e2-3b4c-4d5e-8f60-718293a4b5c6', standard: 'door-lock/1', locked: true }).ok).toBe(false);
    expect(validateRecord({ ...base, observedAt: '2026-11-24T09:00:00+01:00', standard: 'door-lock/1', locked: true }).ok).toBe(false);
  });
});
