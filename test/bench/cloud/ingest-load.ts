import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { buildCloudApp } from '../../../cloud/src/app.js';
import { openCloudDatabase } from '../../../cloud/src/db/open-database.js';
import type { TimeSeriesStore } from '../../../cloud/src/store/time-series-store.js';
import { INGEST_PATH, type SensorRecord } from '../../../standards/src/index.js';
import { benchStart } from './generate-year.js';
import { type Device, fleet, kommune, recordAt } from './year-data.js';

/**
 * Ingest load for the cloud benchmark: a real cloud app on a loopback port, and gateways posting
 * gzip batches to POST /api/v1/ingest concurrently, each one request at a time (as a gateway's
 * forwarder does), the next batch after the answer.
 */

export interface IngestShape {
  devices: number;
  gateways: number;
  /** Records per request. */
  batch: number;
  /** Hours of all devices' readings per round. */
  hoursPerRound: number;
}

export interface Round {
  records: SensorRecord[];
  /** Per gateway, its requests' gzip bodies, in order. */
  bodies: Map<string, Buffer[]>;
}

const gatewayId = (g: number) => `gw-bench-${String(g).padStart(2, '0')}`;

/** Round `round`'s records (its own hours, so never duplicates of another round's), split by gateway into gzip requests. */
export function makeRound(shape: IngestShape, round: number): Round {
  const devices: Device[] = fleet(shape.devices);
  const byGateway = new Map<string, SensorRecord[]>();
  for (let g = 0; g < shape.gateways; g++) byGateway.set(gatewayId(g), []);
  const records: SensorRecord[] = [];
  for (let h = 0; h < shape.hoursPerRound; h++) {
    const hour = round * shape.hoursPerRound + h;
    for (const device of devices) {
      const gateway = gatewayId(device.index % shape.gateways);
      const record = { ...recordAt(device, benchStart, hour), gatewayId: gateway } as SensorRecord;
      byGateway.get(gateway)!.push(record);
      records.push(record);
    }
  }
  const bodies = new Map<string, Buffer[]>();
  for (const [gateway, list] of byGateway) {
    const requests: Buffer[] = [];
    for (let i = 0; i < list.length; i += shape.batch) requests.push(gzipSync(JSON.stringify({ gatewayId: gateway, records: list.slice(i, i + shape.batch) })));
    bodies.set(gateway, requests);
  }
  return { records, bodies };
}

export interface Cloud {
  url: string;
  /** Gateway id → its token. */
  tokens: Map<string, string>;
  close(): Promise<void>;
}

/** The cloud app on `store` (the caller closes the store), its database in `dir`, listening on a free loopback port. */
export async function startCloud(store: TimeSeriesStore, dir: string, gateways: number): Promise<Cloud> {
  const database = openCloudDatabase(join(dir, 'cloud.db'));
  const { app, services } = await buildCloudApp({
    database,
    store,
    logger: pino({ level: 'warn' }),
    cookieSecret: 'bench-cookie-secret-0123456789abcdefghijklmnop',
    docs: false,
    // a replaying gateway sends far more than the default 600 requests a minute
    ingest: { requestsPerMinute: 1_000_000 },
  });
  services.repositories.kommuner.ensure(kommune, 'Aarhus', new Date());
  const tokens = new Map<string, string>();
  for (let g = 0; g < gateways; g++) tokens.set(gatewayId(g), services.gatewayTokens.issue(kommune, gatewayId(g)).token);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `${address}${INGEST_PATH}`,
    tokens,
    close: async () => {
      await app.close();
      database.close();
    },
  };
}

/** Posts a round, all gateways at once; seconds from the first request to the last answer. Throws unless every record was stored. */
export async function postRound(cloud: Cloud, round: Round): Promise<number> {
  const start = performance.now();
  const stored = await Promise.all(
    [...round.bodies].map(async ([gateway, bodies]) => {
      let count = 0;
      for (const body of bodies) {
        const response = await fetch(cloud.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${cloud.tokens.get(gateway)}` },
          body,
        });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${text.slice(0, 300)}`);
        count += (text.match(/"outcome":"stored"/g) ?? []).length;
      }
      return count;
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const total = stored.reduce((sum, n) => sum + n, 0);
  if (total !== round.records.length) throw new Error(`${total} of ${round.records.length} records were stored`);
  return seconds;
}

/** The pid of the process whose command line contains `text` (e.g. influxd's config path), if any. */
export function findProcess(text: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 when unknown. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
