/**
 * Login in two steps, so that municipal single sign-on can be added beside passwords without
 * reshaping anything:
 *
 *   1. an IdentityProvider verifies who someone is and answers a VerifiedIdentity;
 *   2. the UserDirectory (user-directory.ts) maps that identity to one of our users and their roles
 *      in the kommune the login is for; then a session is started (session-service.ts).
 *
 * Today there is one provider, 'password' (password-provider.ts): e-mail + password + kommune,
 * verified against the scrypt hash in the users table; its subject is our user id.
 *
 * Where OIDC / SAML (KOMBIT Adgangsstyring, the municipalities' context handler) slots in:
 * - a provider `kombit` whose `begin(kommune, returnTo)` answers the redirect to the IdP
 *   (authorization request with state + nonce + PKCE, kept in a short-lived signed cookie), and
 *   whose `complete(callback)` checks state, exchanges the code (OIDC) or the assertion (SAML),
 *   validates signature, issuer, audience, nonce and expiry, and answers a VerifiedIdentity with
 *   the IdP's stable subject, the kommune (CVR / kommunekode from the claims) and, from KOMBIT's
 *   brugersystemroller, the roles it grants (`roles`);
 * - two routes beside POST /api/v1/login: GET /api/v1/login/:provider (redirect) and
 *   GET|POST /api/v1/login/:provider/callback, which end exactly as the password login does:
 *   UserDirectory.resolve(identity) → SessionService.start(…, provider) → the same session cookie;
 * - one table linking (provider, subject) → user id (a migration of the 'cloud' namespace),
 *   consulted by UserDirectory.resolve for providers other than 'password'; users may be created
 *   just-in-time from the claims, with the roles KOMBIT grants.
 * Sessions already record their provider; logout, /me, requireRole and CSRF stay as they are.
 */
import type { Role } from '../api/principal.js';

export interface VerifiedIdentity {
  /** The provider that verified it: 'password' now; e.g. 'kombit' later. */
  provider: string;
  /** Stable id of the person at the provider (for 'password': our user id). */
  subject: string;
  /** The kommune the login is for. */
  kommune: string;
  email?: string;
  name?: string;
  /** Roles the provider itself grants (KOMBIT brugersystemroller); undefined: the roles in our database apply. */
  roles?: readonly Role[];
}

/** Verifies credentials of one kind; undefined when they are wrong (never why). */
export interface IdentityProvider<Credentials> {
  readonly id: string;
  verify(credentials: Credentials): Promise<VerifiedIdentity | undefined>;
}
