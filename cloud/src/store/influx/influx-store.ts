import { randomUUID } from 'node:crypto';
import { InfluxDB } from 'influx';
import type { SensorRecord } from '../../../../standards/src/index.js';
import { checkRange, checkRangeMany, checkRaw } from '../query-checks.js';
import type { StoreLogger } from '../sqlite/sqlite-store.js';
import type { Bucket, LatestQuery, RangeManyQuery, RangeQuery, RawQuery, TimeSeriesStore, WriteOutcome } from '../time-series-store.js';
import { ident, markerMeasurement, rawPolicy, rollupPolicy } from './influxql.js';
import { IdLedger } from './ledger.js';
import { LineWriter } from './line-writer.js';
import { InfluxQueries } from './queries.js';
import { PendingReadings } from './pending-readings.js';
import { DailyRollups } from './rollups.js';
import { InfluxRunner } from './runner.js';
import { InfluxWriter } from './writer.js';

export interface InfluxStoreOptions {
  /** The InfluxDB 1.x HTTP API, e.g. http://127.0.0.1:8086 (a path is kept, for a proxy). */
  url: string;
  database: string;
  username?: string;
  password?: string;
  logger?: StoreLogger;
  /** The dedup ledger, an SQLite file (see ledger.ts); e.g. `<data dir>/influx-ledger.db`. */
  ledgerPath: string;
  /** How long raw points are kept (an InfluxQL duration, e.g. '520w'); default INF. Daily rollups are kept forever. */
  rawRetention?: string;
  /**
   * Create the database and its retention policies at open (default true). Off for the v1
   * compatibility API of InfluxDB 2 / 3, where the bucket and its DBRP mappings for the policies
   * `raw` and `rollup_1d` are made beforehand.
   */
  manageSchema?: boolean;
  /** How long after a write its days' rollups are recomputed at the latest (default 2000 ms); queries that read rollups never wait for it. */
  rollupDelayMs?: number;
}

/**
 * The InfluxDB 1.x store (also the v1-compatible API of InfluxDB 2 / 3): measurement per
 * standard, tags kommune / asset / device, the numeric fields as float fields and the record as
 * JSON in a string field, in the retention policy `raw`; daily rollups in `rollup_1d`; record ids
 * in a local SQLite ledger.
 */
export async function openInfluxStore(options: InfluxStoreOptions): Promise<TimeSeriesStore> {
  const url = new URL(options.url);
  const influx = new InfluxDB({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 8086,
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    ...(url.pathname !== '/' && { path: url.pathname.replace(/\/$/, '') }),
    database: options.database,
    ...(options.username !== undefined && { username: options.username }),
    ...(options.password !== undefined && { password: options.password }),
  });
  const hosts = await influx.ping(5000);
  if (!hosts.some((host) => host.online)) throw new Error(`InfluxDB at ${options.url} does not answer`);
  const runner = new InfluxRunner(influx, options.database);
  if (options.manageSchema !== false) await ensureSchema(runner, options.database, options.rawRetention ?? 'INF');

  const ledger = new IdLedger(options.ledgerPath);
  try {
    const marker = `${ident(options.database)}.${ident(rollupPolicy)}.${ident(markerMeasurement)}`;
    const found = (await runner.one(`SELECT last(${ident('epoch')}) FROM ${marker}`))[0]?.values[0]?.[1];
    let epoch = typeof found === 'string' ? found : undefined;
    if (epoch === undefined) {
      epoch = randomUUID();
      await influx.writePoints([{ measurement: markerMeasurement, fields: { epoch }, timestamp: '0' }], {
        database: options.database,
        retentionPolicy: rollupPolicy,
        precision: 'n',
      });
    }
    const forgotten = ledger.adopt(epoch);
    if (forgotten > 0) {
      options.logger?.error(
        { ledgerPath: options.ledgerPath, database: options.database, forgotten },
        'influx store: the dedup ledger belonged to another database (dropped and created anew?); its ids were forgotten',
      );
    }
  } catch (error) {
    ledger.close();
    throw error;
  }
  options.logger?.info({ url: url.origin, database: options.database }, 'influx store open');
  const pending = new PendingReadings();
  const lines = new LineWriter({
    url: options.url,
    database: options.database,
    ...(options.username !== undefined && { username: options.username }),
    ...(options.password !== undefined && { password: options.password }),
  });
  return new InfluxStore(
    new InfluxWriter(lines, ledger, pending),
    new DailyRollups(lines, runner, options.database, ledger, pending),
    new InfluxQueries(runner, options.database),
    ledger,
    lines,
    options.rollupDelayMs ?? 2000,
    options.logger,
  );
}

async function ensureSchema(runner: InfluxRunner, database: string, rawRetention: string): Promise<void> {
  if (!/^(INF|\d+[mhdw](\d+[mhdw])*)$/.test(rawRetention)) throw new Error(`rawRetention must be INF or an InfluxQL duration such as 520w, got ${JSON.stringify(rawRetention)}`);
  await runner.run([`CREATE DATABASE ${ident(database)}`]);
  const policies = await runner.one(`SHOW RETENTION POLICIES ON ${ident(database)}`);
  const names = new Set((policies[0]?.values ?? []).map((row) => row[0]));
  const statements: string[] = [];
  const db = ident(database);
  statements.push(
    names.has(rawPolicy)
      ? `ALTER RETENTION POLICY ${ident(rawPolicy)} ON ${db} DURATION ${rawRetention} DEFAULT`
      : `CREATE RETENTION POLICY ${ident(rawPolicy)} ON ${db} DURATION ${rawRetention} REPLICATION 1 DEFAULT`,
  );
  if (!names.has(rollupPolicy)) statements.push(`CREATE RETENTION POLICY ${ident(rollupPolicy)} ON ${db} DURATION INF REPLICATION 1`);
  await runner.run(statements);
}

class InfluxStore implements TimeSeriesStore {
  readonly kind = 'influx' as const;
  private closed = false;
  /**
   * Rollup flushes one at a time. Writes run beside them and beside each other: the writer keeps
   * dedup exact among concurrent writes, and a flush clears only the day marks it read (ledger.ts).
   */
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly writer: InfluxWriter,
    private readonly rollups: DailyRollups,
    private readonly queries: InfluxQueries,
    private readonly ledger: IdLedger,
    private readonly lines: LineWriter,
    private readonly rollupDelayMs: number,
    private readonly logger: StoreLogger | undefined,
  ) {
    if (rollups.pending()) this.scheduleFlush();
  }

  private open(): void {
    if (this.closed) throw new Error('the store is closed');
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private scheduleFlush(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => {
        this.logger?.warn({ err: error }, 'influx store: recomputing daily rollups failed; will try again');
        this.scheduleFlush();
      });
    }, this.rollupDelayMs);
    this.timer.unref();
  }

  private flush(): Promise<void> {
    return this.serial(() => this.rollups.flush());
  }

  async write(records: readonly SensorRecord[]): Promise<WriteOutcome[]> {
    this.open();
    if (records.length === 0) return [];
    const outcomes = await this.writer.write(records);
    if (outcomes.includes('stored')) this.scheduleFlush();
    return outcomes;
  }

  async latest(query: LatestQuery): Promise<SensorRecord[]> {
    this.open();
    return this.queries.latest(query);
  }

  async range(query: RangeQuery): Promise<Bucket[]> {
    this.open();
    const checked = checkRange(query);
    if (this.rollups.pending()) await this.flush();
    return this.queries.range(checked);
  }

  async rangeMany(query: RangeManyQuery): Promise<Bucket[]> {
    this.open();
    const checked = checkRangeMany(query);
    if (this.rollups.pending()) await this.flush();
    return this.queries.range(checked);
  }

  raw(query: RawQuery): AsyncIterable<SensorRecord> {
    this.open();
    const checked = checkRaw(query);
    const queries = this.queries;
    return { [Symbol.asyncIterator]: () => queries.raw(checked) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.writer.idle();
    try {
      await this.serial(() => this.rollups.flush());
    } catch (error) {
      this.logger?.error({ err: error }, 'influx store: recomputing daily rollups at close failed; the work is kept for the next open');
    }
    await this.queue;
    this.lines.close();
    this.ledger.close();
  }
}
