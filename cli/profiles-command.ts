import { parseArgs } from 'node:util';
import { disposeAll, loadProfilesReporting } from './load-profiles-reporting.js';

/** `sensorbro profiles`: the firmware profiles this installation can decode. Exit 1 when a profile file is broken. */
export async function runProfiles(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true });
  const loaded = await loadProfilesReporting();
  const rows = [...loaded.profiles.values()].map((profile) => ({
    id: profile.id,
    vendor: profile.source.vendor,
    model: profile.source.model,
    firmware: profile.source.firmware,
    standards: profile.standards,
    fPorts: profile.fPorts,
    decoder: 'codec' in profile.source ? `codec (${profile.source.codec.api}, sandboxed)` : 'declarative',
  }));
  disposeAll(loaded);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    const table = [['PROFILE', 'VENDOR', 'MODEL', 'STANDARD', 'FPORTS', 'DECODER']].concat(
      rows.map((row) => [row.id, row.vendor, row.model, row.standards.join(','), row.fPorts.join(','), row.decoder]),
    );
    const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
    for (const line of table) process.stdout.write(`${line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
  }
  return loaded.errors.length > 0 ? 1 : 0;
}
