/** Wrong command-line use: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** Parses repeated `key=value` options; numbers become numbers. */
export function parseKeyValues(pairs: string[]): Record<string, number | string> {
  const result: Record<string, number | string> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(pair);
    if (!match) throw new UsageError(`--param takes key=value, got "${pair}"`);
    const [, key, value] = match as unknown as [string, string, string];
    const asNumber = Number(value);
    result[key] = value.trim() !== '' && Number.isFinite(asNumber) ? asNumber : value;
  }
  return result;
}
