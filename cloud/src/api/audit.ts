import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { AuditLogRepository } from '../db/audit-log.js';
import type { Principal } from './principal.js';

/** The audit log's name for who acted. */
export function actorOf(principal: Principal | undefined): string {
  if (!principal) return 'anonymous';
  if (principal.kind === 'user') return `user:${principal.userId}`;
  if (principal.kind === 'api-token') return `api-token:${principal.tokenId}`;
  return `gateway:${principal.gatewayId}`;
}

export interface AuditOptions {
  /** Default: the principal's kommune. */
  kommune?: string | null;
  /** Default: the principal. */
  actor?: string;
  target?: string | null;
  /** Never secrets. */
  detail?: Record<string, unknown>;
}

/** Writes audit entries for requests: actor, kommune and remote address taken from the request. */
export class Auditor {
  constructor(
    private readonly log: AuditLogRepository,
    private readonly now: Clock,
  ) {}

  record(request: FastifyRequest, action: string, options: AuditOptions = {}): void {
    const principal = request.principal;
    try {
      this.log.append({
        at: this.now(),
        kommune: options.kommune !== undefined ? options.kommune : (principal?.kommune ?? null),
        actor: options.actor ?? actorOf(principal),
        action,
        target: options.target ?? null,
        detail: options.detail ?? {},
        remoteAddress: request.ip,
      });
    } catch (error) {
      // The action happened; losing its audit entry is logged loudly, not turned into a failed request.
      request.log.error({ err: error, action }, 'could not write the audit log');
    }
  }

  /** An entry not tied to a request (bootstrap, sweeps). */
  system(action: string, options: AuditOptions & { kommune: string | null }): void {
    this.log.append({
      at: this.now(),
      kommune: options.kommune,
      actor: options.actor ?? 'system',
      action,
      target: options.target ?? null,
      detail: options.detail ?? {},
    });
  }
}
