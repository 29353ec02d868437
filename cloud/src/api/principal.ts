/** The roles of DESIGN.md §2 (Tenancy), per kommune. */
export type Role = 'admin' | 'technician' | 'energi' | 'affald';
export const roles: readonly Role[] = ['admin', 'technician', 'energi', 'affald'];

/**
 * Who is calling, as the authentication layer established it. Every handler reads the kommune
 * from here, never from the request, so every query is scoped to the caller's kommune.
 */
export type Principal =
  | { kind: 'user'; userId: string; kommune: string; roles: readonly Role[]; sessionId: string }
  | { kind: 'api-token'; tokenId: string; kommune: string; roles: readonly Role[] }
  | { kind: 'gateway'; gatewayId: string; kommune: string; tokenId: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; undefined on public routes (open data, login). */
    principal?: Principal;
  }
}
