import type { StandardId } from '../../../standards/src/index.js';
import type { CodecProfile, DeclarativeProfile, Layout, ValueSpec } from '../format/profile-schema.js';
import { checkConstant, fieldKind, writableFields } from './field-kinds.js';
import type { ProfileProblem } from './profile-error.js';

/** Every field a profile writes must exist in its standard and take the kind of value written. */
export function checkTargets(profile: DeclarativeProfile | CodecProfile): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const unknown = (standard: StandardId, path: string, field: string) =>
    problems.push({
      path,
      message: `${field} is not a field of ${standard} (fields: ${writableFields(standard).join(', ')}; device.batteryPercent, device.batteryV, device.rssiDbm, device.snrDb; observedAt)`,
    });

  const checkValue = (standard: StandardId, path: string, spec: ValueSpec) => {
    const kind = fieldKind(standard, spec.field);
    if (kind === undefined) return unknown(standard, `${path}.field`, spec.field);
    const writes = spec.timestamp ? 'time' : spec.boolean ? 'boolean' : spec.map ? undefined : 'number';
    if (writes && writes !== kind) {
      problems.push({ path: `${path}.field`, message: `${spec.field} takes a ${kind} value; this spec writes a ${writes}` });
    }
    for (const [raw, value] of Object.entries(spec.map ?? {})) {
      if (typeof value !== kind) problems.push({ path: `${path}.map.${raw}`, message: `${spec.field} takes a ${kind} value, not ${JSON.stringify(value)}` });
    }
  };

  profile.uplinks.forEach((uplink, u) => {
    const base = `uplinks[${u}]`;
    for (const [field, value] of Object.entries(uplink.set ?? {})) {
      const problem = checkConstant(uplink.standard, field, value);
      if (problem) problems.push({ path: `${base}.set.${field}`, message: problem });
    }
    if ('fields' in uplink) {
      for (const field of Object.keys(uplink.fields)) {
        if (fieldKind(uplink.standard, field) === undefined) unknown(uplink.standard, `${base}.fields.${field}`, field);
      }
      return;
    }
    const layouts = uplink.layout ? [{ layout: uplink.layout, at: `${base}.layout` }] : (uplink.frames ?? []).map((frame, f) => ({ layout: frame.layout, at: `${base}.frames[${f}].layout` }));
    for (const { layout, at } of layouts) checkLayout(uplink.standard, layout, at);
  });

  function checkLayout(standard: StandardId, { struct, channels, mbus }: Layout, at: string) {
    struct?.values.forEach((spec, v) => checkValue(standard, `${at}.struct.values[${v}]`, spec));
    if (struct?.series && fieldKind(standard, struct.series.field) !== 'number') {
      problems.push({ path: `${at}.struct.series.field`, message: `${struct.series.field} is not a numeric field of ${standard}` });
    }
    channels?.forEach((record, c) =>
      record.values.forEach((spec, v) => checkValue(standard, `${at}.channels[${c}].values[${v}]`, spec)),
    );
    mbus?.records.forEach((record, r) => {
      const kind = fieldKind(standard, record.field);
      const path = `${at}.mbus.records[${r}].field`;
      if (kind === undefined) unknown(standard, path, record.field);
      const expected = record.quantity === 'dateTime' ? 'time' : record.quantity === 'fabricationNumber' ? 'string' : 'number';
      if (kind !== undefined && kind !== expected) problems.push({ path, message: `${record.quantity} gives a ${expected}; ${record.field} takes a ${kind}` });
    });
  }

  if ('json' in profile && profile.json) {
    const { standard, fields, set } = profile.json;
    for (const field of Object.keys(fields)) {
      if (fieldKind(standard, field) === undefined) unknown(standard, `json.fields.${field}`, field);
    }
    for (const [field, value] of Object.entries(set ?? {})) {
      const problem = checkConstant(standard, field, value);
      if (problem) problems.push({ path: `json.set.${field}`, message: problem });
    }
  }

  const ports = new Map<number, number>();
  profile.uplinks.forEach((uplink, u) => {
    for (const port of [uplink.fPort].flat()) {
      const first = ports.get(port);
      if (first !== undefined) problems.push({ path: `uplinks[${u}].fPort`, message: `fPort ${port} is already described by uplinks[${first}]` });
      else ports.set(port, u);
    }
  });
  return problems;
}
