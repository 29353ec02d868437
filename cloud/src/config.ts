import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { kommuneCode } from '../../standards/src/index.js';
import { maxPasswordLength, minPasswordLength } from './auth/password-hash.js';
import type { StoreConfig } from './store/open-store.js';

/**
 * The cloud's configuration: command-line options over environment variables over defaults.
 *
 *   SENSORBRO_DATA_DIR        data folder (database, time series, cookie secret); --data; default ./sensorbro-data
 *   SENSORBRO_HOST            address to listen on; default 127.0.0.1 (behind a reverse proxy); 0.0.0.0 in a container
 *   SENSORBRO_PORT            --port; default 8081
 *   SENSORBRO_STORE           sqlite | influx; --store; default sqlite (its file under <data>/store/)
 *   SENSORBRO_INFLUX_URL, SENSORBRO_INFLUX_DATABASE (both required with influx),
 *   SENSORBRO_INFLUX_USERNAME, SENSORBRO_INFLUX_PASSWORD, SENSORBRO_INFLUX_RETENTION (e.g. 520w)
 *   SENSORBRO_PUBLIC_ORIGIN   origin(s) browsers use, comma-separated (CSRF check); default: the request's own
 *   SENSORBRO_TRUST_PROXY     true behind a reverse proxy (client address, scheme from X-Forwarded-*)
 *   SENSORBRO_API_RATE_PER_MINUTE          requests per minute per user session or API token; default 1200
 *   SENSORBRO_INTEGRATION_RATE_PER_MINUTE  pushes per minute per integration key (ChirpStack, OS2iot); default 6000
 *   LOG_LEVEL                 pino level; default info
 *
 * Bootstrap of the first admin (bootstrap.ts): when the database has no user at all and
 *   SENSORBRO_ADMIN_EMAIL, SENSORBRO_ADMIN_PASSWORD, SENSORBRO_ADMIN_KOMMUNE (4 digits) and
 *   optionally SENSORBRO_ADMIN_KOMMUNE_NAME are set, that admin is created at start. Once any user
 *   exists they are ignored (take the password out of the environment after the first start).
 */
export const cloudConfigSchema = z.object({
  dataDir: z.string().min(1),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8081),
  store: z.enum(['sqlite', 'influx']).default('sqlite'),
  publicOrigins: z.array(z.url({ protocol: /^https?$/ })).default([]),
  trustProxy: z.boolean().default(false),
  apiRatePerMinute: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  integrationRatePerMinute: z.coerce.number().int().min(1).max(1_000_000).default(6000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  influx: z
    .object({
      url: z.url({ protocol: /^https?$/ }),
      database: z.string().min(1).max(64),
      username: z.string().min(1).optional(),
      password: z.string().optional(),
      rawRetention: z.string().min(1).optional(),
    })
    .optional(),
  admin: z
    .object({
      email: z.email(),
      password: z.string().min(minPasswordLength).max(maxPasswordLength),
      kommune: kommuneCode,
      kommuneName: z.string().trim().min(1).max(100).optional(),
    })
    .optional(),
}).refine((config) => config.store !== 'influx' || config.influx !== undefined, {
  path: ['influx'],
  message: 'the influx store needs SENSORBRO_INFLUX_URL and SENSORBRO_INFLUX_DATABASE',
});
export type CloudConfig = z.infer<typeof cloudConfigSchema>;

export interface ConfigOverrides {
  dataDir?: string;
  port?: number;
  store?: string;
}

export class CloudConfigError extends Error {}

const adminVariables = ['SENSORBRO_ADMIN_EMAIL', 'SENSORBRO_ADMIN_PASSWORD', 'SENSORBRO_ADMIN_KOMMUNE'] as const;

/** Reads the configuration from options and environment; CloudConfigError names each problem (never a password). */
export function resolveCloudConfig(overrides: ConfigOverrides, env: NodeJS.ProcessEnv = process.env): CloudConfig {
  const given = adminVariables.filter((name) => (env[name] ?? '') !== '');
  if (given.length > 0 && given.length < adminVariables.length) {
    throw new CloudConfigError(`bootstrap admin: set all of ${adminVariables.join(', ')} (missing: ${adminVariables.filter((name) => !given.includes(name)).join(', ')})`);
  }
  const raw = {
    dataDir: resolve(overrides.dataDir ?? env.SENSORBRO_DATA_DIR ?? 'sensorbro-data'),
    host: env.SENSORBRO_HOST || undefined,
    port: overrides.port ?? (env.SENSORBRO_PORT || undefined),
    store: overrides.store ?? (env.SENSORBRO_STORE || undefined),
    publicOrigins: (env.SENSORBRO_PUBLIC_ORIGIN ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    trustProxy: ['1', 'true', 'yes'].includes((env.SENSORBRO_TRUST_PROXY ?? '').toLowerCase()),
    logLevel: env.LOG_LEVEL || undefined,
    apiRatePerMinute: env.SENSORBRO_API_RATE_PER_MINUTE || undefined,
    integrationRatePerMinute: env.SENSORBRO_INTEGRATION_RATE_PER_MINUTE || undefined,
    influx:
      env.SENSORBRO_INFLUX_URL || env.SENSORBRO_INFLUX_DATABASE
        ? {
            url: env.SENSORBRO_INFLUX_URL,
            database: env.SENSORBRO_INFLUX_DATABASE,
            username: env.SENSORBRO_INFLUX_USERNAME || undefined,
            password: env.SENSORBRO_INFLUX_PASSWORD || undefined,
            rawRetention: env.SENSORBRO_INFLUX_RETENTION || undefined,
          }
        : undefined,
    admin:
      given.length === adminVariables.length
        ? {
            email: env.SENSORBRO_ADMIN_EMAIL,
            password: env.SENSORBRO_ADMIN_PASSWORD,
            kommune: env.SENSORBRO_ADMIN_KOMMUNE,
            kommuneName: env.SENSORBRO_ADMIN_KOMMUNE_NAME || undefined,
          }
        : undefined,
  };
  const parsed = cloudConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const names: Record<string, string> = {
      dataDir: 'data dir',
      port: 'port (--port, SENSORBRO_PORT)',
      store: 'store (--store, SENSORBRO_STORE)',
      host: 'SENSORBRO_HOST',
      publicOrigins: 'SENSORBRO_PUBLIC_ORIGIN',
      logLevel: 'LOG_LEVEL',
      apiRatePerMinute: 'SENSORBRO_API_RATE_PER_MINUTE',
      integrationRatePerMinute: 'SENSORBRO_INTEGRATION_RATE_PER_MINUTE',
      influx: 'store influx',
      'influx.url': 'SENSORBRO_INFLUX_URL',
      'influx.database': 'SENSORBRO_INFLUX_DATABASE',
      'influx.username': 'SENSORBRO_INFLUX_USERNAME',
      'influx.password': 'SENSORBRO_INFLUX_PASSWORD',
      'influx.rawRetention': 'SENSORBRO_INFLUX_RETENTION',
      'admin.email': 'SENSORBRO_ADMIN_EMAIL',
      'admin.password': 'SENSORBRO_ADMIN_PASSWORD',
      'admin.kommune': 'SENSORBRO_ADMIN_KOMMUNE',
      'admin.kommuneName': 'SENSORBRO_ADMIN_KOMMUNE_NAME',
    };
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.filter((part) => typeof part === 'string').join('.');
      return `${names[path] ?? (path || 'configuration')}: ${issue.message}`;
    });
    throw new CloudConfigError(problems.join('\n'));
  }
  return parsed.data;
}

/** Where things live in the data dir (the store puts its files there too: store/, influx-ledger.db). */
export function dataPaths(dataDir: string) {
  return {
    database: join(dataDir, 'cloud.db'),
    cookieSecret: join(dataDir, 'cookie-secret'),
  };
}

/** The store's configuration (cloud/src/store/open-store.ts) from the cloud's. */
export function storeConfigOf(config: CloudConfig): StoreConfig {
  if (config.store === 'sqlite') return { kind: 'sqlite' };
  const influx = config.influx;
  if (!influx) throw new CloudConfigError('store influx: needs SENSORBRO_INFLUX_URL and SENSORBRO_INFLUX_DATABASE');
  return {
    kind: 'influx',
    url: influx.url,
    database: influx.database,
    ...(influx.username !== undefined ? { username: influx.username } : {}),
    ...(influx.password !== undefined ? { password: influx.password } : {}),
    ...(influx.rawRetention !== undefined ? { rawRetention: influx.rawRetention } : {}),
  };
}

/**
 * The cookie-signing secret, made on first start and kept in the data dir (readable by the
 * cloud's user only), so sessions survive restarts. Several cloud instances behind one load
 * balancer must share the file.
 */
export function loadOrCreateCookieSecret(dataDir: string): string {
  const path = dataPaths(dataDir).cookieSecret;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < 32) throw new CloudConfigError(`${path}: the cookie secret is shorter than 32 characters; delete the file to make a new one`);
  return secret;
}
