import type { Principal, Role } from '../api/principal.js';
import type { Clock } from '../clock.js';
import type { SessionRepository } from '../db/sessions.js';
import type { User, UserRepository } from '../db/users.js';
import { randomSecret, sha256Hex } from './secret-token.js';

export interface SessionPolicy {
  /** Absolute lifetime of a session. Default 12 h (a working day). */
  ttlMs: number;
  /** A session unused this long ends. Default 2 h. */
  idleMs: number;
  /** last_seen is written at most this often per session (not at every request). Default 60 s. */
  touchEveryMs: number;
}

export const defaultSessionPolicy: SessionPolicy = { ttlMs: 12 * 3600_000, idleMs: 2 * 3600_000, touchEveryMs: 60_000 };

export interface StartedSession {
  /** The secret for the cookie; only its SHA-256 is stored. */
  secret: string;
  /** The session's id in the database, safe to log and to put in a principal (the hash). */
  sessionId: string;
  expiresAt: Date;
}

export interface ActiveSession {
  principal: Extract<Principal, { kind: 'user' }>;
  user: User;
  provider: string;
}

/** Login sessions: started at login, resolved at each request (with current roles), ended at logout. */
export class SessionService {
  private readonly policy: SessionPolicy;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly users: UserRepository,
    private readonly now: Clock,
    policy: Partial<SessionPolicy> = {},
  ) {
    this.policy = { ...defaultSessionPolicy, ...policy };
  }

  get ttlMs(): number {
    return this.policy.ttlMs;
  }

  start(userId: string, kommune: string, provider: string, remoteAddress: string | undefined): StartedSession {
    const secret = randomSecret();
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.policy.ttlMs);
    const idHash = sha256Hex(secret);
    this.sessions.insert({
      idHash,
      userId,
      kommune,
      provider,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      lastSeenAt: now.toISOString(),
      remoteAddress: remoteAddress ?? null,
    });
    return { secret, sessionId: idHash, expiresAt };
  }

  /**
   * The session of a cookie secret, if it is live: not expired, not idle too long, its user
   * enabled and still holding a role in the session's kommune (roles are read now, so a role taken
   * away applies at the next request). A dead session is deleted.
   */
  resolve(secret: string): ActiveSession | undefined {
    const idHash = sha256Hex(secret);
    const session = this.sessions.get(idHash);
    if (!session) return undefined;
    const now = this.now();
    const nowMs = now.getTime();
    const lastSeenMs = Date.parse(session.lastSeenAt);
    if (Date.parse(session.expiresAt) <= nowMs || lastSeenMs + this.policy.idleMs <= nowMs) {
      this.sessions.remove(idHash);
      return undefined;
    }
    const user = this.users.getById(session.userId);
    const roles: Role[] = user && user.disabledAt === null ? this.users.rolesIn(user.id, session.kommune) : [];
    if (!user || roles.length === 0) {
      this.sessions.remove(idHash);
      return undefined;
    }
    if (nowMs - lastSeenMs >= this.policy.touchEveryMs) this.sessions.touch(idHash, now);
    return {
      principal: { kind: 'user', userId: user.id, kommune: session.kommune, roles, sessionId: idHash },
      user,
      provider: session.provider,
    };
  }

  /** Ends the session of a principal (logout). */
  end(sessionId: string): boolean {
    return this.sessions.remove(sessionId);
  }

  /** Ends every session of a user (password changed, user disabled). */
  endAllOf(userId: string): number {
    return this.sessions.removeForUser(userId);
  }

  sweep(): number {
    return this.sessions.removeExpired(this.now());
  }
}
