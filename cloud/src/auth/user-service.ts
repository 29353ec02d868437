import { randomUUID } from 'node:crypto';
import type { Role } from '../api/principal.js';
import type { Clock } from '../clock.js';
import type { User, UserRepository } from '../db/users.js';
import { defaultScryptParams, hashPassword, type ScryptParams } from './password-hash.js';

export interface NewUser {
  kommune: string;
  email: string;
  name: string;
  /** Omitted: the user cannot log in with a password (SSO only, later). */
  password?: string;
  roles: readonly Role[];
}

/** The e-mail address is taken (by a user of any kommune). */
export class EmailTakenError extends Error {
  constructor() {
    super('email: already in use');
  }
}

/** Creating users and changing their roles (the rules around the repository). */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly now: Clock,
    private readonly scryptParams: ScryptParams = defaultScryptParams,
  ) {}

  async create(input: NewUser): Promise<User & { roles: Role[] }> {
    if (this.users.getByEmail(input.email)) throw new EmailTakenError();
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password, this.scryptParams);
    const user = { id: randomUUID(), kommune: input.kommune, email: input.email, name: input.name, passwordHash, createdAt: this.now().toISOString() };
    try {
      this.users.insertWithRoles(user, input.roles);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new EmailTakenError();
      throw error;
    }
    return { ...this.users.getById(user.id)!, roles: this.users.rolesIn(user.id, input.kommune) };
  }
}
