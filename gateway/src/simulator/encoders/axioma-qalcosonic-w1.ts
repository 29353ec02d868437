import { type EncodedUplink, le, raw, u16Max, u32Max, uplink } from './bytes.js';

/** Axioma Qalcosonic W1 water meter: current register and the hourly log. */
export interface QalcosonicW1State {
  /** The meter's clock, Unix seconds. */
  meterTimeS: number;
  /** Status byte: 0x04 battery low, 0x08 permanent error, 0x10 temporary error with an alarm code in bits 7–5. */
  statusFlags: number;
  /** Register, whole litres. */
  volumeL: number;
  /** The log's first full hour, Unix seconds (a multiple of 3600). */
  logStartS: number;
  /** Register at 16 consecutive full hours from logStartS, litres; each hour adds 0–65535. */
  logVolumesL: readonly number[];
}

/**
 * fPort 100, the 47-byte "extended" frame, little endian: meter time (u32, s), status (u8), volume
 * (u32, l), log time (u32, s, full hour), log volume (u32, l), 15 hourly deltas (u16, l).
 */
export function encodeQalcosonicW1(state: QalcosonicW1State): EncodedUplink {
  const logStart = raw('logStartS', state.logStartS, 1, 0, u32Max);
  if (logStart % 3600 !== 0) throw new RangeError(`logStartS: ${state.logStartS} is not a full hour`);
  if (state.logVolumesL.length !== 16) throw new RangeError(`logVolumesL: needs 16 hourly values, got ${state.logVolumesL.length}`);
  const volumes = state.logVolumesL.map((litres, i) => raw(`logVolumesL[${i}]`, litres, 1, 0, u32Max));
  const deltas = volumes.slice(1).map((litres, i) => raw(`logVolumesL[${i + 1}] - logVolumesL[${i}]`, litres - volumes[i]!, 1, 0, u16Max));
  return uplink(100, [
    ...le(raw('meterTimeS', state.meterTimeS, 1, 0, u32Max), 4),
    raw('statusFlags', state.statusFlags, 1, 0, 0xff),
    ...le(raw('volumeL', state.volumeL, 1, 0, u32Max), 4),
    ...le(logStart, 4),
    ...le(volumes[0]!, 4),
    ...deltas.flatMap((delta) => le(delta, 2)),
  ]);
}
