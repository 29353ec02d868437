import type Database from 'better-sqlite3';

/** What happened (e.g. 'login.failed'); dot-separated, lower-case. */
export type AuditAction = string;

export interface AuditEntryInput {
  at: Date;
  /** The kommune the action concerns; null for actions outside any kommune (a failed login for an unknown kommune). */
  kommune: string | null;
  /** Who: 'user:<id>', 'api-token:<id>', 'gateway:<id>', 'system', 'anonymous'. */
  actor: string;
  action: AuditAction;
  target?: string | null;
  /** Context as JSON. Never secrets (passwords, tokens, session ids). */
  detail?: Record<string, unknown>;
  remoteAddress?: string | null;
}

export interface AuditEntry {
  seq: number;
  at: string;
  kommune: string | null;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
  remoteAddress: string | null;
}

interface Row {
  seq: number;
  at: string;
  kommune: string | null;
  actor: string;
  action: string;
  target: string | null;
  detail: string;
  remote_address: string | null;
}

/** The audit log: append-only (no update or delete here). */
export class AuditLogRepository {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO audit_log (at, kommune, actor, action, target, detail, remote_address)
         VALUES (@at, @kommune, @actor, @action, @target, @detail, @remoteAddress)`,
      ),
      list: db.prepare<[string, number, number], Row>('SELECT * FROM audit_log WHERE kommune = ? AND seq > ? ORDER BY seq LIMIT ?'),
      listDesc: db.prepare<[string, number, number], Row>('SELECT * FROM audit_log WHERE kommune = ? AND seq < ? ORDER BY seq DESC LIMIT ?'),
    };
  }

  append(entry: AuditEntryInput): number {
    const result = this.statements.insert.run({
      at: entry.at.toISOString(),
      kommune: entry.kommune,
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
      remoteAddress: entry.remoteAddress ?? null,
    });
    return Number(result.lastInsertRowid);
  }

  /**
   * A kommune's entries. Oldest first after `afterSeq`, or, with `beforeSeq` (or neither), newest
   * first before it.
   */
  list(kommune: string, options: { afterSeq?: number; beforeSeq?: number; limit?: number } = {}): AuditEntry[] {
    const limit = options.limit ?? 100;
    const rows =
      options.afterSeq !== undefined
        ? this.statements.list.all(kommune, options.afterSeq, limit)
        : this.statements.listDesc.all(kommune, options.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit);
    return rows.map((row) => ({
      seq: row.seq,
      at: row.at,
      kommune: row.kommune,
      actor: row.actor,
      action: row.action,
      target: row.target,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
      remoteAddress: row.remote_address,
    }));
  }
}
