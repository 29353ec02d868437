import type { StandardId } from '../../../standards/src/index.js';
import type { ValueSpec } from '../format/profile-schema.js';
import { type Constants, newObservationLiteral, num, typeSize } from './codegen.js';
import { emitValue } from './emit-value.js';

interface ChannelRecord {
  channel: number;
  type: number;
  length?: number | undefined;
  values: ValueSpec[];
  history: boolean;
}

const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

export function channelRecordLength(record: ChannelRecord): number {
  return record.length ?? Math.max(0, ...record.values.map((value) => value.at + typeSize[value.type]));
}

/**
 * Body of a decoder for Milesight-style payloads: records of [channel][type][data] to the end of
 * the payload, dispatched by one switch on (channel << 8 | type). An unknown channel ends the
 * parse (its length is unknown); the remaining bytes are kept undecoded with a warning.
 */
export function emitChannels(records: ChannelRecord[], standard: StandardId, standardRef: string, where: string, k: Constants): string {
  const whereRef = k.ref(where);
  const cases = records.map((record) => {
    const length = channelRecordLength(record);
    const label = `${hex2(record.channel)}/${hex2(record.type)}`;
    const truncated = k.ref(` needs ${length} data bytes after channel ${label} at byte `);
    const body: string[] = [
      `if (i + ${num(2 + length)} > n) throw fail('truncated', ${whereRef} + ${truncated} + i + ', payload is ' + n + ' bytes');`,
    ];
    if (record.history) {
      body.push(`{ const h = ${newObservationLiteral(standardRef)}; observations.push(h);`);
      body.push(...record.values.map((value) => emitValue(value, 'i + 2', 'h', k, standard)));
      body.push('}');
    } else {
      body.push(...record.values.map((value) => emitValue(value, 'i + 2', 'o', k, standard)));
    }
    body.push(`i += ${num(2 + length)}; break;`);
    return `case ${num((record.channel << 8) | record.type)}: {\n${body.join('\n')}\n}`;
  });
  const unknown = k.ref(': unknown channel ');
  return `
let i = 0;
while (i < n) {
  if (i + 1 === n) { (u ??= []).push({ offset: i, hex: hexOf(b, i, n) }); (w ??= []).push(${whereRef} + ': lone trailing byte at ' + i + ' kept undecoded'); break; }
  switch (b[i] << 8 | b[i + 1]) {
${cases.join('\n')}
  default:
    (u ??= []).push({ offset: i, hex: hexOf(b, i, n) });
    (w ??= []).push(${whereRef} + ${unknown} + hex2(b[i]) + '/' + hex2(b[i + 1]) + ' at byte ' + i + '; ' + (n - i) + ' bytes kept undecoded');
    i = n;
  }
}`;
}
