import type Database from 'better-sqlite3';
import type { Role } from '../api/principal.js';

export interface ApiTokenRow {
  id: string;
  kommune: string;
  roles: Role[];
  name: string;
  /** SHA-256 of the whole token. */
  hash: Buffer;
  createdAt: string;
  /** Actor that created it (audit form, e.g. 'user:…'). */
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface Row {
  id: string;
  kommune: string;
  roles: string;
  name: string;
  hash: Buffer;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const toToken = (row: Row): ApiTokenRow => ({
  id: row.id,
  kommune: row.kommune,
  roles: JSON.parse(row.roles) as Role[],
  name: row.name,
  hash: row.hash,
  createdAt: row.created_at,
  createdBy: row.created_by,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
});

/** API tokens (machine access to the REST API of one kommune, with roles). */
export class ApiTokenRepository {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO api_tokens (id, kommune, roles, name, hash, created_at, created_by, expires_at)
         VALUES (@id, @kommune, @roles, @name, @hash, @createdAt, @createdBy, @expiresAt)`,
      ),
      get: db.prepare<[string], Row>('SELECT * FROM api_tokens WHERE id = ?'),
      list: db.prepare<[string], Row>('SELECT * FROM api_tokens WHERE kommune = ? ORDER BY rowid'),
      revoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE kommune = ? AND id = ? AND revoked_at IS NULL'),
      touch: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
    };
  }

  insert(token: Omit<ApiTokenRow, 'revokedAt' | 'lastUsedAt'>): void {
    this.statements.insert.run({ ...token, roles: JSON.stringify(token.roles) });
  }

  get(id: string): ApiTokenRow | undefined {
    const row = this.statements.get.get(id);
    return row ? toToken(row) : undefined;
  }

  list(kommune: string): ApiTokenRow[] {
    return this.statements.list.all(kommune).map(toToken);
  }

  /** False when the kommune has no such token, or it was revoked before. */
  revoke(kommune: string, id: string, at: Date): boolean {
    return this.statements.revoke.run(at.toISOString(), kommune, id).changes > 0;
  }

  touch(id: string, at: Date): void {
    this.statements.touch.run(at.toISOString(), id);
  }
}
