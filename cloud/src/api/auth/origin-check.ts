import type { FastifyRequest } from 'fastify';

/**
 * CSRF protection by the same-origin check (OWASP: verifying origin with standard headers).
 * The session cookie is SameSite=Lax, which already keeps it off cross-site POSTs in current
 * browsers; this check is the second wall. A state-changing request (not GET/HEAD/OPTIONS)
 * authenticated by the session cookie must carry an Origin header equal to the cloud's own
 * origin: the configured public origin(s), or else the origin the request was addressed to
 * (scheme + Host). Browsers send Origin on every POST/PUT/PATCH/DELETE, so a missing Origin on a
 * cookie-authenticated change is refused. The login itself is checked too when it carries an Origin
 * (login CSRF). Token-authenticated requests need no check: a browser cannot attach a bearer
 * token cross-site (the cloud answers no CORS preflight).
 */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isStateChanging(method: string): boolean {
  return !safeMethods.has(method.toUpperCase());
}

export function ownOrigins(request: FastifyRequest, configured: readonly string[]): string[] {
  if (configured.length > 0) return [...configured];
  try {
    return [new URL(`${request.protocol}://${request.host}`).origin.toLowerCase()];
  } catch {
    return [];
  }
}

/** True when the request's Origin is one of the cloud's own; false when absent or foreign. */
export function originAllowed(request: FastifyRequest, configured: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === '' || origin === 'null') return false;
  let normalized: string;
  try {
    normalized = new URL(origin).origin.toLowerCase();
  } catch {
    return false;
  }
  return ownOrigins(request, configured).includes(normalized);
}

/** Normalizes configured origins ('https://sensorbro.aarhus.dk/' → 'https://sensorbro.aarhus.dk'). */
export function normalizeOrigins(origins: readonly string[]): string[] {
  return origins.map((origin) => new URL(origin).origin.toLowerCase());
}
