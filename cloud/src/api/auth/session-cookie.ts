import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';

/** The session cookie: signed (@fastify/cookie), HttpOnly, SameSite=Lax, Path=/, Secure unless plain-http localhost. */
export const sessionCookieName = 'sensorbro_session';

const loopbackHosts = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * Secure unless the request came over plain http to a loopback name (development on one's own
 * machine). Behind a TLS-terminating proxy the host is a public name, so the cookie stays Secure.
 */
export function cookieIsSecure(request: FastifyRequest): boolean {
  const hostname = request.hostname.toLowerCase();
  return !(request.protocol === 'http' && (loopbackHosts.has(hostname) || hostname.endsWith('.localhost')));
}

function options(request: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: cookieIsSecure(request), signed: true };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, secret: string, maxAgeMs: number): void {
  reply.setCookie(sessionCookieName, secret, { ...options(request), maxAge: Math.floor(maxAgeMs / 1000) });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName, { ...options(request), signed: false });
}

/** The session secret of a validly signed cookie, or undefined. */
export function readSessionCookie(request: FastifyRequest): string | undefined {
  const raw = request.cookies[sessionCookieName];
  if (raw === undefined || raw === '') return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}
