import type { StandardId } from '../../../standards/src/index.js';
import type { SeriesSpec, ValueSpec } from '../format/profile-schema.js';
import { type Constants, newObservationLiteral, num, readExpr, typeSize } from './codegen.js';
import { emitValue, implausibleTime, targetExpr } from './emit-value.js';

interface StructLayout {
  minLength: number;
  maxLength?: number | undefined;
  values: ValueSpec[];
  reserved: { at: number; length: number }[];
  series?: SeriesSpec | undefined;
}

function seriesEnd(series: SeriesSpec): number {
  const { deltas } = series;
  return deltas.type ? deltas.at + deltas.count * typeSize[deltas.type] : deltas.at + Math.ceil((deltas.count * deltas.bitWidth!) / 8);
}

/**
 * A series: one observation per point, cumulative value = start + the deltas so far, each timed
 * `intervalS` after the previous. Deltas the payload is too short for are simply not there.
 */
function emitSeries(series: SeriesSpec, standardRef: string, k: Constants): string {
  const { start, startTime, deltas } = series;
  const value = series.scale === 1 ? 'acc' : Number.isInteger(1 / series.scale) ? `acc / ${num(1 / series.scale)}` : `acc * ${num(series.scale)}`;
  const point = (time: string) =>
    `{ const h = ${newObservationLiteral(standardRef)}; h.observedAt = new Date((${time}) * 1000).toISOString(); ${targetExpr('h', series.field)} = ${value}; observations.push(h); }`;
  const delta = deltas.type
    ? { fits: `${num(deltas.at)} + (j + 1) * ${num(typeSize[deltas.type])} <= n`, read: readExpr(deltas.type, `${num(deltas.at)} + j * ${num(typeSize[deltas.type])}`) }
    : { fits: `${num(deltas.at * 8)} + (j + 1) * ${num(deltas.bitWidth!)} <= n * 8`, read: `bitsLe(b, ${num(deltas.at * 8)} + j * ${num(deltas.bitWidth!)}, ${num(deltas.bitWidth!)})` };
  const badTime = k.ref(`invalid-device-time:${series.field}`);
  const skipped = k.ref(`: series skipped, its start time is not believable`);
  return `if (n >= ${num(Math.max(start.at + typeSize[start.type], startTime.at + 4))}) {
  const t0 = Math.floor(${readExpr(startTime.type, num(startTime.at))} / ${num(startTime.floorTo)}) * ${num(startTime.floorTo)} + ${num(startTime.offsetS)};
  if ${implausibleTime('t0')} { (w ??= []).push(${badTime} + ${skipped}); }
  else {
    let acc = ${readExpr(start.type, num(start.at))};
    ${point('t0')}
    for (let j = 0; j < ${num(deltas.count)} && ${delta.fits}; j++) {
      acc += ${delta.read};
      ${point(`t0 + (j + 1) * ${num(deltas.intervalS)}`)}
    }
  }
}`;
}

/** Body of a decoder for a fixed layout. `where` names the profile and fPort in refusal messages. */
export function emitStruct(layout: StructLayout, standard: StandardId, standardRef: string, where: string, k: Constants): string {
  const lines: string[] = [];
  const fail = k.ref(where);
  lines.push(
    `if (n < ${num(layout.minLength)}) throw fail('truncated', 'payload is ' + n + ' bytes; ' + ${fail} + ' needs at least ${num(layout.minLength)}');`,
  );
  if (layout.maxLength !== undefined) {
    lines.push(
      `if (n > ${num(layout.maxLength)}) throw fail('wrong-length', 'payload is ' + n + ' bytes; ' + ${fail} + ' takes at most ${num(layout.maxLength)}');`,
    );
  }
  let covered = 0;
  for (const spec of layout.values) {
    const end = spec.at + typeSize[spec.type];
    covered = Math.max(covered, end);
    const code = emitValue(spec, 0, 'o', k, standard);
    // Values past minLength are optional: read only when the payload is long enough.
    lines.push(end > layout.minLength ? `if (n >= ${num(end)}) { ${code} }` : code);
  }
  for (const known of layout.reserved) covered = Math.max(covered, known.at + known.length);
  if (layout.series) {
    lines.push(emitSeries(layout.series, standardRef, k));
    covered = Math.max(covered, seriesEnd(layout.series));
  }
  const note = k.ref(` bytes past the profile's layout kept undecoded (from byte ${covered})`);
  lines.push(`if (n > ${num(covered)}) { (u ??= []).push({ offset: ${num(covered)}, hex: hexOf(b, ${num(covered)}, n) }); (w ??= []).push((n - ${num(covered)}) + ${note}); }`);
  return lines.join('\n');
}
