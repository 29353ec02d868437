/**
 * Who may call a route, declared in its config (`config: { access: 'public' }`):
 * - 'public': anyone (login, OpenAPI document, open data); a presented credential is still checked;
 * - 'authenticated' (the default under /api/): a user session or an API token; roles via requireRole;
 * - 'gateway': a gateway token, and nothing else (POST /api/v1/ingest);
 * - 'integration': the route checks its own credential, an integration key (cloud/src/integrations/);
 *   the authentication hook leaves it alone.
 * Routes outside /api/ (docs, pages) are public unless they say otherwise.
 */
export type RouteAccess = 'public' | 'authenticated' | 'gateway' | 'integration';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

export function accessOf(url: string, declared: RouteAccess | undefined): RouteAccess {
  if (declared) return declared;
  return url === '/api' || url.startsWith('/api/') ? 'authenticated' : 'public';
}
