import { randomBytes } from 'node:crypto';
import type { UserRepository } from '../db/users.js';
import type { IdentityProvider, VerifiedIdentity } from './identity.js';
import { defaultScryptParams, hashPassword, needsRehash, type ScryptParams, verifyPassword } from './password-hash.js';

export interface PasswordCredentials {
  email: string;
  password: string;
  kommune: string;
}

/**
 * The password identity provider: e-mail + password (+ the kommune the login is for, passed on).
 * An unknown e-mail costs the same scrypt work as a known one (no user enumeration by timing).
 * A hash made with weaker parameters than the current ones is replaced at a successful login.
 */
export class PasswordIdentityProvider implements IdentityProvider<PasswordCredentials> {
  readonly id = 'password';
  /** A hash with the current parameters, verified against when there is no user, so both paths cost the same. */
  private readonly dummyHash: Promise<string>;

  constructor(
    private readonly users: UserRepository,
    private readonly params: ScryptParams = defaultScryptParams,
  ) {
    this.dummyHash = hashPassword(randomBytes(16).toString('base64url'), params);
    this.dummyHash.catch(() => undefined);
  }

  async verify(credentials: PasswordCredentials): Promise<VerifiedIdentity | undefined> {
    const user = this.users.getByEmail(credentials.email);
    if (!user || user.passwordHash === null || user.disabledAt !== null) {
      await verifyPassword(credentials.password, await this.dummyHash);
      return undefined;
    }
    if (!(await verifyPassword(credentials.password, user.passwordHash))) return undefined;
    if (needsRehash(user.passwordHash, this.params)) {
      this.users.setPasswordHash(user.id, await hashPassword(credentials.password, this.params));
    }
    return { provider: this.id, subject: user.id, kommune: credentials.kommune, email: user.email, name: user.name };
  }
}
