import type { StandardId } from '../../../standards/src/index.js';
import { fieldKind, fieldLimits } from '../compile/field-kinds.js';
import { flagObservation, type Observation } from '../compile/observation.js';
import type { FieldMapEntry } from '../format/profile-schema.js';

type Apply = (data: Record<string, unknown>, o: Observation, warnings: string[]) => void;

function pick(data: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = data;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}


/**
 * Compiles the declarative map from a JavaScript codec's `data` to record fields. Values of the
 * wrong type are skipped with a warning; nothing from the codec is trusted as a record as it is.
 */
export function compileFieldMap(standard: StandardId, fields: Record<string, FieldMapEntry>): Apply {
  const steps = Object.entries(fields).map(([target, entry]) => {
    const spec = typeof entry === 'string' ? { from: entry } : entry;
    const path = spec.from.split('.');
    const kind = fieldKind(standard, target);
    const [min, max] = kind === 'number' ? fieldLimits(standard, target) : [0, 0];
    const isDevice = target.startsWith('device.');
    const name = isDevice ? target.slice('device.'.length) : target;
    return (data: Record<string, unknown>, o: Observation, warnings: string[]) => {
      const raw = pick(data, path);
      if (raw === undefined || raw === null) return;
      let value: unknown = raw;
      if (spec.equals !== undefined) value = raw === spec.equals;
      else if (kind === 'number') {
        if (typeof raw !== 'number' || !Number.isFinite(raw)) {
          warnings.push(`codec output ${spec.from}: expected a number for ${target}, got ${JSON.stringify(raw).slice(0, 40)}`);
          return;
        }
        value = spec.scale === undefined ? raw : raw * spec.scale;
        if ((value as number) < min || (value as number) > max) {
          flagObservation(o, `impossible:${target}`);
          return;
        }
        if (spec.range && ((value as number) < spec.range[0] || (value as number) > spec.range[1])) flagObservation(o, `out-of-range:${target}`);
      } else if (kind === 'boolean') {
        if (typeof raw === 'number' && (raw === 0 || raw === 1)) value = raw === 1;
        else if (typeof raw !== 'boolean') {
          warnings.push(`codec output ${spec.from}: expected a boolean for ${target}, got ${JSON.stringify(raw).slice(0, 40)}`);
          return;
        }
      } else if (kind === 'string') {
        if (typeof raw === 'number') value = String(raw);
        else if (typeof raw !== 'string') {
          warnings.push(`codec output ${spec.from}: expected text for ${target}, got ${typeof raw}`);
          return;
        }
      } else if (kind === 'time') {
        const time = typeof raw === 'string' || typeof raw === 'number' ? new Date(raw) : undefined;
        if (!time || Number.isNaN(time.getTime())) {
          flagObservation(o, 'invalid-device-time:observedAt');
          return;
        }
        o.observedAt = time.toISOString();
        return;
      }
      if (isDevice) (o.device as Record<string, unknown>)[name] = value;
      else o.fields[name] = value;
    };
  });
  return (data, o, warnings) => {
    for (const step of steps) step(data, o, warnings);
  };
}

