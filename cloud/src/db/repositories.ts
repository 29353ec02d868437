import type Database from 'better-sqlite3';
import { ApiTokenRepository } from './api-tokens.js';
import { AuditLogRepository } from './audit-log.js';
import { GatewayHealthRepository } from './gateway-health.js';
import { GatewayTokenRepository } from './gateway-tokens.js';
import { KommuneRepository } from './kommuner.js';
import { SessionRepository } from './sessions.js';
import { UserRepository } from './users.js';

/** Every repository of the cloud's own tables, on one database handle. */
export interface CloudRepositories {
  kommuner: KommuneRepository;
  users: UserRepository;
  sessions: SessionRepository;
  apiTokens: ApiTokenRepository;
  gatewayTokens: GatewayTokenRepository;
  audit: AuditLogRepository;
  gatewayHealth: GatewayHealthRepository;
}

export function createRepositories(db: Database.Database): CloudRepositories {
  return {
    kommuner: new KommuneRepository(db),
    users: new UserRepository(db),
    sessions: new SessionRepository(db),
    apiTokens: new ApiTokenRepository(db),
    gatewayTokens: new GatewayTokenRepository(db),
    audit: new AuditLogRepository(db),
    gatewayHealth: new GatewayHealthRepository(db),
  };
}
