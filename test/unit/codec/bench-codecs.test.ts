import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecError, CodecSandbox } from '../../../firmware-profiles/src/codec/sandbox.js';

const CODECS = ['milesight-em310-udl', 'milesight-em300-di', 'elvaco-cmi4110'] as const;
type CodecName = (typeof CODECS)[number];

function codecSource(name: CodecName): string {
  return readFileSync(new URL(`../../bench/decode/codecs/${name}.js`, import.meta.url), 'utf8');
}

function uplink(hex: string, fPort = 85) {
  return { bytes: Uint8Array.from(Buffer.from(hex, 'hex')), fPort, recvTime: new Date('2024-05-01T12:00:00Z') };
}

const sandboxes = new Map<CodecName, CodecSandbox>();
function sb(name: CodecName): CodecSandbox {
  const sandbox = sandboxes.get(name);
  if (sandbox === undefined) throw new Error(`no sandbox for ${name}`);
  return sandbox;
}

beforeAll(async () => {
  for (const name of CODECS) sandboxes.set(name, await CodecSandbox.create(codecSource(name), 'ts013', name));
});

afterAll(() => {
  for (const sandbox of sandboxes.values()) sandbox.dispose();
});

describe('benchmark codecs in the sandbox', () => {
  it('milesight-em310-udl decodes battery, distance and position', () => {
    expect(sb('milesight-em310-udl').decode(uplink('01755C03824408040001'))).toEqual({
      data: { battery: 92, distance: 2116, position: 'tilt' },
      warnings: [],
    });
    expect(sb('milesight-em310-udl').decode(uplink('040000')).data).toEqual({ position: 'normal' });
  });

  it('milesight-em310-udl stops at an unknown channel with a warning', () => {
    const out = sb('milesight-em310-udl').decode(uplink('01755CFF0B01038244'));
    expect(out.data).toEqual({ battery: 92 });
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/unknown channel 0xff type 0x0b/);
  });

  it('milesight-em300-di decodes battery and pulse counter', () => {
    expect(sb('milesight-em300-di').decode(uplink('01755C05C800010000'))).toEqual({
      data: { battery: 92, pulse: 256 },
      warnings: [],
    });
  });

  it('milesight-em300-di decodes temperature, humidity and gpio', () => {
    // -1.5 C (0xFFF1 = -15), 45.5 %RH (91 / 2), gpio 1, pulse 0x01020304
    expect(sb('milesight-em300-di').decode(uplink('0367F1FF04685B05000105C804030201')).data).toEqual({
      temperature: -1.5,
      humidity: 45.5,
      gpio: 1,
      pulse: 0x01020304,
    });
    const truncated = sb('milesight-em300-di').decode(uplink('01755C05C80001'));
    expect(truncated.data).toEqual({ battery: 92 });
    expect(truncated.warnings[0]).toMatch(/truncated pulse record/);
  });

  it('elvaco-cmi4110 decodes the standard message', () => {
    const hex = '000C06526761020C14978999000B2D0000000B3B0000000A5A33060A5E41050C782911036602FD170000';
    expect(sb('elvaco-cmi4110').decode(uplink(hex, 2))).toEqual({
      data: {
        energy_kwh: 2616752,
        volume_m3: 9989.97,
        power_kw: 0,
        flow_m3h: 0,
        flow_temp_c: 63.3,
        return_temp_c: 54.1,
        serial: '66031129',
        error_flags: 0,
      },
      warnings: [],
    });
  });

  it('elvaco-cmi4110 skips stored values, reads DIFEs, and warns on truncation', () => {
    // Energy with DIF 0x8C + DIFE 0x10 (tariff 1): skipped. Energy DIF 0x04 int32 VIF 0x07 (10^4 Wh).
    const out = sb('elvaco-cmi4110').decode(uplink('008C1006010000000407E80300000C14'));
    expect(out.data).toEqual({ energy_kwh: 10000 });
    expect(out.warnings).toEqual([expect.stringMatching(/truncated record data/)]);
  });

  it('all three report an empty payload as a TS013 error', () => {
    for (const name of CODECS) {
      const error = (() => {
        try {
          sb(name).decode(uplink(''));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(CodecError);
      expect((error as CodecError).kind).toBe('codec-errors');
      expect((error as CodecError).message).toContain('empty payload');
    }
  });

  it('never fail on arbitrary payloads other than by reporting an empty one', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CODECS), fc.uint8Array({ minLength: 1, maxLength: 64 }), (name, bytes) => {
        const out = sb(name).decode({ bytes, fPort: 1, recvTime: new Date(0) });
        expect(typeof out.data).toBe('object');
        expect(Array.isArray(out.warnings)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
