import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { onTestFinished } from 'vitest';
import { buildCloudApp, type CloudApp, type CloudAppOptions, type CloudRoutes } from '../../cloud/src/app.js';
import { openCloudDatabase, type CloudDatabase } from '../../cloud/src/db/open-database.js';
import type { RegistryRepository } from '../../cloud/src/registry/repository.js';
import { registryRoutes } from '../../cloud/src/registry/routes.js';
import { openStore, type StoreConfig } from '../../cloud/src/store/open-store.js';
import type { TimeSeriesStore } from '../../cloud/src/store/time-series-store.js';

export interface TestCloudParts {
  database: CloudDatabase;
  store: TimeSeriesStore;
  registry: RegistryRepository;
}

export interface TestCloudOptions {
  /** Names the temporary directory (sensorbro-<name>-…). */
  name: string;
  /** Route modules registered after the registry's. */
  routes?: (parts: TestCloudParts) => CloudRoutes[];
  /** Further options of buildCloudApp; `docs` is off unless set here. */
  app?: Pick<CloudAppOptions, 'docs' | 'clock' | 'apiRatePerMinute' | 'ingest' | 'publicOrigins' | 'loginRatePerMinute' | 'session' | 'scryptParams'>;
  /** Log level of the app's logger, whose lines are kept in `logs`; default silent. */
  logLevel?: pino.Level;
  /** The time-series store; default the embedded SQLite store in the temporary directory. */
  store?: StoreConfig;
}

type Method = 'GET' | 'PUT' | 'DELETE' | 'POST';

export interface EmptyTestCloud extends TestCloudParts {
  app: CloudApp['app'];
  services: CloudApp['services'];
  dir: string;
  /** The app's log lines, at `logLevel`. */
  logs: string[];
  /** Injects a request, with `token` as bearer unless it is missing or null. */
  call(method: Method, url: string, token?: string | null, payload?: object | string, contentType?: string): Promise<LightMyRequestResponse>;
}

export interface TestCloud extends EmptyTestCloud {
  /**
   * API tokens of Aarhus (0751), one per role; `kbh` is an admin of København (0101); `gateway` is
   * the gateway token of gw-a in Aarhus.
   */
  tokens: { admin: string; technician: string; energi: string; affald: string; kbh: string; gateway: string };
}

/**
 * A real cloud app for a test: buildCloudApp with the registry routes (and `routes`) on a real cloud
 * database and store (embedded SQLite unless `store` says otherwise) in a temporary directory,
 * kommuner Aarhus and København, and the tokens above. Silent logger, a test cookie secret and
 * cheap scrypt parameters. Called inside a test; everything is closed and removed when that test
 * finishes.
 */
export async function startTestCloud(options: TestCloudOptions): Promise<TestCloud> {
  const cloud = await startEmptyTestCloud(options);
  const apiToken = (kommune: string, name: string, role: 'admin' | 'technician' | 'energi' | 'affald') =>
    cloud.services.apiTokens.issue(kommune, { name, roles: [role] }).token;
  const tokens = {
    admin: apiToken('0751', 'admin', 'admin'),
    technician: apiToken('0751', 'tekniker', 'technician'),
    energi: apiToken('0751', 'energi', 'energi'),
    affald: apiToken('0751', 'affald', 'affald'),
    kbh: apiToken('0101', 'kbh', 'admin'),
    gateway: cloud.services.gatewayTokens.issue('0751', 'gw-a').token,
  };
  return { ...cloud, tokens };
}

/** startTestCloud without the tokens: for tests that count or issue tokens themselves. */
export async function startEmptyTestCloud(options: TestCloudOptions): Promise<EmptyTestCloud> {
  const dir = mkdtempSync(join(tmpdir(), `sensorbro-${options.name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const database = openCloudDatabase(join(dir, 'cloud.db'));
  onTestFinished(() => database.close());
  const store = await openStore(options.store ?? { kind: 'sqlite' }, { dataDir: dir });
  onTestFinished(() => store.close());
  const registry = registryRoutes(database);
  const parts = { database, store, registry: registry.repository };
  const logs: string[] = [];
  const { app, services } = await buildCloudApp({
    database,
    store,
    logger: pino({ level: options.logLevel ?? 'silent' }, { write: (line: string) => void logs.push(line) }),
    cookieSecret: 'test-cookie-secret-0123456789abcdefghijklmnop',
    scryptParams: { N: 1024, r: 8, p: 1, keyLength: 32 },
    docs: false,
    ...options.app,
    routes: [registry.routes, ...(options.routes?.(parts) ?? [])],
  });
  onTestFinished(() => app.close());

  const now = services.clock();
  services.repositories.kommuner.ensure('0751', 'Aarhus', now);
  services.repositories.kommuner.ensure('0101', 'København', now);

  return {
    ...parts,
    app,
    services,
    dir,
    logs,
    call: (method, url, token, payload, contentType) =>
      app.inject({
        method,
        url,
        headers: { ...(token != null && { authorization: `Bearer ${token}` }), ...(contentType !== undefined && { 'content-type': contentType }) },
        ...(payload !== undefined && { payload }),
      }),
  };
}
