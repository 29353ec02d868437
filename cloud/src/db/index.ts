export { type CloudDatabase, openCloudDatabase } from './open-database.js';
export { type Migration, type MigrationResult, migrate, schemaVersion } from './migrate.js';
export { type CloudRepositories, createRepositories } from './repositories.js';
export type { AuditEntry, AuditEntryInput } from './audit-log.js';
export type { GatewayHealth } from './gateway-health.js';
export { GatewayHealthRepository } from './gateway-health.js';
