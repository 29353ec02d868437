/**
 * Who may call a route, declared in its config (`config: { access: 'public' }`):
 * - 'public': anyone (login, OpenAPI document, open data); a presented credential is still checked;
 * - 'authenticated' (the default under /api/): a user session or an API token; roles via requireRole;
 * - 'gateway': a gateway token, and nothing else (POST /api/v1/ingest).
 * Routes outside /api/ (docs, pages) are public unless they say otherwise.
 */
export type RouteAccess = 'public' | 'authenticated' | 'gateway';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

export function accessOf(url: string, declared: RouteAccess | undefined): RouteAccess {
  if (declared) return declared;
  return url === '/api' || url.startsWith('/api/') ? 'authenticated' : 'public';
}
