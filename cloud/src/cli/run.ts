import pino, { type Logger } from 'pino';
import { type LoadedProfiles, loadProfiles } from '../../../firmware-profiles/src/index.js';
import { buildCloudApp, type CloudApp } from '../app.js';
import { exportRoutes } from '../export/routes.js';
import { integrationRoutes } from '../integrations/routes.js';
import { openDataExportTable, openDataRoutes } from '../opendata/routes.js';
import { queryRoutes } from '../query/query-routes.js';
import { registryRoutes } from '../registry/routes.js';
import { bootstrapAdmin, type BootstrapResult } from '../bootstrap.js';
import { type CloudConfig, CloudConfigError, dataPaths, loadOrCreateCookieSecret, resolveCloudConfig, storeConfigOf } from '../config.js';
import { openCloudDatabase } from '../db/open-database.js';
import { openStore } from '../store/open-store.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';

const usage = 'usage: sensorbro cloud run [--port N] [--store sqlite|influx] [--data DIR]\n';

export interface RunningCloud extends CloudApp {
  /** http://host:port the cloud listens on. */
  url: string;
  bootstrap: BootstrapResult;
  /** Stops listening (waiting for requests in flight), then closes store and database. */
  close(): Promise<void>;
}

/** Opens database and store under the data dir, builds the app, creates the first admin if asked to, listens. */
export async function startCloud(config: CloudConfig, logger: Logger): Promise<RunningCloud> {
  const paths = dataPaths(config.dataDir);
  const cookieSecret = loadOrCreateCookieSecret(config.dataDir);
  const database = openCloudDatabase(paths.database);
  let store: TimeSeriesStore | undefined;
  let profiles: LoadedProfiles | undefined;
  const disposeProfiles = () => {
    for (const profile of profiles?.profiles.values() ?? []) profile.dispose();
  };
  try {
    store = await openStore(storeConfigOf(config), { dataDir: config.dataDir, logger: logger.child({ component: 'store' }) });
    // Pushes from ChirpStack and OS2iot are decoded here with the same profiles as on the gateways.
    profiles = await loadProfiles();
    for (const problem of profiles.errors) logger.warn({ err: problem }, 'firmware profile refused');
    const registry = registryRoutes(database);
    const integrations = integrationRoutes({ database, store, registry: registry.repository, profiles, ratePerKeyPerMinute: config.integrationRatePerMinute });
    const publicBaseUrl = config.publicOrigins[0];
    const opendata = openDataRoutes(database, { store, registry: registry.repository, ...(publicBaseUrl !== undefined && { publicBaseUrl }) });
    const cloud = await buildCloudApp({
      database,
      store,
      logger,
      cookieSecret,
      routes: [
        registry.routes,
        integrations,
        queryRoutes({ store, registry: registry.repository }),
        exportRoutes({ store, registry: registry.repository, tables: [openDataExportTable(opendata.repository)] }),
        opendata.routes,
      ],
      publicOrigins: config.publicOrigins,
      trustProxy: config.trustProxy,
      apiRatePerMinute: config.apiRatePerMinute,
    });
    const bootstrap = await bootstrapAdmin(cloud.services, config.admin, logger);
    await cloud.app.listen({ host: config.host, port: config.port });
    const address = cloud.app.server.address();
    const port = address !== null && typeof address === 'object' ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const opened = store;
    return {
      ...cloud,
      url: `http://${host}:${port}`,
      bootstrap,
      async close() {
        try {
          await cloud.app.close();
        } finally {
          disposeProfiles();
          await opened.close();
          database.close();
        }
      },
    };
  } catch (error) {
    disposeProfiles();
    await store?.close().catch(() => undefined);
    database.close();
    throw error;
  }
}

interface RunArgs {
  port?: number;
  store?: string;
  dataDir?: string;
}

function parseArgs(args: string[]): RunArgs | string {
  const parsed: RunArgs = {};
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!['--port', '--store', '--data'].includes(flag)) return `unknown option ${flag}`;
    if (value === undefined || value.startsWith('--')) return `${flag} needs a value`;
    i++;
    if (flag === '--port') {
      if (!/^\d+$/.test(value)) return `--port takes a number, got "${value}"`;
      parsed.port = Number(value);
    } else if (flag === '--store') parsed.store = value;
    else parsed.dataDir = value;
  }
  return parsed;
}

/**
 * `sensorbro cloud run`: starts the cloud (the command line runs it until SIGTERM or SIGINT), or
 * answers an exit code when it cannot start. Configuration: options, then environment (config.ts).
 */
export async function startCloudRun(args: string[]): Promise<number | { logger: Logger; stop(): Promise<void> }> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`error: ${parsed}\n${usage}`);
    return 2;
  }
  let config: CloudConfig;
  try {
    config = resolveCloudConfig(parsed);
  } catch (error) {
    if (error instanceof CloudConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = pino({
    name: 'sensorbro-cloud',
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.token'], censor: '[redacted]' },
  });
  let cloud: RunningCloud;
  try {
    cloud = await startCloud(config, logger);
  } catch (error) {
    if (error instanceof CloudConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  process.stderr.write(`cloud running on ${cloud.url} (store: ${config.store}, data: ${config.dataDir}); API documentation: ${cloud.url}/docs\n`);
  const running = cloud;
  return { logger, stop: () => running.close() };
}
