import { dirname, join } from 'node:path';
import { type CompiledProfile, defaultProfilesDir, loadProfiles, type Observation } from '../../../firmware-profiles/src/index.js';
import { decodeCmi4110, decodeEm300Di, decodeEm310Udl } from './handwritten.js';

/**
 * Decoder throughput on one core, three ways over the same payloads: the compiled declarative
 * profile, the same layout as a TS013 JavaScript codec run per message in the QuickJS sandbox
 * (how ChirpStack and OS2iot decode), and a hand-written TypeScript decoder (the practical limit).
 * Each figure is the median of several rounds; ratios are taken between medians of the same run.
 */

interface Model {
  name: string;
  fPort: number;
  payloads: Uint8Array[];
  handwritten: (bytes: Uint8Array) => Observation[];
}

const hex = (value: string) => Uint8Array.from(Buffer.from(value, 'hex'));

const models: Model[] = [
  {
    name: 'milesight-em310-udl',
    fPort: 85,
    payloads: ['01755C03824408040001', '01755C03824408040000', '0382E803040000', '01756403828403040000'].map(hex),
    handwritten: decodeEm310Udl,
  },
  {
    name: 'milesight-em300-di',
    fPort: 85,
    payloads: ['01755C05C800010000', '0175640367F6000468A005C8E8030000', '05C8FFFFFF00'].map(hex),
    handwritten: decodeEm300Di,
  },
  {
    name: 'elvaco-cmi4110',
    fPort: 2,
    payloads: [
      '000C06526761020C14978999000B2D0000000B3B0000000A5A33060A5E41050C782911036602FD170000',
      '000C06748823000C14099850000B2D0801000B3B6201000A5A54090A5E79030C788851276702FD170000',
    ].map(hex),
    handwritten: decodeCmi4110,
  },
];

const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const receivedAtMs = Date.parse('2026-11-24T08:00:00Z');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// Results are kept (a ring of the last 1024) so the optimiser cannot drop the work of any decoder.
const kept: Observation[][] = new Array(1024);

/** Records per second: runs `decode` over the payloads for about `budgetMs`, `rounds` times; median. */
function measure(payloads: Uint8Array[], decodeOne: (bytes: Uint8Array) => Observation[], budgetMs: number): number {
  let sink = 0;
  let slot = 0;
  const decode = (bytes: Uint8Array) => {
    const observations = decodeOne(bytes);
    kept[slot++ & 1023] = observations;
    return observations.length;
  };
  for (let i = 0; i < 2_000; i++) sink += decode(payloads[i % payloads.length]!); // warm up / optimise
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let records = 0;
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsedNs = 0n;
    const budgetNs = BigInt(budgetMs) * 1_000_000n;
    while (elapsedNs < budgetNs) {
      for (let batch = 0; batch < 256; batch++) records += decode(payloads[calls++ % payloads.length]!);
      elapsedNs = process.hrtime.bigint() - start;
    }
    rates.push(records / (Number(elapsedNs) / 1e9));
  }
  if (sink < 0) console.log(sink);
  return median(rates);
}

function viaProfile(profile: CompiledProfile, fPort: number) {
  return (bytes: Uint8Array) => {
    const outcome = profile.decode({ fPort, bytes, receivedAtMs });
    if (!outcome.ok) throw new Error(`${profile.id}: ${outcome.reason}`);
    return outcome.observations;
  };
}

const format = (rate: number) => Math.round(rate).toLocaleString('en-US').replace(/,/g, ' ');

async function main(): Promise<void> {
  const compiled = await loadProfiles();
  const sandboxed = await loadProfiles(join(dirname(defaultProfilesDir()), 'test/bench/decode/codecs'));
  const errors = [...compiled.errors, ...sandboxed.errors];
  if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('\n'));

  console.log(`decode benchmark: one core, median of ${rounds} rounds, records/s`);
  const totals = { compiled: [] as number[], sandboxed: [] as number[], handwritten: [] as number[] };
  for (const model of models) {
    const profile = compiled.profiles.get(model.name)!;
    const codec = sandboxed.profiles.get(`bench-${model.name}`)!;
    const rates = {
      compiled: measure(model.payloads, viaProfile(profile, model.fPort), 300),
      sandboxed: measure(model.payloads, viaProfile(codec, model.fPort), 300),
      handwritten: measure(model.payloads, model.handwritten, 300),
    };
    totals.compiled.push(rates.compiled);
    totals.sandboxed.push(rates.sandboxed);
    totals.handwritten.push(rates.handwritten);
    console.log(
      `  ${model.name.padEnd(20)} compiled ${format(rates.compiled).padStart(11)}  sandboxed ${format(rates.sandboxed).padStart(8)}  handwritten ${format(rates.handwritten).padStart(11)}` +
        `  compiled/sandboxed ${(rates.compiled / rates.sandboxed).toFixed(0)}×  handwritten/compiled ${(rates.handwritten / rates.compiled).toFixed(2)}×`,
    );
  }
  for (const loaded of [compiled, sandboxed]) for (const profile of loaded.profiles.values()) profile.dispose();

  // Summary: geometric mean over the models (each model weighs the same whatever its speed).
  const geomean = (values: number[]) => Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);
  const summary = { compiled: geomean(totals.compiled), sandboxed: geomean(totals.sandboxed), handwritten: geomean(totals.handwritten) };
  console.log(
    `  targets: compiled ≥ 50× sandboxed (${(summary.compiled / summary.sandboxed).toFixed(0)}×), within 2× of hand-written (${(summary.handwritten / summary.compiled).toFixed(2)}×)`,
  );
  console.log(`decode: compiled ${Math.round(summary.compiled)}/s, sandboxed ${Math.round(summary.sandboxed)}/s, handwritten ${Math.round(summary.handwritten)}/s`);
}

await main();
