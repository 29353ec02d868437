import { timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { INGEST_PATH, type IngestResult, ingestRequest, type SensorRecord, validateRecord } from '../../standards/src/index.js';

const gunzipAsync = promisify(gunzip);

/**
 * A minimal cloud ingest endpoint following the contract (DESIGN.md §2, Ingest API;
 * standards/src/ingest-contract.ts), for tests and benchmarks, with failure modes to switch.
 * Not the cloud: no tenancy beyond an optional kommune / gatewayId check, and the store is a Map.
 */
export interface IngestEndpointOptions {
  /** Bearer token it accepts; default 'test-token'. */
  token?: string;
  /** If set, a body naming another gatewayId is answered 403 (the token belongs to this gateway). */
  gatewayId?: string;
  /** If set, records of another municipality are rejected. */
  kommune?: string;
  /** Largest request body on the wire (gzip), else 413; default 16 MiB. */
  maxBodyBytes?: number;
  /** Largest body after gunzip, else 413; default 64 MiB. */
  maxJsonBytes?: number;
  /** More records than this in one request → 413 (nothing stored). */
  maxRecordsPerRequest?: number;
  /** Keep stored records for stored(); default true. Benchmarks keep only the ids (dedup still works). */
  keepRecords?: boolean;
}

/**
 * up: answers; unavailable: 503 (with Retry-After if set); throttled: 429 (with Retry-After if set);
 * reset: closes the connection before reading the request; lose-answers: stores, then closes the
 * connection instead of answering (the gateway never learns the outcome).
 */
export type EndpointMode = 'up' | 'unavailable' | 'throttled' | 'reset' | 'lose-answers';

export interface RequestInfo {
  contentEncoding: string | undefined;
  contentType: string | undefined;
  /** The body starts with the gzip magic bytes. */
  gzipMagic: boolean;
  wireBytes: number;
  jsonBytes: number;
  records: number;
  status: number;
}

export interface EndpointCounts {
  /** Requests that reached the handler (including refused ones). */
  requests: number;
  stored: number;
  duplicates: number;
  rejected: number;
  unauthorized: number;
  forbidden: number;
  tooLarge: number;
  /** Answered 503 / 429, or connection closed on purpose. */
  failed: number;
}

export interface IngestEndpoint {
  /** Base URL (http://127.0.0.1:port), the forwarder's cloudUrl. */
  readonly url: string;
  readonly port: number;
  readonly counts: EndpointCounts;
  /** One entry per request that got past auth (the last 10,000). */
  readonly requests: RequestInfo[];
  /** Outcomes withheld on purpose (see dropOutcomes). */
  readonly withheld: number;
  /** Requests held by hold(), waiting for release(). */
  readonly held: number;
  /** Stored records (each id once), in order of storing; empty with keepRecords: false. */
  stored(): SensorRecord[];
  storedIds(): Set<string>;
  /** Pre-loads records as if stored earlier (for duplicate tests). */
  preload(records: readonly SensorRecord[]): void;
  setMode(mode: EndpointMode, retryAfterS?: number): void;
  /** Each answer is delayed this long (after storing). */
  setDelay(ms: number): void;
  /** Requests are processed (stored) but not answered until release(). */
  hold(): void;
  release(): void;
  setToken(token: string): void;
  setMaxRecordsPerRequest(limit: number | undefined): void;
  /** Leaves the outcome of matching ids out of the answer (the record is still stored). */
  dropOutcomes(predicate: ((id: string) => boolean) | undefined): void;
  /** Stops listening and cuts all connections: connection refused until goOnline(). */
  goOffline(): Promise<void>;
  /** Listens again on the same port. */
  goOnline(): Promise<void>;
  close(): Promise<void>;
}

export async function startIngestEndpoint(options: IngestEndpointOptions = {}): Promise<IngestEndpoint> {
  let token = options.token ?? 'test-token';
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxJsonBytes = options.maxJsonBytes ?? 64 * 1024 * 1024;
  let maxRecords = options.maxRecordsPerRequest;
  let mode: EndpointMode = 'up';
  let retryAfterS: number | undefined;
  let delayMs = 0;
  let holding = false;
  let dropOutcome: ((id: string) => boolean) | undefined;
  let withheld = 0;
  const heldRequests = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const store = new Map<string, SensorRecord | undefined>();
  const keepRecords = options.keepRecords ?? true;
  const requests: RequestInfo[] = [];
  const counts: EndpointCounts = { requests: 0, stored: 0, duplicates: 0, rejected: 0, unauthorized: 0, forbidden: 0, tooLarge: 0, failed: 0 };

  function tokenMatches(header: string | undefined): boolean {
    if (!header?.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice(7));
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function note(info: RequestInfo): void {
    requests.push(info);
    if (requests.length > 10_000) requests.splice(0, requests.length - 10_000);
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function build(): FastifyInstance {
    const app = Fastify({ logger: false, bodyLimit: maxBodyBytes, forceCloseConnections: true });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    app.addHook('onRequest', async (request, reply) => {
      counts.requests++;
      if (mode === 'reset') {
        counts.failed++;
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      if (mode === 'unavailable' || mode === 'throttled') {
        counts.failed++;
        if (retryAfterS !== undefined) reply.header('retry-after', String(retryAfterS));
        return reply.code(mode === 'unavailable' ? 503 : 429).send({ error: mode });
      }
      if (!tokenMatches(request.headers.authorization)) {
        return reply.code(401).send({ error: 'invalid gateway token' });
      }
      return undefined;
    });

    app.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode === 401) counts.unauthorized++;
      else if (reply.statusCode === 403) counts.forbidden++;
      else if (reply.statusCode === 413) counts.tooLarge++;
      return payload;
    });

    app.post(INGEST_PATH, async (request, reply) => {
      const raw = request.body;
      if (!Buffer.isBuffer(raw)) return reply.code(415).send({ error: 'expected application/json' });
      const encoding = request.headers['content-encoding'];
      const info: RequestInfo = {
        contentEncoding: encoding,
        contentType: request.headers['content-type'],
        gzipMagic: raw[0] === 0x1f && raw[1] === 0x8b,
        wireBytes: raw.length,
        jsonBytes: 0,
        records: 0,
        status: 200,
      };
      note(info);
      let json: Buffer;
      if (encoding === 'gzip') {
        try {
          json = await gunzipAsync(raw, { maxOutputLength: maxJsonBytes });
        } catch (error) {
          const tooBig = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError;
          info.status = tooBig ? 413 : 400;
          return reply.code(info.status).send({ error: tooBig ? 'body too large' : 'bad gzip' });
        }
      } else if (encoding === undefined || encoding === 'identity') {
        json = raw;
      } else {
        info.status = 415;
        return reply.code(415).send({ error: `unsupported content-encoding ${encoding}` });
      }
      info.jsonBytes = json.length;
      if (json.length > maxJsonBytes) {
        info.status = 413;
        return reply.code(413).send({ error: 'body too large' });
      }
      let body: unknown;
      try {
        body = JSON.parse(json.toString('utf8'));
      } catch {
        info.status = 400;
        return reply.code(400).send({ error: 'body is not JSON' });
      }
      const envelope = ingestRequest.safeParse(body);
      if (!envelope.success) {
        info.status = 400;
        return reply.code(400).send({ error: 'body must be { gatewayId, records: [] }' });
      }
      const { gatewayId, records } = envelope.data;
      info.records = records.length;
      if (options.gatewayId !== undefined && gatewayId !== options.gatewayId) {
        info.status = 403;
        return reply.code(403).send({ error: 'this token does not belong to that gateway' });
      }
      if (maxRecords !== undefined && records.length > maxRecords) {
        info.status = 413;
        return reply.code(413).send({ error: `at most ${maxRecords} records per request` });
      }

      const results: IngestResult[] = [];
      for (const candidate of records) {
        const id = typeof (candidate as { id?: unknown } | null)?.id === 'string' ? (candidate as { id: string }).id : '';
        const validation = validateRecord(candidate);
        let outcome: IngestResult;
        if (!validation.ok) {
          counts.rejected++;
          outcome = { id, outcome: 'rejected', reason: validation.reason };
        } else if (options.kommune !== undefined && validation.record.kommune !== options.kommune) {
          counts.rejected++;
          outcome = { id, outcome: 'rejected', reason: `kommune: this gateway may only write records of ${options.kommune}` };
        } else if (store.has(id)) {
          counts.duplicates++;
          outcome = { id, outcome: 'duplicate' };
        } else {
          store.set(id, keepRecords ? validation.record : undefined);
          counts.stored++;
          outcome = { id, outcome: 'stored' };
        }
        if (dropOutcome?.(id)) withheld++;
        else results.push(outcome);
      }

      if (delayMs > 0) await pause(delayMs);
      if (holding) await new Promise<void>((resolve) => heldRequests.add(resolve));
      if (mode === 'lose-answers' || !online) {
        counts.failed++;
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      return reply.code(200).send({ results });
    });
    return app;
  }

  let online = true;
  let app = build();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('endpoint has no TCP address');
  const port = address.port;

  function releaseAll(): void {
    const waiting = [...heldRequests];
    heldRequests.clear();
    for (const resolve of waiting) resolve();
  }

  async function goOffline(): Promise<void> {
    if (!online) return;
    online = false;
    const closing = app.close();
    releaseAll();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    await closing;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts,
    requests,
    get withheld() {
      return withheld;
    },
    get held() {
      return heldRequests.size;
    },
    stored: () => [...store.values()].filter((record): record is SensorRecord => record !== undefined),
    storedIds: () => new Set(store.keys()),
    preload(records) {
      for (const record of records) store.set(record.id, record);
    },
    setMode(next, retryAfter) {
      mode = next;
      retryAfterS = retryAfter;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      releaseAll();
    },
    setToken(next) {
      token = next;
    },
    setMaxRecordsPerRequest(limit) {
      maxRecords = limit;
    },
    dropOutcomes(predicate) {
      dropOutcome = predicate;
    },
    goOffline,
    async goOnline() {
      if (online) return;
      app = build();
      await app.listen({ host: '127.0.0.1', port });
      online = true;
    },
    async close() {
      holding = false;
      await goOffline();
    },
  };
}
