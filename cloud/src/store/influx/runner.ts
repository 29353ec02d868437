import type { InfluxDB } from 'influx';

/** One series of an InfluxQL answer. */
export interface ResultSeries {
  name: string;
  tags: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

interface RawResponse {
  results?: { statement_id?: number; error?: string; series?: { name?: string; tags?: Record<string, string>; columns: string[]; values?: unknown[][] }[] }[];
  error?: string;
}

/** Runs InfluxQL statements (POST, times as epoch ms) and turns an error in any statement into a thrown Error. */
export class InfluxRunner {
  constructor(
    private readonly influx: InfluxDB,
    private readonly database: string,
  ) {}

  /** Results per statement, in order. */
  async run(statements: readonly string[]): Promise<ResultSeries[][]> {
    if (statements.length === 0) return [];
    const response = (await this.influx.queryRaw(statements.join(';\n'), { database: this.database, precision: 'ms', method: 'POST' })) as RawResponse;
    if (response.error) throw new Error(`InfluxDB: ${response.error}`);
    const results = response.results ?? [];
    return statements.map((statement, i) => {
      const result = results[i];
      if (!result) throw new Error(`InfluxDB gave no result for: ${statement.slice(0, 300)}`);
      if (result.error) throw new Error(`InfluxDB: ${result.error} in: ${statement.slice(0, 300)}`);
      return (result.series ?? []).map((series) => ({ name: series.name ?? '', tags: series.tags ?? {}, columns: series.columns, values: series.values ?? [] }));
    });
  }

  async one(statement: string): Promise<ResultSeries[]> {
    return (await this.run([statement]))[0]!;
  }
}
