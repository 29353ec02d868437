import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compareExpected } from '../../firmware-profiles/src/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = `${root}dist/cli/main.js`;
const vectors = JSON.parse(readFileSync(new URL('../../../shared/vectors/decoder-vectors.json', import.meta.url), 'utf8')) as {
  cases: { profile: string; fPort: number; hex: string; params: Record<string, number>; standard?: string; expect?: Record<string, unknown>; error?: boolean }[];
};

interface Result { code: number; stdout: string; stderr: string }

async function sensorbro(args: string[], command = ['node', cli]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(command[0]!, [...command.slice(1), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A record as the vectors file names its values: top-level fields and `device.<field>`. */
function flatten(record: Record<string, unknown>): Record<string, unknown> {
  const { device, ...rest } = record as { device?: Record<string, unknown> };
  return { ...rest, ...Object.fromEntries(Object.entries(device ?? {}).map(([key, value]) => [`device.${key}`, value])) };
}

describe('sensorbro decode (the built CLI)', () => {
  it('is built', () => expect(existsSync(cli), 'run npm run build first').toBe(true));

  for (const vector of vectors.cases) {
    const params = Object.entries(vector.params).flatMap(([key, value]) => ['--param', `${key}=${value}`]);
    const args = ['decode', '--profile', vector.profile, '--fport', String(vector.fPort), '--hex', vector.hex, ...params];
    it(`${vector.profile} ${vector.hex}${vector.error ? ' is refused' : ''}`, async () => {
      const result = await sensorbro(args);
      if (vector.error) {
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/^error: /m);
        expect(result.stdout).toBe('');
        return;
      }
      expect(result.code, result.stderr).toBe(0);
      const records = JSON.parse(result.stdout) as Record<string, unknown>[];
      expect(records.length).toBeGreaterThanOrEqual(1);
      expect(records[0]!.standard).toBe(vector.standard);
      expect(compareExpected(flatten(records[0]!), vector.expect ?? {})).toEqual([]);
    });
  }

  it('answers through npx in the contract form', async () => {
    const result = await sensorbro(['decode', '--profile', 'milesight-em310-udl', '--fport', '85', '--hex', '01755C03824408', '--param', 'emptyDistanceMm=2500', '--kommune', '0751'], ['npx', '--no-install', 'sensorbro']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject([{ standard: 'fill-level/1', kommune: '0751', distanceMm: 2116, fillLevel: 0.1536 }]);
  });

  it('refuses bad arguments with usage and exit code 2', async () => {
    const result = await sensorbro(['decode', '--profile', 'milesight-em310-udl', '--fport', '85', '--hex', '0x1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--hex must be an even number of hex digits');
  });

  it('lists the profiles', async () => {
    const result = await sensorbro(['profiles', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const ids = (JSON.parse(result.stdout) as { id: string }[]).map((row) => row.id);
    expect(ids).toEqual(expect.arrayContaining([...new Set(vectors.cases.map((vector) => vector.profile)), 'axioma-qalcosonic-w1']));
  });
});
