import http from 'node:http';
import https from 'node:https';

export interface LineWriterOptions {
  /** The InfluxDB 1.x HTTP API, e.g. http://127.0.0.1:8086 (a path is kept, for a proxy). */
  url: string;
  database: string;
  username?: string;
  password?: string;
}

/** How long one write request may take before it fails (and the store's write() with it). */
const requestTimeoutMs = 60_000;

/**
 * POSTs line protocol to InfluxDB's /write (precision ns) over kept-alive connections. A write is
 * durable when InfluxDB answers 204: it has reached InfluxDB's write-ahead log.
 */
export class LineWriter {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly base: URL;
  private readonly auth: string | undefined;

  constructor(private readonly options: LineWriterOptions) {
    this.base = new URL(options.url);
    const secure = this.base.protocol === 'https:';
    this.request = secure ? https.request : http.request;
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.auth = options.username !== undefined ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined;
  }

  /** Writes the lines into `retentionPolicy`; rejects with InfluxDB's error unless it answers 204. */
  write(lines: readonly string[], retentionPolicy: string): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    const url = new URL(`${this.base.pathname.replace(/\/$/, '')}/write`, this.base);
    url.search = new URLSearchParams({ db: this.options.database, rp: retentionPolicy, precision: 'n' }).toString();
    const body = Buffer.from(lines.join('\n'));
    return new Promise<void>((resolve, reject) => {
      const request = this.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: requestTimeoutMs,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, ...(this.auth !== undefined && { authorization: this.auth }) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            if (response.statusCode === 204) resolve();
            else reject(new Error(`InfluxDB write answered ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`));
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`InfluxDB write: no answer within ${requestTimeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
