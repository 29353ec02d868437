import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens: `<prefix>_<id>_<secret>`, e.g. `sbg_3f9c0a1b2c3d4e5f_…43 characters…`.
 * - prefix says what the token is for: `sbg` gateway (ingest), `sba` API (REST with roles),
 *   `sbi` integration key (a network server or OS2iot pushing uplinks, cloud/src/integrations/);
 * - id (16 hex digits, not secret) names the row, so a token is looked up by id, never by scanning;
 * - secret: 32 random bytes, base64url.
 * Only the SHA-256 of the whole token is stored, and compared in constant time. A token is shown
 * once, when issued. A high-entropy secret needs no slow hash (unlike a password).
 */
export const tokenPrefixes = { gateway: 'sbg', api: 'sba', integration: 'sbi' } as const;
export type TokenKind = keyof typeof tokenPrefixes;

const tokenPattern = /^(sbg|sba|sbi)_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const kindOfPrefix = Object.fromEntries(Object.entries(tokenPrefixes).map(([kind, prefix]) => [prefix, kind])) as Record<string, TokenKind>;

export interface NewToken {
  id: string;
  /** The whole token, to show once. */
  token: string;
  hash: Buffer;
}

export interface ParsedToken {
  kind: TokenKind;
  id: string;
  token: string;
}

export function newToken(kind: TokenKind): NewToken {
  const id = randomBytes(8).toString('hex');
  const token = `${tokenPrefixes[kind]}_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, hash: hashToken(token) };
}

/** The token's parts, or undefined when it is not one of ours (wrong shape, length, prefix). */
export function parseToken(text: string): ParsedToken | undefined {
  const match = tokenPattern.exec(text);
  if (!match) return undefined;
  return { kind: kindOfPrefix[match[1]!]!, id: match[2]!, token: text };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatches(token: string, storedHash: Buffer): boolean {
  const presented = hashToken(token);
  return presented.length === storedHash.length && timingSafeEqual(presented, storedHash);
}

/** A random secret for cookies (session ids): 32 bytes, base64url. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256, hex: how a session id is kept in the database. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
