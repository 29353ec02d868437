import { describe, expect, it } from 'vitest';
import { newRecordId, stableRecordId } from '../../../firmware-profiles/src/index.js';

describe('newRecordId', () => {
  it('makes RFC 9562 version 7 UUIDs carrying the time', () => {
    const id = newRecordId(Date.UTC(2026, 10, 24, 8, 0, 0));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBeGreaterThanOrEqual(Date.UTC(2026, 10, 24, 8, 0, 0));
  });

  it('sorts in creation order, also within one millisecond', () => {
    const now = Date.now() + 10_000;
    const ids = Array.from({ length: 10_000 }, () => newRecordId(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('stableRecordId', () => {
  it('gives the same UUIDv7 for the same message, and another for another', () => {
    const time = Date.parse('2026-11-24T08:00:00.123Z');
    const first = stableRecordId(time, 'chirpstack:3ac7e3c4-4401-4b8d-9386-a5c902f9202d#0');
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stableRecordId(time, 'chirpstack:3ac7e3c4-4401-4b8d-9386-a5c902f9202d#0')).toBe(first);
    expect(stableRecordId(time, 'chirpstack:3ac7e3c4-4401-4b8d-9386-a5c902f9202d#1')).not.toBe(first);
    expect(Number.parseInt(first.slice(0, 8) + first.slice(9, 13), 16)).toBe(time);
  });
});
