import type { Migration } from './migrate.js';

/**
 * The cloud's own tables (namespace 'cloud'): kommuner, users and their roles, sessions, API and
 * gateway tokens, the audit log, and gateway health. Times are ISO 8601 UTC text as
 * Date.toISOString() writes it (so text order is time order). Secrets are never stored, only
 * their SHA-256 (tokens, session ids) or scrypt hash (passwords). Token tables keep their rowid:
 * it orders tokens by issue (two can share a millisecond).
 */
export const cloudMigrations: readonly Migration[] = [
  `CREATE TABLE kommuner (
     code TEXT PRIMARY KEY CHECK (code GLOB '[0-9][0-9][0-9][0-9]'),
     name TEXT NOT NULL,
     created_at TEXT NOT NULL
   ) WITHOUT ROWID;

   CREATE TABLE users (
     id TEXT PRIMARY KEY,
     kommune TEXT NOT NULL REFERENCES kommuner (code),
     email TEXT NOT NULL,
     name TEXT NOT NULL,
     password_hash TEXT,
     created_at TEXT NOT NULL,
     disabled_at TEXT
   ) WITHOUT ROWID;
   CREATE UNIQUE INDEX users_by_email ON users (email);

   CREATE TABLE user_roles (
     user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     kommune TEXT NOT NULL REFERENCES kommuner (code),
     role TEXT NOT NULL CHECK (role IN ('admin', 'technician', 'energi', 'affald')),
     PRIMARY KEY (user_id, kommune, role)
   ) WITHOUT ROWID;
   CREATE INDEX user_roles_by_kommune ON user_roles (kommune, user_id);

   CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     kommune TEXT NOT NULL REFERENCES kommuner (code),
     provider TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     last_seen_at TEXT NOT NULL,
     remote_address TEXT
   ) WITHOUT ROWID;
   CREATE INDEX sessions_by_user ON sessions (user_id);
   CREATE INDEX sessions_by_expiry ON sessions (expires_at);

   CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     kommune TEXT NOT NULL REFERENCES kommuner (code),
     roles TEXT NOT NULL,
     name TEXT NOT NULL,
     hash BLOB NOT NULL,
     created_at TEXT NOT NULL,
     created_by TEXT,
     expires_at TEXT,
     revoked_at TEXT,
     last_used_at TEXT
   );
   CREATE INDEX api_tokens_by_kommune ON api_tokens (kommune);

   CREATE TABLE gateway_tokens (
     id TEXT PRIMARY KEY,
     gateway_id TEXT NOT NULL,
     kommune TEXT NOT NULL REFERENCES kommuner (code),
     hash BLOB NOT NULL,
     created_at TEXT NOT NULL,
     created_by TEXT,
     expires_at TEXT,
     revoked_at TEXT,
     rotated_from TEXT REFERENCES gateway_tokens (id),
     last_used_at TEXT
   );
   CREATE INDEX gateway_tokens_by_gateway ON gateway_tokens (kommune, gateway_id);

   CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     kommune TEXT,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     detail TEXT NOT NULL DEFAULT '{}',
     remote_address TEXT
   );
   CREATE INDEX audit_log_by_kommune ON audit_log (kommune, seq);

   CREATE TABLE gateway_health (
     kommune TEXT NOT NULL,
     gateway_id TEXT NOT NULL,
     last_contact_at TEXT NOT NULL,
     records_stored_total INTEGER NOT NULL DEFAULT 0,
     records_duplicate_total INTEGER NOT NULL DEFAULT 0,
     records_rejected_total INTEGER NOT NULL DEFAULT 0,
     last_heartbeat_at TEXT,
     heartbeat_received_at TEXT,
     uptime_s INTEGER,
     queue_depth INTEGER,
     queue_oldest_age_s INTEGER,
     queue_dropped_total INTEGER,
     dead_letters INTEGER,
     uplinks_total INTEGER,
     records_total INTEGER,
     sources_connected INTEGER,
     sources_total INTEGER,
     devices_configured INTEGER,
     software_version TEXT,
     PRIMARY KEY (kommune, gateway_id)
   ) WITHOUT ROWID;`,
];
