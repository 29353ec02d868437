import type Database from 'better-sqlite3';

/**
 * One step of a schema: SQL (one or more statements) or a function for steps SQL alone cannot do.
 * A namespace's migrations are a list; step i (from 0) brings the namespace to version i + 1.
 * Released steps are never edited or reordered, only appended to.
 */
export type Migration = string | ((db: Database.Database) => void);

export interface MigrationResult {
  namespace: string;
  from: number;
  to: number;
}

const namespacePattern = /^[a-z][a-z0-9_-]{0,63}$/;

/** Versions per namespace: the cloud's own tables ('cloud'), the registry's ('registry'), …. */
const versionTable = `CREATE TABLE IF NOT EXISTS schema_versions (
  namespace TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID`;

/**
 * Brings `namespace` up to the last of `migrations`, each step once, all steps in one transaction
 * taken with the write lock (two processes starting at once apply each step once). A database
 * of a newer version than this software knows is refused, never touched.
 */
export function migrate(db: Database.Database, namespace: string, migrations: readonly Migration[]): MigrationResult {
  if (!namespacePattern.test(namespace)) throw new Error(`migration namespace ${JSON.stringify(namespace)}: lower-case letters, digits, - and _`);
  db.exec(versionTable);
  const readVersion = db.prepare<[string], { version: number }>('SELECT version FROM schema_versions WHERE namespace = ?');
  const writeVersion = db.prepare(
    `INSERT INTO schema_versions (namespace, version, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (namespace) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
  );
  return db
    .transaction((): MigrationResult => {
      const from = readVersion.get(namespace)?.version ?? 0;
      if (from > migrations.length) {
        throw new Error(`database schema "${namespace}" is at version ${from}, newer than this software knows (${migrations.length}); refusing to use it`);
      }
      for (let version = from + 1; version <= migrations.length; version++) {
        const step = migrations[version - 1]!;
        try {
          if (typeof step === 'string') db.exec(step);
          else step(db);
        } catch (error) {
          throw new Error(`database schema "${namespace}": migration to version ${version} failed: ${error instanceof Error ? error.message : String(error)}`, {
            cause: error,
          });
        }
      }
      if (migrations.length > from) writeVersion.run(namespace, migrations.length, new Date().toISOString());
      return { namespace, from, to: migrations.length };
    })
    .immediate();
}

/** The version a namespace is at (0: never migrated). */
export function schemaVersion(db: Database.Database, namespace: string): number {
  db.exec(versionTable);
  const row = db.prepare<[string], { version: number }>('SELECT version FROM schema_versions WHERE namespace = ?').get(namespace);
  return row?.version ?? 0;
}
