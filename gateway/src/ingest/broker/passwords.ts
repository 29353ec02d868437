import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Device passwords as the broker keeps them: `hmac-sha256:<salt>:<digest>` (base64), a random salt
 * per password. The plaintext is read from the configuration once, hashed, and not kept. A fast
 * hash on purpose: the configuration file holds the plaintext anyway, so a slow KDF would protect
 * little and cost a gateway on a Raspberry Pi seconds per thousand devices at every start and
 * every reconnect storm; the login throttle limits guessing.
 */
const scheme = 'hmac-sha256';

export function hashPassword(password: string | Uint8Array): string {
  const salt = randomBytes(16);
  return `${scheme}:${salt.toString('base64')}:${digest(salt, password).toString('base64')}`;
}

/** True when `password` is the one `hash` was made from; constant time for a given hash. */
export function verifyPassword(password: string | Uint8Array | undefined, hash: string): boolean {
  const [kind, saltText, digestText, extra] = hash.split(':');
  const salt = Buffer.from(saltText ?? '', 'base64');
  const expected = Buffer.from(digestText ?? '', 'base64');
  // The digest is computed even for a malformed hash or a missing password, so neither answers faster.
  const given = digest(salt, password ?? '');
  const wellFormed = kind === scheme && extra === undefined && salt.length > 0 && expected.length === given.length;
  return timingSafeEqual(given, wellFormed ? expected : given) && wellFormed && password !== undefined;
}

/** A hash no password matches (its salt and digest are random): compared against for unknown users. */
export function unmatchableHash(): string {
  return `${scheme}:${randomBytes(16).toString('base64')}:${randomBytes(32).toString('base64')}`;
}

function digest(salt: Uint8Array, password: string | Uint8Array): Buffer {
  return createHmac('sha256', salt).update(password).digest();
}
