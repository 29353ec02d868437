import type Database from 'better-sqlite3';
import { type Role, roles as allRoles } from '../api/principal.js';

export interface User {
  id: string;
  /** The kommune the user belongs to; roles may also be held in other kommuner. */
  kommune: string;
  /** Lower-case. */
  email: string;
  name: string;
  /** scrypt hash (see auth/password-hash.ts); null: no password login (SSO only). */
  passwordHash: string | null;
  createdAt: string;
  disabledAt: string | null;
}

interface UserRow {
  id: string;
  kommune: string;
  email: string;
  name: string;
  password_hash: string | null;
  created_at: string;
  disabled_at: string | null;
}

const columns = 'id, kommune, email, name, password_hash, created_at, disabled_at';
const toUser = (row: UserRow): User => ({
  id: row.id,
  kommune: row.kommune,
  email: row.email,
  name: row.name,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});

/** E-mail addresses are compared case-insensitively: kept trimmed and lower-case. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** Users and their roles per kommune. */
export class UserRepository {
  private readonly statements;
  private readonly replaceRoles;
  private readonly insertUserWithRoles;

  constructor(db: Database.Database) {
    this.statements = {
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
      insert: db.prepare(
        `INSERT INTO users (id, kommune, email, name, password_hash, created_at) VALUES (@id, @kommune, @email, @name, @passwordHash, @createdAt)`,
      ),
      byId: db.prepare<[string], UserRow>(`SELECT ${columns} FROM users WHERE id = ?`),
      byEmail: db.prepare<[string], UserRow>(`SELECT ${columns} FROM users WHERE email = ?`),
      setPassword: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
      setDisabled: db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?'),
      rolesIn: db.prepare<[string, string], { role: Role }>('SELECT role FROM user_roles WHERE user_id = ? AND kommune = ? ORDER BY role'),
      clearRoles: db.prepare('DELETE FROM user_roles WHERE user_id = ? AND kommune = ?'),
      addRole: db.prepare('INSERT INTO user_roles (user_id, kommune, role) VALUES (?, ?, ?)'),
      inKommune: db.prepare<[string], UserRow & { roles: string }>(
        `SELECT ${columns.split(', ').map((c) => `u.${c}`).join(', ')}, group_concat(r.role) AS roles
           FROM user_roles r JOIN users u ON u.id = r.user_id
          WHERE r.kommune = ? GROUP BY u.id ORDER BY u.email`,
      ),
    };
    this.replaceRoles = db.transaction((userId: string, kommune: string, roles: readonly Role[]) => {
      this.statements.clearRoles.run(userId, kommune);
      for (const role of new Set(roles)) this.statements.addRole.run(userId, kommune, role);
    });
    this.insertUserWithRoles = db.transaction((user: Omit<User, 'disabledAt'>, roles: readonly Role[]) => {
      this.insert(user);
      this.replaceRoles(user.id, user.kommune, roles);
    });
  }

  count(): number {
    return this.statements.count.get()!.n;
  }

  /** Throws on a taken e-mail address (SQLITE_CONSTRAINT_UNIQUE). */
  insert(user: Omit<User, 'disabledAt'>): void {
    this.statements.insert.run({ ...user, email: normalizeEmail(user.email) });
  }

  /** Inserts the user with roles in its own kommune, in one transaction. */
  insertWithRoles(user: Omit<User, 'disabledAt'>, roles: readonly Role[]): void {
    this.insertUserWithRoles(user, roles);
  }

  getById(id: string): User | undefined {
    const row = this.statements.byId.get(id);
    return row ? toUser(row) : undefined;
  }

  getByEmail(email: string): User | undefined {
    const row = this.statements.byEmail.get(normalizeEmail(email));
    return row ? toUser(row) : undefined;
  }

  setPasswordHash(id: string, passwordHash: string | null): void {
    this.statements.setPassword.run(passwordHash, id);
  }

  setDisabled(id: string, at: Date | null): void {
    this.statements.setDisabled.run(at ? at.toISOString() : null, id);
  }

  /** The user's roles in a kommune (empty: no access there). */
  rolesIn(userId: string, kommune: string): Role[] {
    return this.statements.rolesIn.all(userId, kommune).map((row) => row.role);
  }

  /** Replaces the user's roles in a kommune (none: no access there any more). */
  setRoles(userId: string, kommune: string, roles: readonly Role[]): void {
    this.replaceRoles(userId, kommune, roles);
  }

  /** Users holding a role in the kommune, with their roles there. */
  listInKommune(kommune: string): (User & { roles: Role[] })[] {
    return this.statements.inKommune.all(kommune).map((row) => ({
      ...toUser(row),
      roles: row.roles
        .split(',')
        .filter((role): role is Role => (allRoles as readonly string[]).includes(role))
        .sort(),
    }));
  }
}
