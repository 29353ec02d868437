import { type StandardId, standardMeasurements } from '../../../standards/src/index.js';
import type { CodecSandbox } from '../codec/sandbox.js';
import { compileCodecUplink } from '../codec/codec-decoder.js';
import type { Profile } from '../format/profile-schema.js';
import { checkTargets } from './check-targets.js';
import { type DeviceParams, derive, parseParams } from './derive.js';
import { compileLayoutUplink, type PayloadDecoder } from './layout-decoder.js';
import { type DecodeFailureCode, DecodeError, type Observation, type UndecodedBytes } from './observation.js';
import { ProfileError } from './profile-error.js';

export type DecodeOutcome =
  | { ok: true; observations: Observation[]; warnings: string[]; undecoded: UndecodedBytes[] }
  | { ok: false; code: DecodeFailureCode; reason: string; warnings: string[] };

/** Device parameters checked once against the profile's standards, reused for every uplink of the device. */
export type PreparedParams = ReadonlyMap<StandardId, object>;

export interface DecodeInput {
  fPort: number;
  bytes: Uint8Array;
  /** When the network server received the uplink (ms since epoch); device times are checked against it. */
  receivedAtMs: number;
  params?: PreparedParams;
}

interface PortDecoder {
  standard: StandardId;
  decode: PayloadDecoder;
  constants: [string, string | number | boolean][];
}

export class CompiledProfile {
  readonly standards: StandardId[];
  readonly fPorts: number[];
  private readonly noParams: PreparedParams;

  private constructor(
    readonly file: string,
    readonly source: Profile,
    private readonly ports: Map<number, PortDecoder>,
    private readonly sandbox: CodecSandbox | undefined,
  ) {
    this.standards = [...new Set(source.uplinks.map((uplink) => uplink.standard))];
    this.fPorts = [...ports.keys()].sort((a, b) => a - b);
    const prepared = this.prepareParams({});
    if (!prepared.ok) throw new ProfileError(file, [{ path: 'uplinks', message: prepared.reason }]);
    this.noParams = prepared.params;
  }

  get id(): string {
    return this.source.id;
  }

  /** Compiles a validated profile; `loadCodec` starts the sandbox of a codec profile. */
  static async compile(file: string, profile: Profile, loadCodec: () => Promise<CodecSandbox>): Promise<CompiledProfile> {
    const problems = checkTargets(profile);
    if (problems.length > 0) throw new ProfileError(file, problems);
    const ports = new Map<number, PortDecoder>();
    const sandbox = 'codec' in profile ? await loadCodec() : undefined;
    for (const uplink of profile.uplinks) {
      for (const fPort of [uplink.fPort].flat()) {
        const where = `${profile.id} fPort ${fPort}`;
        const decode =
          'fields' in uplink ? compileCodecUplink(sandbox!, uplink, fPort, where) : compileLayoutUplink(uplink, where);
        ports.set(fPort, { standard: uplink.standard, decode, constants: Object.entries(uplink.set ?? {}) });
      }
    }
    return new CompiledProfile(file, profile, ports, sandbox);
  }

  /** Checks device parameters (e.g. emptyDistanceMm) against the standards this profile produces. */
  prepareParams(params: DeviceParams): { ok: true; params: PreparedParams } | { ok: false; reason: string } {
    const prepared = new Map<StandardId, object>();
    const claimed = new Set<string>();
    const problems: string[] = [];
    for (const standard of this.standards) {
      const result = parseParams(standard, params, claimed);
      if (result.ok) prepared.set(standard, result.value);
      else problems.push(result.reason);
    }
    const unknown = Object.keys(params).filter((key) => !claimed.has(key));
    if (unknown.length > 0) problems.push(`unknown parameter ${unknown.join(', ')} for ${this.id}`);
    return problems.length > 0 ? { ok: false, reason: problems.join('; ') } : { ok: true, params: prepared };
  }

  /** Decodes one uplink. Never throws: a payload it cannot decode gives a reason instead. */
  decode(input: DecodeInput): DecodeOutcome {
    const port = this.ports.get(input.fPort);
    if (!port) {
      return {
        ok: false,
        code: 'unknown-fport',
        reason: `${this.id} has no uplink on fPort ${input.fPort} (known: ${this.fPorts.join(', ')})`,
        warnings: [],
      };
    }
    try {
      const decoded = port.decode(input.bytes, input.receivedAtMs);
      const params = (input.params ?? this.noParams).get(port.standard) ?? {};
      const measurements = standardMeasurements[port.standard];
      const kept: Observation[] = [];
      for (const observation of decoded.observations) {
        for (const [field, value] of port.constants) observation.fields[field] = value;
        derive(observation, params);
        if (measurements.some((field) => observation.fields[field] !== undefined)) kept.push(observation);
        // A flagged observation without any measurement reports a sensor fault: keep it, as 'bad'.
        else if (observation.quality !== 'good') kept.push({ ...observation, quality: 'bad' });
      }
      if (kept.length === 0) {
        const found = decoded.observations.flatMap((o) => [...Object.keys(o.fields), ...Object.keys(o.device).map((k) => `device.${k}`)]);
        return {
          ok: false,
          code: 'no-measurement',
          reason: `${this.id} fPort ${input.fPort}: payload holds no ${port.standard} measurement (${measurements.join(', ')}); found ${found.join(', ') || 'nothing'}`,
          warnings: decoded.warnings,
        };
      }
      return { ok: true, observations: kept, warnings: decoded.warnings, undecoded: decoded.undecoded };
    } catch (error) {
      if (error instanceof DecodeError) return { ok: false, code: error.code, reason: error.message, warnings: [] };
      return { ok: false, code: 'internal', reason: `${this.id} fPort ${input.fPort}: decoder failed: ${String(error)}`, warnings: [] };
    }
  }

  dispose(): void {
    this.sandbox?.dispose();
  }
}
