import { parseArgs } from 'node:util';
import type { DeadLetter } from '../core/dead-letter.js';
import { getJson, localGatewayApi } from './local-api.js';

/** `sensorbro gateway dead-letters <config> [--device KEY] [--replay]`: list, or replay after a fix. */
export async function runGatewayDeadLetters(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { replay: { type: 'boolean', default: false }, device: { type: 'string' }, limit: { type: 'string', default: '100' } },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) {
    process.stderr.write('usage: sensorbro gateway dead-letters <config.yaml> [--device KEY] [--replay]\n');
    return 2;
  }
  const { baseUrl, token } = await localGatewayApi(file);
  if (values.replay) {
    const result = await getJson(`${baseUrl}/api/dead-letters/replay`, token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(values.device ? { device: values.device } : {}),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const query = new URLSearchParams({ limit: values.limit, ...(values.device ? { device: values.device } : {}) });
  const entries = (await getJson(`${baseUrl}/api/dead-letters?${query}`, token)) as (Omit<DeadLetter, 'raw'> & { raw: { source: string; address: string; payload: string } })[];
  for (const entry of entries) {
    process.stdout.write(`${entry.id}\t${entry.at}\t${entry.deviceKey ?? '-'}\t${entry.code}\t${entry.reason}\t${entry.raw.source} ${entry.raw.address}\n`);
  }
  process.stderr.write(`${entries.length} dead letter(s) shown\n`);
  return 0;
}
