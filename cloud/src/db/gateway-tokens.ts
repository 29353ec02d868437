import type Database from 'better-sqlite3';

export interface GatewayTokenRow {
  id: string;
  gatewayId: string;
  kommune: string;
  /** SHA-256 of the whole token. */
  hash: Buffer;
  createdAt: string;
  createdBy: string | null;
  /** End of validity after a rotation (the grace period); null: valid until revoked. */
  expiresAt: string | null;
  revokedAt: string | null;
  /** The token this one replaced. */
  rotatedFrom: string | null;
  lastUsedAt: string | null;
}

interface Row {
  id: string;
  gateway_id: string;
  kommune: string;
  hash: Buffer;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  rotated_from: string | null;
  last_used_at: string | null;
}

const toToken = (row: Row): GatewayTokenRow => ({
  id: row.id,
  gatewayId: row.gateway_id,
  kommune: row.kommune,
  hash: row.hash,
  createdAt: row.created_at,
  createdBy: row.created_by,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  rotatedFrom: row.rotated_from,
  lastUsedAt: row.last_used_at,
});

/** Gateway tokens: the credentials gateways send to POST /api/v1/ingest. */
export class GatewayTokenRepository {
  private readonly statements;
  private readonly rotation;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO gateway_tokens (id, gateway_id, kommune, hash, created_at, created_by, expires_at, rotated_from)
         VALUES (@id, @gatewayId, @kommune, @hash, @createdAt, @createdBy, @expiresAt, @rotatedFrom)`,
      ),
      get: db.prepare<[string], Row>('SELECT * FROM gateway_tokens WHERE id = ?'),
      list: db.prepare<[string], Row>('SELECT * FROM gateway_tokens WHERE kommune = ? ORDER BY gateway_id, rowid'),
      listForGateway: db.prepare<[string, string], Row>('SELECT * FROM gateway_tokens WHERE kommune = ? AND gateway_id = ? ORDER BY rowid'),
      valid: db.prepare<[string, string, string], Row>(
        `SELECT * FROM gateway_tokens WHERE kommune = ? AND gateway_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
         ORDER BY rowid`,
      ),
      expire: db.prepare('UPDATE gateway_tokens SET expires_at = ? WHERE id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)'),
      revoke: db.prepare('UPDATE gateway_tokens SET revoked_at = ? WHERE kommune = ? AND id = ? AND revoked_at IS NULL'),
      revokeExpired: db.prepare('UPDATE gateway_tokens SET revoked_at = expires_at WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?'),
      touch: db.prepare('UPDATE gateway_tokens SET last_used_at = ? WHERE id = ?'),
    };
    this.rotation = db.transaction((token: Omit<GatewayTokenRow, 'revokedAt' | 'lastUsedAt'>, replaced: readonly string[], validUntil: Date) => {
      for (const id of replaced) this.expireAt(id, validUntil);
      this.insert(token);
    });
  }

  /** Inserts a token and, in the same transaction, ends the validity of those it replaces at `validUntil`. */
  insertReplacing(token: Omit<GatewayTokenRow, 'revokedAt' | 'lastUsedAt'>, replaced: readonly string[], validUntil: Date): void {
    this.rotation(token, replaced, validUntil);
  }

  insert(token: Omit<GatewayTokenRow, 'revokedAt' | 'lastUsedAt'>): void {
    this.statements.insert.run(token);
  }

  get(id: string): GatewayTokenRow | undefined {
    const row = this.statements.get.get(id);
    return row ? toToken(row) : undefined;
  }

  list(kommune: string, gatewayId?: string): GatewayTokenRow[] {
    const rows = gatewayId === undefined ? this.statements.list.all(kommune) : this.statements.listForGateway.all(kommune, gatewayId);
    return rows.map(toToken);
  }

  /** The gateway's tokens valid at `now`, oldest first. */
  valid(kommune: string, gatewayId: string, now: Date): GatewayTokenRow[] {
    return this.statements.valid.all(kommune, gatewayId, now.toISOString()).map(toToken);
  }

  /** Ends a valid token's validity at `at` (never extends it). */
  expireAt(id: string, at: Date): void {
    this.statements.expire.run(at.toISOString(), id, at.toISOString());
  }

  /** False when the kommune has no such token, or it was revoked before. */
  revoke(kommune: string, id: string, at: Date): boolean {
    return this.statements.revoke.run(at.toISOString(), kommune, id).changes > 0;
  }

  /** Marks the tokens whose grace period ended as revoked (at the end of the grace); returns how many. */
  revokeExpired(now: Date): number {
    return this.statements.revokeExpired.run(now.toISOString()).changes;
  }

  touch(id: string, at: Date): void {
    this.statements.touch.run(at.toISOString(), id);
  }
}
