import type { StandardId } from '../../../standards/src/index.js';
import type { ValueSpec } from '../format/profile-schema.js';
import { fieldLimits } from './field-kinds.js';
import { type Constants, num, readExpr } from './codegen.js';

/** Assignment target for a profile field name (already checked against the standard's fields). */
export function targetExpr(obs: string, field: string): string {
  if (field.startsWith('device.')) return `${obs}.device.${field.slice('device.'.length)}`;
  return `${obs}.fields.${field}`;
}

/** Code that marks the observation: flag it and lower its quality to at least 'suspect'. */
export function flagCode(obs: string, flagRef: string): string {
  return `(${obs}.qualityFlags ??= []).push(${flagRef}); if (${obs}.quality === 'good') ${obs}.quality = 'suspect';`;
}

/** Scaling as written in the profile; a divisor when the scale is 1/n, so that 0.1 scales exactly (633 → 63.3). */
function scaled(spec: ValueSpec, raw: string): string {
  let expr = raw;
  if (spec.scale !== undefined && spec.scale !== 1) {
    const divisor = 1 / spec.scale;
    expr = Number.isInteger(divisor) ? `${raw} / ${num(divisor)}` : `${raw} * ${num(spec.scale)}`;
  }
  if (spec.offset !== undefined && spec.offset !== 0) expr = `${expr} + ${num(spec.offset)}`;
  return expr;
}

const earliestDeviceTime = Date.UTC(2000, 0, 1) / 1000;

/** Condition (on seconds expression `t`) under which a device clock reading is not believable. */
export function implausibleTime(t: string): string {
  return `(${t} < ${num(earliestDeviceTime)} || ${t} * 1000 > now + 86400000)`;
}

/**
 * Code reading one value into observation `obs`, from `spec.at` bytes past `base` (a constant
 * offset, or an index variable): sentinel check, transform (scale/offset, boolean, map,
 * timestamp), the standard's bounds (outside: impossible, dropped), the sensor's range (outside:
 * suspect), assignment. Expects locals b, r, v, w, now.
 */
export function emitValue(spec: ValueSpec, base: number | string, obs: string, k: Constants, standard: StandardId): string {
  const at = typeof base === 'number' ? num(base + spec.at) : spec.at === 0 ? base : `${base} + ${num(spec.at)}`;
  let raw = readExpr(spec.type, at);
  if (spec.bits) {
    const [low, width] = spec.bits;
    raw = width === 32 ? `(${raw} >>> ${low})` : `((${raw} >>> ${low}) & ${num(2 ** width - 1)})`;
  }
  const lines = [`r = ${raw};`];
  const checks = [
    ...(spec.absent ?? []).map((value) => `(r === ${num(value)}) {}`),
    ...(spec.sentinels ?? []).map((sentinel) => `(r === ${num(sentinel.raw)}) { ${flagCode(obs, k.ref(`${sentinel.flag}:${spec.field}`))} }`),
  ];
  checks.forEach((check, index) => lines.push(`${index === 0 ? 'if' : 'else if'} ${check}`));
  const target = targetExpr(obs, spec.field);
  const assign: string[] = [];
  if (spec.boolean) {
    assign.push(`${target} = r !== 0;`);
  } else if (spec.map) {
    const map = k.ref(new Map(Object.entries(spec.map).map(([key, value]) => [Number(key), value])));
    const warning = k.ref(`${spec.field}: raw value not in the profile's map: `);
    assign.push(`v = ${map}.get(r);`, `if (v === undefined) (w ??= []).push(${warning} + r); else ${target} = v;`);
  } else if (spec.timestamp) {
    const flag = k.ref(`invalid-device-time:${spec.field}`);
    assign.push(
      `if ${implausibleTime('r')} { ${flagCode(obs, flag)} }`,
      `else ${obs}.observedAt = new Date(r * 1000).toISOString();`,
    );
  } else {
    assign.push(`v = ${scaled(spec, 'r')};`);
    const limits = fieldLimits(standard, spec.field);
    const impossible = k.ref(`impossible:${spec.field}`);
    assign.push(`if (v < ${num(limits[0])} || v > ${num(limits[1])}) { ${flagCode(obs, impossible)} } else {`);
    if (spec.range) {
      const flag = k.ref(`out-of-range:${spec.field}`);
      assign.push(`if (v < ${num(spec.range[0])} || v > ${num(spec.range[1])}) { ${flagCode(obs, flag)} }`);
    }
    assign.push(`${target} = v; }`);
  }
  lines.push(checks.length > 0 ? `else { ${assign.join(' ')} }` : assign.join('\n'));
  return lines.join('\n');
}
