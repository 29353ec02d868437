import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes: scrypt, a random 16-byte salt per user, the parameters stored with the hash
 * so they can be raised later (needsRehash tells a login to re-hash with the current ones):
 *
 *   scrypt$N=32768,r=8,p=3$<salt, base64url>$<key, base64url>
 *
 * Defaults N=2^15, r=8, p=3: 32 MiB per hash, one of OWASP's equivalent scrypt settings (the
 * memory stays modest when several logins run at once).
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

export const defaultScryptParams: ScryptParams = { N: 2 ** 15, r: 8, p: 3, keyLength: 32 };

/** Longest password accepted (scrypt reads all of it; a megabyte password is an attack, not a password). */
export const maxPasswordLength = 1024;
export const minPasswordLength = 12;

const formatPattern = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      params.keyLength,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const match = formatPattern.exec(stored);
  if (!match) return undefined;
  const key = Buffer.from(match[5]!, 'base64url');
  const params = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]), keyLength: key.length };
  if (params.N < 2 || (params.N & (params.N - 1)) !== 0 || params.r < 1 || params.p < 1 || key.length < 16) return undefined;
  return { params, salt: Buffer.from(match[4]!, 'base64url'), key };
}

export async function hashPassword(password: string, params: ScryptParams = defaultScryptParams): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when the password is the one hashed; false for a wrong one or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** The hash was made with weaker parameters than `params`. */
export function needsRehash(stored: string, params: ScryptParams = defaultScryptParams): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  const { N, r, p, keyLength } = parsed.params;
  return N < params.N || r < params.r || p < params.p || keyLength < params.keyLength;
}
