import type Database from 'better-sqlite3';
import { newToken, parseToken, tokenMatches } from '../auth/secret-token.js';
import type { Clock } from '../clock.js';

/** The pushing systems an integration key may be issued for; each has its own endpoint. */
export const integrationKinds = ['chirpstack', 'os2iot'] as const;
export type IntegrationKind = (typeof integrationKinds)[number];

/** Who pushed: the key's kommune and integration. Records carry `gatewayId`, the integration's stable name. */
export interface IntegrationPrincipal {
  keyId: string;
  kommune: string;
  integration: IntegrationKind;
  gatewayId: string;
}

export interface IntegrationKeyInfo {
  id: string;
  integration: IntegrationKind;
  name: string;
  /** What records pushed with this key carry as gatewayId: `<integration>:<name>`. */
  gatewayId: string;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  active: boolean;
}

interface Row {
  id: string;
  kommune: string;
  integration: IntegrationKind;
  name: string;
  hash: Buffer;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const touchEveryMs = 60_000;

const gatewayIdOf = (integration: IntegrationKind, name: string) => `${integration}:${name}`;

function info(row: Row): IntegrationKeyInfo {
  return {
    id: row.id,
    integration: row.integration,
    name: row.name,
    gatewayId: gatewayIdOf(row.integration, row.name),
    createdAt: row.created_at,
    createdBy: row.created_by,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    active: row.revoked_at === null,
  };
}

/**
 * Integration keys (`sbi_<id>_<secret>`): one per integration per kommune (a ChirpStack HTTP
 * integration, an OS2iot HTTP push data target). A key may only push uplinks to its own
 * integration's endpoint: the authentication hook refuses it everywhere else, and it carries no
 * roles. Stored as SHA-256, revocable; a new key with the same name keeps the same gatewayId
 * (rotation: issue the new key, put it into the sender, revoke the old one).
 */
export class IntegrationKeys {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly now: Clock,
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO integration_keys (id, kommune, integration, name, hash, created_at, created_by)
         VALUES (@id, @kommune, @integration, @name, @hash, @createdAt, @createdBy)`,
      ),
      get: db.prepare<[string], Row>('SELECT * FROM integration_keys WHERE id = ?'),
      list: db.prepare<[string], Row>('SELECT * FROM integration_keys WHERE kommune = ? ORDER BY rowid'),
      revoke: db.prepare('UPDATE integration_keys SET revoked_at = ? WHERE kommune = ? AND id = ? AND revoked_at IS NULL'),
      touch: db.prepare('UPDATE integration_keys SET last_used_at = ? WHERE id = ?'),
    };
  }

  issue(kommune: string, input: { integration: IntegrationKind; name: string; createdBy?: string }): IntegrationKeyInfo & { key: string } {
    const fresh = newToken('integration');
    const row: Row = {
      id: fresh.id,
      kommune,
      integration: input.integration,
      name: input.name,
      hash: fresh.hash,
      created_at: this.now().toISOString(),
      created_by: input.createdBy ?? null,
      revoked_at: null,
      last_used_at: null,
    };
    this.statements.insert.run({ id: row.id, kommune, integration: row.integration, name: row.name, hash: row.hash, createdAt: row.created_at, createdBy: row.created_by });
    return { ...info(row), key: fresh.token };
  }

  list(kommune: string): IntegrationKeyInfo[] {
    return this.statements.list.all(kommune).map(info);
  }

  /** False when the kommune has no such key, or it was revoked before. */
  revoke(kommune: string, id: string): boolean {
    return this.statements.revoke.run(this.now().toISOString(), kommune, id).changes > 0;
  }

  /**
   * The principal a kommune's key pushed as, revoked or not: a dead letter is replayed as the key
   * that pushed it (its records keep the integration's gatewayId).
   */
  principalOf(kommune: string, id: string): IntegrationPrincipal | undefined {
    const row = this.statements.get.get(id);
    if (!row || row.kommune !== kommune) return undefined;
    return { keyId: row.id, kommune: row.kommune, integration: row.integration, gatewayId: gatewayIdOf(row.integration, row.name) };
  }

  /** The key's principal when `presented` is a valid key of `integration`; undefined for anything else. */
  verify(presented: string, integration: IntegrationKind): IntegrationPrincipal | undefined {
    const parsed = parseToken(presented);
    if (!parsed || parsed.kind !== 'integration') return undefined;
    const row = this.statements.get.get(parsed.id);
    if (!row || !tokenMatches(parsed.token, row.hash) || row.revoked_at !== null || row.integration !== integration) return undefined;
    const now = this.now();
    if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) >= touchEveryMs) this.statements.touch.run(now.toISOString(), row.id);
    return { keyId: row.id, kommune: row.kommune, integration: row.integration, gatewayId: gatewayIdOf(row.integration, row.name) };
  }
}
