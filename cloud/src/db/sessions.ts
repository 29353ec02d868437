import type Database from 'better-sqlite3';

export interface SessionRow {
  /** SHA-256 (hex) of the session secret in the cookie. */
  idHash: string;
  userId: string;
  kommune: string;
  /** The identity provider that verified the login ('password', later e.g. 'kombit'). */
  provider: string;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
  remoteAddress: string | null;
}

interface Row {
  id_hash: string;
  user_id: string;
  kommune: string;
  provider: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  remote_address: string | null;
}

const toSession = (row: Row): SessionRow => ({
  idHash: row.id_hash,
  userId: row.user_id,
  kommune: row.kommune,
  provider: row.provider,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastSeenAt: row.last_seen_at,
  remoteAddress: row.remote_address,
});

/** Login sessions, stored by the hash of their id (a copy of the table grants no session). */
export class SessionRepository {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO sessions (id_hash, user_id, kommune, provider, created_at, expires_at, last_seen_at, remote_address)
         VALUES (@idHash, @userId, @kommune, @provider, @createdAt, @expiresAt, @lastSeenAt, @remoteAddress)`,
      ),
      get: db.prepare<[string], Row>('SELECT * FROM sessions WHERE id_hash = ?'),
      touch: db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?'),
      remove: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      removeForUser: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
      removeExpired: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    };
  }

  insert(session: SessionRow): void {
    this.statements.insert.run(session);
  }

  get(idHash: string): SessionRow | undefined {
    const row = this.statements.get.get(idHash);
    return row ? toSession(row) : undefined;
  }

  touch(idHash: string, at: Date): void {
    this.statements.touch.run(at.toISOString(), idHash);
  }

  remove(idHash: string): boolean {
    return this.statements.remove.run(idHash).changes > 0;
  }

  removeForUser(userId: string): number {
    return this.statements.removeForUser.run(userId).changes;
  }

  /** Deletes sessions past their absolute expiry; returns how many. */
  removeExpired(now: Date): number {
    return this.statements.removeExpired.run(now.toISOString()).changes;
  }
}
