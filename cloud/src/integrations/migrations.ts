import type { Migration } from '../db/migrate.js';

/**
 * The integrations' tables in the cloud database (namespace 'integrations'): integration keys
 * (SHA-256 only, as the other tokens), the bounded dead-letter store of what integrations pushed
 * and could not be used, and counters per kommune.
 */
export const integrationMigrations: readonly Migration[] = [
  `CREATE TABLE integration_keys (
     id TEXT PRIMARY KEY,
     kommune TEXT NOT NULL REFERENCES kommuner (code),
     integration TEXT NOT NULL CHECK (integration IN ('chirpstack', 'os2iot')),
     name TEXT NOT NULL,
     hash BLOB NOT NULL,
     created_at TEXT NOT NULL,
     created_by TEXT,
     revoked_at TEXT,
     last_used_at TEXT
   );
   CREATE INDEX integration_keys_by_kommune ON integration_keys (kommune);

   CREATE TABLE integration_dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kommune TEXT NOT NULL,
     at TEXT NOT NULL,
     source TEXT NOT NULL,
     key_id TEXT NOT NULL,
     device_key TEXT,
     code TEXT NOT NULL,
     reason TEXT NOT NULL,
     content_type TEXT,
     raw BLOB NOT NULL
   );
   CREATE INDEX integration_dead_letters_by_kommune ON integration_dead_letters (kommune, id);

   CREATE TABLE integration_counts (
     kommune TEXT NOT NULL,
     name TEXT NOT NULL,
     value INTEGER NOT NULL,
     PRIMARY KEY (kommune, name)
   ) WITHOUT ROWID;`,
];
