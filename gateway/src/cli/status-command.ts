import type { GatewayStatus } from '../status/snapshot.js';
import { describeCounters, words } from '../status/source-counters.js';
import { getJson, localGatewayApi } from './local-api.js';

const ago = (iso: string | undefined) => (iso ? `${Math.round((Date.now() - Date.parse(iso)) / 1000)} s ago` : 'never');

/** `         mqtt-broker: LOGINS REFUSED 3, logins throttled 0, …`: problems first, in capitals when above 0. */
const counterLine = (name: string, counters: Record<string, number>) =>
  `         ${name}: ${describeCounters(counters)
    .map((counter) => `${counter.alarm && counter.value > 0 ? words(counter.name).toUpperCase() : words(counter.name)} ${counter.value}`)
    .join(', ')}`;

/** `sensorbro gateway status <config>`: what the status page shows, in the terminal. */
export async function runGatewayStatus(args: string[]): Promise<number> {
  const [file, ...rest] = args;
  if (!file || rest.length > 0) {
    process.stderr.write('usage: sensorbro gateway status <config.yaml>\n');
    return 2;
  }
  const { baseUrl, token } = await localGatewayApi(file);
  let status: GatewayStatus;
  try {
    status = (await getJson(`${baseUrl}/api/status`, token)) as GatewayStatus;
  } catch (error) {
    process.stderr.write(`gateway not answering at ${baseUrl}: ${(error as Error).message}\n`);
    return 1;
  }
  const lines = [
    `gateway ${status.gateway.id} (kommune ${status.gateway.kommune}), up ${status.gateway.uptimeS} s`,
    `cloud    ${status.cloud.state}; last delivery ${ago(status.cloud.lastSuccessAt)}; sent ${status.cloud.sentRecords}, rejected ${status.cloud.rejectedRecords}${status.cloud.lastError ? `; error: ${status.cloud.lastError}` : ''}`,
    `queue    ${status.queue.depth} records, oldest ${status.queue.oldestAgeS ?? 0} s, ${Math.round((100 * status.queue.bytes) / status.queue.quotaBytes)} % of quota, dropped ${status.queue.droppedAtQuota}`,
    `sources  ${status.sources.map((s) => `${s.name} ${s.connected ? 'connected' : `DOWN${s.detail ? ` (${s.detail})` : ''}`}`).join(', ') || 'none'}`,
    ...status.sources.flatMap((s) => (s.counters ? [counterLine(s.name, s.counters)] : [])),
    `uplinks  ${status.pipeline.uplinks}, records ${status.pipeline.records}, dead letters ${status.deadLetters.total} stored`,
    '',
    ['DEVICE'.padEnd(18), 'ASSET'.padEnd(16), 'LAST SEEN'.padEnd(12), 'BATTERY'.padEnd(8), 'ERRORS'.padEnd(7), 'LAST VALUE'].join(' '),
    ...status.devices.map((d) =>
      [
        d.deviceKey.padEnd(18),
        (d.assetId ?? '-').padEnd(16),
        ago(d.lastSeenAt).padEnd(12),
        (d.batteryPercent !== undefined ? `${d.batteryPercent} %` : d.batteryV !== undefined ? `${d.batteryV} V` : '-').padEnd(8),
        String(d.decodeErrors).padEnd(7),
        d.lastValue ?? '-',
      ].join(' '),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
