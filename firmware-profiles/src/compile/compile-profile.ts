import { type SensorStandardId, standardMeasurements } from '../../../standards/src/index.js';
import type { CodecSandbox } from '../codec/sandbox.js';
import { compileCodecUplink } from '../codec/codec-decoder.js';
import { compileFieldMap } from '../codec/field-map.js';
import type { JsonMapping, Profile } from '../format/profile-schema.js';
import { checkTargets } from './check-targets.js';
import { type Derivation, type DeviceParams, parseParams } from './derive.js';
import { compileLayoutUplink, type PayloadDecoder } from './layout-decoder.js';
import { type Decoded, type DecodeFailureCode, DecodeError, newObservation, type Observation } from './observation.js';
import { ProfileError } from './profile-error.js';

export type DecodeOutcome =
  | Decoded
  | { ok: false; code: DecodeFailureCode; reason: string; warnings: readonly string[] };

/** Device parameters checked once against the profile's standards, as each standard's derivation. */
export type PreparedParams = ReadonlyMap<SensorStandardId, Derivation | undefined>;

export interface JsonDecodeInput {
  json: unknown;
  receivedAtMs: number;
  params?: PreparedParams;
}

export interface DecodeInput {
  fPort: number;
  bytes: Uint8Array;
  /** When the network server received the uplink (ms since epoch); device times are checked against it. */
  receivedAtMs: number;
  params?: PreparedParams;
}

interface PortDecoder {
  standard: SensorStandardId;
  decode: PayloadDecoder;
  hasMeasurement: MeasurementTest;
}

interface JsonDecoder {
  standard: SensorStandardId;
  apply: ReturnType<typeof compileFieldMap>;
  constants: Record<string, string | number | boolean>;
  hasMeasurement: MeasurementTest;
}

function compileJsonMapping(mapping: JsonMapping): JsonDecoder {
  return {
    standard: mapping.standard,
    apply: compileFieldMap(mapping.standard, mapping.fields),
    constants: mapping.set ?? {},
    hasMeasurement: measurementTest(mapping.standard),
  };
}

type MeasurementTest = (fields: Observation['fields']) => boolean;

/**
 * Whether fields hold one of a standard's measurements, compiled to static property reads (the
 * names are the standard's own, not profile data): a keyed loop here costs as much as the decode.
 */
function measurementTest(standard: SensorStandardId): MeasurementTest {
  const names = standardMeasurements[standard];
  if (!names.every((name) => /^[a-zA-Z][a-zA-Z0-9]*$/.test(name))) throw new Error(`unexpected measurement names in ${standard}`);
  return new Function('f', `return ${names.map((name) => `f.${name} !== undefined`).join(' || ')};`) as MeasurementTest;
}

export class CompiledProfile {
  readonly standards: SensorStandardId[];
  readonly fPorts: number[];
  /** fPort → decoder, as a plain array: the lookup sits on the hot path. */
  private readonly portTable: (PortDecoder | undefined)[] = [];

  private constructor(
    readonly file: string,
    readonly source: Profile,
    ports: ReadonlyMap<number, PortDecoder>,
    private readonly sandbox: CodecSandbox | undefined,
    private readonly json: JsonDecoder | undefined,
  ) {
    this.standards = [...new Set([...source.uplinks.map((uplink) => uplink.standard), ...(json ? [json.standard] : [])])];
    this.fPorts = [...ports.keys()].sort((a, b) => a - b);
    for (const [fPort, port] of ports) this.portTable[fPort] = port;
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
        ports.set(fPort, { standard: uplink.standard, decode, hasMeasurement: measurementTest(uplink.standard) });
      }
    }
    const json = 'json' in profile && profile.json ? compileJsonMapping(profile.json) : undefined;
    return new CompiledProfile(file, profile, ports, sandbox, json);
  }

  /** Checks device parameters (e.g. emptyDistanceMm) against the standards this profile produces. */
  prepareParams(params: DeviceParams): { ok: true; params: PreparedParams } | { ok: false; reason: string } {
    const prepared = new Map<SensorStandardId, Derivation | undefined>();
    const claimed = new Set<string>();
    const problems: string[] = [];
    for (const standard of this.standards) {
      const result = parseParams(standard, params, claimed);
      if (result.ok) prepared.set(standard, result.derivation);
      else problems.push(result.reason);
    }
    const unknown = Object.keys(params).filter((key) => !claimed.has(key));
    if (unknown.length > 0) problems.push(`unknown parameter ${unknown.join(', ')} for ${this.id}`);
    return problems.length > 0 ? { ok: false, reason: problems.join('; ') } : { ok: true, params: prepared };
  }

  /** Decodes a JSON payload (a sensor publishing JSON over MQTT). Never throws. */
  decodeJson(input: JsonDecodeInput): DecodeOutcome {
    const json = this.json;
    if (!json) return { ok: false, code: 'unsupported-payload', reason: `${this.id} has no mapping for JSON payloads`, warnings: [] };
    if (input.json === null || typeof input.json !== 'object' || Array.isArray(input.json)) {
      return { ok: false, code: 'invalid-payload', reason: `${this.id}: a JSON payload must be an object`, warnings: [] };
    }
    const observation = newObservation(json.standard);
    const warnings: string[] = [];
    json.apply(input.json as Record<string, unknown>, observation, warnings);
    Object.assign(observation.fields, json.constants);
    input.params?.get(json.standard)?.(observation);
    const decoded: Decoded = { ok: true, observations: [observation], warnings, undecoded: [] };
    return json.hasMeasurement(observation.fields) ? decoded : this.withoutEmptyObservations(decoded, json, 0);
  }

  /** Decodes one uplink. Never throws: a payload it cannot decode gives a reason instead. */
  decode(input: DecodeInput): DecodeOutcome {
    const port = this.portTable[input.fPort];
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
      const derivation = input.params?.get(port.standard);
      let complete = true;
      for (let index = 0; index < decoded.observations.length; index++) {
        const observation = decoded.observations[index]!;
        if (derivation) derivation(observation);
        if (!port.hasMeasurement(observation.fields)) complete = false;
      }
      return complete ? decoded : this.withoutEmptyObservations(decoded, port, input.fPort);
    } catch (error) {
      if (error instanceof DecodeError) return { ok: false, code: error.code, reason: error.message, warnings: [] };
      return { ok: false, code: 'internal', reason: `${this.id} fPort ${input.fPort}: decoder failed: ${String(error)}`, warnings: [] };
    }
  }

  /**
   * Observations without a measurement: a flagged one reports a sensor fault and is kept as 'bad';
   * an unflagged one (device information only) is left out. None left: refused as no-measurement.
   */
  private withoutEmptyObservations(decoded: Decoded, port: Pick<PortDecoder, 'standard' | 'hasMeasurement'>, fPort: number): DecodeOutcome {
    const kept = decoded.observations.filter((observation) => {
      if (port.hasMeasurement(observation.fields)) return true;
      if (observation.quality === 'good') return false;
      observation.quality = 'bad';
      return true;
    });
    if (kept.length > 0) return { ...decoded, observations: kept };
    const found = decoded.observations.flatMap((o) => [...Object.keys(o.fields), ...Object.keys(o.device).map((k) => `device.${k}`)]);
    return {
      ok: false,
      code: 'no-measurement',
      reason: `${this.id} fPort ${fPort}: payload holds no ${port.standard} measurement (${standardMeasurements[port.standard].join(', ')}); found ${found.join(', ') || 'nothing'}`,
      warnings: decoded.warnings,
    };
  }

  dispose(): void {
    this.sandbox?.dispose();
  }
}
