import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { unmatchableHash, verifyPassword } from './passwords.js';

/** One device's MQTT login: the device it is, and its password as `hashPassword` made it. */
export interface DeviceCredential {
  deviceKey: string;
  passwordHash: string;
}

/** Who a connection logged in as. */
export interface Session {
  username: string;
  deviceKey: string;
}

/** MQTT 3.1.1 CONNACK return codes: 4 bad user name or password, 5 not authorized. */
export type LoginRefusal = { ok: false; returnCode: 4 | 5; reason: 'anonymous' | 'unknown user' | 'wrong password' | 'throttled' };
export type LoginResult = { ok: true; session: Session } | LoginRefusal;

/**
 * Checks CONNECT credentials against the configured devices. Anonymous logins are refused; an
 * unknown user costs the same as a wrong password (compared against a hash nothing matches), so
 * answers do not tell which user names exist. Failures feed a per-address throttle; a blocked
 * address is refused before its password is looked at.
 */
export class DeviceLogins {
  private readonly credentials: ReadonlyMap<string, DeviceCredential>;
  private readonly throttle: LoginThrottle;
  private readonly decoy = unmatchableHash();

  constructor(credentials: ReadonlyMap<string, DeviceCredential>, throttle: LoginThrottleOptions = {}) {
    this.credentials = new Map(credentials);
    this.throttle = new LoginThrottle(throttle);
  }

  get size(): number {
    return this.credentials.size;
  }

  login(username: string | undefined, password: Uint8Array | undefined, address: string, nowMs = Date.now()): LoginResult {
    if (this.throttle.blockedFor(address, nowMs) > 0) return { ok: false, returnCode: 5, reason: 'throttled' };
    const refuse = (returnCode: 4 | 5, reason: LoginRefusal['reason']): LoginRefusal => {
      this.throttle.fail(address, nowMs);
      return { ok: false, returnCode, reason };
    };
    if (username === undefined || username === '') return refuse(5, 'anonymous');
    const credential = this.credentials.get(username);
    const matches = verifyPassword(password, credential?.passwordHash ?? this.decoy);
    if (!credential) return refuse(4, 'unknown user');
    if (!matches) return refuse(4, 'wrong password');
    return { ok: true, session: { username, deviceKey: credential.deviceKey } };
  }
}
