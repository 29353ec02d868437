import type { Role } from '../api/principal.js';
import type { User, UserRepository } from '../db/users.js';
import type { VerifiedIdentity } from './identity.js';

export interface ResolvedUser {
  user: User;
  kommune: string;
  roles: Role[];
}

/**
 * Maps a verified identity to one of our users and their roles in the kommune of the login.
 * Undefined when there is no such (enabled) user or no role there: the login fails like a wrong
 * password. Providers other than 'password' are mapped here when they are added (identity.ts).
 */
export class UserDirectory {
  constructor(private readonly users: UserRepository) {}

  resolve(identity: VerifiedIdentity): ResolvedUser | undefined {
    if (identity.provider !== 'password') return undefined;
    const user = this.users.getById(identity.subject);
    if (!user || user.disabledAt !== null) return undefined;
    const roles = this.users.rolesIn(user.id, identity.kommune);
    if (roles.length === 0) return undefined;
    return { user, kommune: identity.kommune, roles };
  }
}
