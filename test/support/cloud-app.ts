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
import { openStore } from '../../cloud/src/store/open-store.js';
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
  app?: Pick<CloudAppOptions, 'docs' | 'clock' | 'apiRatePerMinute'>;
}

type Method = 'GET' | 'PUT' | 'DELETE' | 'POST';

export interface TestCloud extends TestCloudParts {
  app: CloudApp['app'];
  services: CloudApp['services'];
  dir: string;
  /**
   * API tokens of Aarhus (0751), one per role; `kbh` is an admin of København (0101); `gateway` is
   * the gateway token of gw-a in Aarhus.
   */
  tokens: { admin: string; technician: string; energi: string; affald: string; kbh: string; gateway: string };
  /** Injects a request, with `token` as bearer unless it is missing or null. */
  call(method: Method, url: string, token?: string | null, payload?: object | string, contentType?: string): Promise<LightMyRequestResponse>;
}

/**
 * A real cloud app for a test: buildCloudApp with the registry routes (and `routes`) on a real cloud
 * database and embedded SQLite store in a temporary directory, kommuner Aarhus and København, and
 * the tokens above. Silent logger, a test cookie secret and cheap scrypt parameters. Called inside
 * a test; everything is closed and removed when that test finishes.
 */
export async function startTestCloud(options: TestCloudOptions): Promise<TestCloud> {
  const dir = mkdtempSync(join(tmpdir(), `sensorbro-${options.name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const database = openCloudDatabase(join(dir, 'cloud.db'));
  onTestFinished(() => database.close());
  const store = await openStore({ kind: 'sqlite' }, { dataDir: dir });
  onTestFinished(() => store.close());
  const registry = registryRoutes(database);
  const parts = { database, store, registry: registry.repository };
  const { app, services } = await buildCloudApp({
    database,
    store,
    logger: pino({ level: 'silent' }),
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
  const apiToken = (kommune: string, name: string, role: 'admin' | 'technician' | 'energi' | 'affald') =>
    services.apiTokens.issue(kommune, { name, roles: [role] }).token;
  const tokens = {
    admin: apiToken('0751', 'admin', 'admin'),
    technician: apiToken('0751', 'tekniker', 'technician'),
    energi: apiToken('0751', 'energi', 'energi'),
    affald: apiToken('0751', 'affald', 'affald'),
    kbh: apiToken('0101', 'kbh', 'admin'),
    gateway: services.gatewayTokens.issue('0751', 'gw-a').token,
  };

  return {
    ...parts,
    app,
    services,
    dir,
    tokens,
    call: (method, url, token, payload, contentType) =>
      app.inject({
        method,
        url,
        headers: { ...(token != null && { authorization: `Bearer ${token}` }), ...(contentType !== undefined && { 'content-type': contentType }) },
        ...(payload !== undefined && { payload }),
      }),
  };
}
