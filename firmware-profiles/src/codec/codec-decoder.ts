import type { PayloadDecoder } from '../compile/layout-decoder.js';
import { DecodeError, newObservation } from '../compile/observation.js';
import type { CodecUplink } from '../format/profile-schema.js';
import { compileFieldMap } from './field-map.js';
import { CodecError, type CodecSandbox } from './sandbox.js';

/** A payload decoder that runs the profile's JavaScript codec in the sandbox and maps its output to fields. */
export function compileCodecUplink(sandbox: CodecSandbox, uplink: CodecUplink, fPort: number, where: string): PayloadDecoder {
  const apply = compileFieldMap(uplink.standard, uplink.fields);
  return (bytes, nowMs) => {
    let output;
    try {
      output = sandbox.decode({ bytes, fPort, recvTime: new Date(nowMs) });
    } catch (error: unknown) {
      if (error instanceof CodecError) throw new DecodeError('codec-error', `${where}: ${error.message}`);
      throw error;
    }
    const observation = newObservation(uplink.standard);
    const warnings = [...output.warnings];
    apply(output.data, observation, warnings);
    Object.assign(observation.fields, uplink.set);
    return { ok: true, observations: [observation], warnings, undecoded: [] };
  };
}
