import type { Principal } from '../api/principal.js';
import type { Clock } from '../clock.js';
import type { GatewayTokenRepository, GatewayTokenRow } from '../db/gateway-tokens.js';
import { newToken, parseToken, tokenMatches } from './secret-token.js';

export type GatewayPrincipal = Extract<Principal, { kind: 'gateway' }>;

export interface IssuedGatewayToken {
  id: string;
  gatewayId: string;
  kommune: string;
  /** Shown once; only its hash is kept. */
  token: string;
  createdAt: string;
  /** The token this one replaces (the newest valid one before), if any. */
  rotatedFrom: string | null;
  /** Until when the tokens it replaces stay valid (the grace period), if there were any. */
  previousValidUntil: string | null;
}

/** What may be shown of a gateway token (no hash). */
export interface GatewayTokenInfo {
  id: string;
  gatewayId: string;
  kommune: string;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  rotatedFrom: string | null;
  lastUsedAt: string | null;
  /** Valid now. */
  active: boolean;
}

export const defaultRotationGraceMs = 24 * 3600_000;
/** last_used_at is written at most this often per token. */
const touchEveryMs = 60_000;

/**
 * Gateway tokens (`sbg_<id>_<secret>`): issued per gateway, verified at ingest. Issuing a token
 * for a gateway that has valid tokens is a rotation: the new token is valid at once, the old ones
 * stay valid for a grace period (time to put the new token into the gateway's configuration),
 * then are revoked.
 */
export class GatewayTokenService {
  constructor(
    private readonly tokens: GatewayTokenRepository,
    private readonly now: Clock,
  ) {}

  issue(kommune: string, gatewayId: string, options: { createdBy?: string; graceMs?: number } = {}): IssuedGatewayToken {
    const graceMs = options.graceMs ?? defaultRotationGraceMs;
    const now = this.now();
    const fresh = newToken('gateway');
    const previous = this.tokens.valid(kommune, gatewayId, now);
    const newest = previous.at(-1);
    const validUntil = new Date(now.getTime() + Math.max(0, graceMs));
    this.tokens.insertReplacing(
      {
        id: fresh.id,
        gatewayId,
        kommune,
        hash: fresh.hash,
        createdAt: now.toISOString(),
        createdBy: options.createdBy ?? null,
        expiresAt: null,
        rotatedFrom: newest?.id ?? null,
      },
      previous.map((old) => old.id),
      validUntil,
    );
    if (graceMs <= 0) this.tokens.revokeExpired(now);
    return {
      id: fresh.id,
      gatewayId,
      kommune,
      token: fresh.token,
      createdAt: now.toISOString(),
      rotatedFrom: newest?.id ?? null,
      previousValidUntil: previous.length > 0 ? validUntil.toISOString() : null,
    };
  }

  /** Revokes at once; false when the kommune has no such valid token. */
  revoke(kommune: string, tokenId: string): boolean {
    return this.tokens.revoke(kommune, tokenId, this.now());
  }

  list(kommune: string, gatewayId?: string): GatewayTokenInfo[] {
    const now = this.now();
    return this.tokens.list(kommune, gatewayId).map((row) => info(row, now));
  }

  /** The gateway a presented bearer token belongs to, or undefined (unknown, wrong, revoked, expired). */
  verify(presented: string): GatewayPrincipal | undefined {
    const parsed = parseToken(presented);
    if (!parsed || parsed.kind !== 'gateway') return undefined;
    const row = this.tokens.get(parsed.id);
    if (!row || !tokenMatches(parsed.token, row.hash)) return undefined;
    const now = this.now();
    if (!isValid(row, now)) {
      if (row.revokedAt === null) this.tokens.revokeExpired(now);
      return undefined;
    }
    if (row.lastUsedAt === null || now.getTime() - Date.parse(row.lastUsedAt) >= touchEveryMs) this.tokens.touch(row.id, now);
    return { kind: 'gateway', gatewayId: row.gatewayId, kommune: row.kommune, tokenId: row.id };
  }

  /** Marks tokens whose grace period ended as revoked. */
  sweep(): number {
    return this.tokens.revokeExpired(this.now());
  }
}

function isValid(row: GatewayTokenRow, now: Date): boolean {
  return row.revokedAt === null && (row.expiresAt === null || Date.parse(row.expiresAt) > now.getTime());
}

function info(row: GatewayTokenRow, now: Date): GatewayTokenInfo {
  return {
    id: row.id,
    gatewayId: row.gatewayId,
    kommune: row.kommune,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    rotatedFrom: row.rotatedFrom,
    lastUsedAt: row.lastUsedAt,
    active: isValid(row, now),
  };
}
