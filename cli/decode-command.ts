import { parseArgs } from 'node:util';
import { validateRecord } from '../standards/src/index.js';
import { buildRecords } from '../firmware-profiles/src/index.js';
import { disposeAll, loadProfilesReporting } from './load-profiles-reporting.js';
import { parseKeyValues, UsageError } from './usage.js';

const maxPayloadBytes = 255; // the largest LoRaWAN application payload

/**
 * `sensorbro decode`: decodes one payload the way the gateway would and prints the records as a
 * JSON array on stdout (exit 0); a payload it cannot decode prints the reason on stderr (exit 1).
 */
export async function runDecode(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      profile: { type: 'string' },
      fport: { type: 'string' },
      hex: { type: 'string' },
      param: { type: 'string', multiple: true, default: [] },
      device: { type: 'string', default: 'cli' },
      kommune: { type: 'string', default: '0000' },
      gateway: { type: 'string', default: 'cli' },
      'received-at': { type: 'string' },
    },
    strict: true,
  });
  if (!values.profile || values.fport === undefined || values.hex === undefined) {
    throw new UsageError('decode needs --profile, --fport and --hex');
  }
  const fPort = Number(values.fport);
  if (!Number.isInteger(fPort) || fPort < 0 || fPort > 255) throw new UsageError(`--fport must be 0..255, got "${values.fport}"`);
  const hex = values.hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new UsageError('--hex must be an even number of hex digits');
  if (hex.length / 2 > maxPayloadBytes) throw new UsageError(`--hex is ${hex.length / 2} bytes; a LoRaWAN payload has at most ${maxPayloadBytes}`);
  const receivedAt = values['received-at'] ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(receivedAt))) throw new UsageError('--received-at must be an ISO 8601 time');
  const params = parseKeyValues(values.param);

  const loaded = await loadProfilesReporting();
  try {
    const profile = loaded.profiles.get(values.profile);
    if (!profile) {
      process.stderr.write(`error: unknown profile "${values.profile}" (see: sensorbro profiles)\n`);
      return 1;
    }
    const prepared = profile.prepareParams(params);
    if (!prepared.ok) {
      process.stderr.write(`error: ${prepared.reason}\n`);
      return 1;
    }
    const outcome = profile.decode({
      fPort,
      bytes: Buffer.from(hex, 'hex'),
      receivedAtMs: Date.parse(receivedAt),
      params: prepared.params,
    });
    for (const warning of outcome.warnings) process.stderr.write(`warning: ${warning}\n`);
    if (!outcome.ok) {
      process.stderr.write(`error: ${outcome.code}: ${outcome.reason}\n`);
      return 1;
    }
    const records = buildRecords(outcome.observations, outcome.undecoded, {
      kommune: values.kommune,
      deviceId: values.device,
      gatewayId: values.gateway,
      receivedAt: new Date(receivedAt).toISOString(),
    });
    for (const record of records) {
      const validation = validateRecord(record);
      if (!validation.ok) {
        process.stderr.write(`error: invalid-record: ${validation.reason}\n`);
        return 1;
      }
    }
    process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    return 0;
  } finally {
    disposeAll(loaded);
  }
}
