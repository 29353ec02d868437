import type { Principal, Role } from '../api/principal.js';
import type { Clock } from '../clock.js';
import type { ApiTokenRepository, ApiTokenRow } from '../db/api-tokens.js';
import { newToken, parseToken, tokenMatches } from './secret-token.js';

export type ApiTokenPrincipal = Extract<Principal, { kind: 'api-token' }>;

export interface ApiTokenInfo {
  id: string;
  kommune: string;
  name: string;
  roles: Role[];
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  active: boolean;
}

export interface IssuedApiToken extends ApiTokenInfo {
  /** Shown once; only its hash is kept. */
  token: string;
}

const touchEveryMs = 60_000;

/** API tokens (`sba_<id>_<secret>`): machine access to one kommune's REST API with roles. */
export class ApiTokenService {
  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly now: Clock,
  ) {}

  issue(kommune: string, input: { name: string; roles: readonly Role[]; expiresAt?: Date; createdBy?: string }): IssuedApiToken {
    const now = this.now();
    const fresh = newToken('api');
    const row = {
      id: fresh.id,
      kommune,
      roles: [...new Set(input.roles)].sort(),
      name: input.name,
      hash: fresh.hash,
      createdAt: now.toISOString(),
      createdBy: input.createdBy ?? null,
      expiresAt: input.expiresAt ? input.expiresAt.toISOString() : null,
    };
    this.tokens.insert(row);
    return { ...info({ ...row, revokedAt: null, lastUsedAt: null }, now), token: fresh.token };
  }

  revoke(kommune: string, tokenId: string): boolean {
    return this.tokens.revoke(kommune, tokenId, this.now());
  }

  list(kommune: string): ApiTokenInfo[] {
    const now = this.now();
    return this.tokens.list(kommune).map((row) => info(row, now));
  }

  verify(presented: string): ApiTokenPrincipal | undefined {
    const parsed = parseToken(presented);
    if (!parsed || parsed.kind !== 'api') return undefined;
    const row = this.tokens.get(parsed.id);
    if (!row || !tokenMatches(parsed.token, row.hash)) return undefined;
    const now = this.now();
    if (!isValid(row, now) || row.roles.length === 0) return undefined;
    if (row.lastUsedAt === null || now.getTime() - Date.parse(row.lastUsedAt) >= touchEveryMs) this.tokens.touch(row.id, now);
    return { kind: 'api-token', tokenId: row.id, kommune: row.kommune, roles: row.roles };
  }
}

function isValid(row: ApiTokenRow, now: Date): boolean {
  return row.revokedAt === null && (row.expiresAt === null || Date.parse(row.expiresAt) > now.getTime());
}

function info(row: ApiTokenRow, now: Date): ApiTokenInfo {
  return {
    id: row.id,
    kommune: row.kommune,
    name: row.name,
    roles: row.roles,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
    active: isValid(row, now),
  };
}
