import { ApiTokenService } from './auth/api-tokens.js';
import { GatewayTokenService } from './auth/gateway-tokens.js';
import { defaultScryptParams, type ScryptParams } from './auth/password-hash.js';
import { PasswordIdentityProvider } from './auth/password-provider.js';
import { type SessionPolicy, SessionService } from './auth/session-service.js';
import { UserDirectory } from './auth/user-directory.js';
import { UserService } from './auth/user-service.js';
import { Auditor } from './api/audit.js';
import { type Clock, systemClock } from './clock.js';
import type { CloudDatabase } from './db/open-database.js';
import { type CloudRepositories, createRepositories } from './db/repositories.js';

export interface CloudServiceOptions {
  clock?: Clock;
  session?: Partial<SessionPolicy>;
  /** Password hashing cost; tests lower it. */
  scryptParams?: ScryptParams;
}

/** The cloud's services on its database: what the routes use, and what other parts may call (issue a gateway token, read health). */
export interface CloudServices {
  clock: Clock;
  repositories: CloudRepositories;
  users: UserService;
  sessions: SessionService;
  apiTokens: ApiTokenService;
  gatewayTokens: GatewayTokenService;
  passwordProvider: PasswordIdentityProvider;
  directory: UserDirectory;
  auditor: Auditor;
}

export function createCloudServices(database: CloudDatabase, options: CloudServiceOptions = {}): CloudServices {
  const clock = options.clock ?? systemClock;
  const repositories = createRepositories(database.db);
  const scryptParams = options.scryptParams ?? defaultScryptParams;
  return {
    clock,
    repositories,
    users: new UserService(repositories.users, clock, scryptParams),
    sessions: new SessionService(repositories.sessions, repositories.users, clock, options.session),
    apiTokens: new ApiTokenService(repositories.apiTokens, clock),
    gatewayTokens: new GatewayTokenService(repositories.gatewayTokens, clock),
    passwordProvider: new PasswordIdentityProvider(repositories.users, scryptParams),
    directory: new UserDirectory(repositories.users),
    auditor: new Auditor(repositories.audit, clock),
  };
}
