import type Database from 'better-sqlite3';
import type { GatewayHeartbeatRecord } from '../../../standards/src/index.js';

/** A gateway's health as the cloud last heard it (ingest requests and gateway-heartbeat/1 records). */
export interface GatewayHealth {
  kommune: string;
  gatewayId: string;
  /** Cloud time of the gateway's last authenticated ingest request. */
  lastContactAt: string;
  recordsStoredTotal: number;
  recordsDuplicateTotal: number;
  recordsRejectedTotal: number;
  /** observedAt of the newest heartbeat (gateway time). */
  lastHeartbeatAt: string | null;
  /** Cloud time at which that heartbeat arrived (a backlog delivers old heartbeats late). */
  heartbeatReceivedAt: string | null;
  uptimeS: number | null;
  queueDepth: number | null;
  queueOldestAgeS: number | null;
  queueDroppedTotal: number | null;
  deadLetters: number | null;
  uplinksTotal: number | null;
  recordsTotal: number | null;
  sourcesConnected: number | null;
  sourcesTotal: number | null;
  devicesConfigured: number | null;
  softwareVersion: string | null;
}

interface Row {
  kommune: string;
  gateway_id: string;
  last_contact_at: string;
  records_stored_total: number;
  records_duplicate_total: number;
  records_rejected_total: number;
  last_heartbeat_at: string | null;
  heartbeat_received_at: string | null;
  uptime_s: number | null;
  queue_depth: number | null;
  queue_oldest_age_s: number | null;
  queue_dropped_total: number | null;
  dead_letters: number | null;
  uplinks_total: number | null;
  records_total: number | null;
  sources_connected: number | null;
  sources_total: number | null;
  devices_configured: number | null;
  software_version: string | null;
}

const toHealth = (row: Row): GatewayHealth => ({
  kommune: row.kommune,
  gatewayId: row.gateway_id,
  lastContactAt: row.last_contact_at,
  recordsStoredTotal: row.records_stored_total,
  recordsDuplicateTotal: row.records_duplicate_total,
  recordsRejectedTotal: row.records_rejected_total,
  lastHeartbeatAt: row.last_heartbeat_at,
  heartbeatReceivedAt: row.heartbeat_received_at,
  uptimeS: row.uptime_s,
  queueDepth: row.queue_depth,
  queueOldestAgeS: row.queue_oldest_age_s,
  queueDroppedTotal: row.queue_dropped_total,
  deadLetters: row.dead_letters,
  uplinksTotal: row.uplinks_total,
  recordsTotal: row.records_total,
  sourcesConnected: row.sources_connected,
  sourcesTotal: row.sources_total,
  devicesConfigured: row.devices_configured,
  softwareVersion: row.software_version,
});

export interface IngestCounts {
  stored: number;
  duplicate: number;
  rejected: number;
}

/** Gateway health, written by the ingest route, read by dashboards and the registry. */
export class GatewayHealthRepository {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      contact: db.prepare(
        `INSERT INTO gateway_health (kommune, gateway_id, last_contact_at, records_stored_total, records_duplicate_total, records_rejected_total)
         VALUES (@kommune, @gatewayId, @at, @stored, @duplicate, @rejected)
         ON CONFLICT (kommune, gateway_id) DO UPDATE SET
           last_contact_at = max(last_contact_at, excluded.last_contact_at),
           records_stored_total = records_stored_total + excluded.records_stored_total,
           records_duplicate_total = records_duplicate_total + excluded.records_duplicate_total,
           records_rejected_total = records_rejected_total + excluded.records_rejected_total`,
      ),
      heartbeat: db.prepare(
        `UPDATE gateway_health SET
           last_heartbeat_at = @observedAt, heartbeat_received_at = @receivedAt,
           uptime_s = @uptimeS, queue_depth = @queueDepth, queue_oldest_age_s = @queueOldestAgeS,
           queue_dropped_total = @queueDroppedTotal, dead_letters = @deadLetters, uplinks_total = @uplinksTotal,
           records_total = @recordsTotal, sources_connected = @sourcesConnected, sources_total = @sourcesTotal,
           devices_configured = @devicesConfigured, software_version = @softwareVersion
         WHERE kommune = @kommune AND gateway_id = @gatewayId AND (last_heartbeat_at IS NULL OR last_heartbeat_at < @observedAt)`,
      ),
      get: db.prepare<[string, string], Row>('SELECT * FROM gateway_health WHERE kommune = ? AND gateway_id = ?'),
      list: db.prepare<[string], Row>('SELECT * FROM gateway_health WHERE kommune = ? ORDER BY gateway_id'),
    };
  }

  /** An ingest request of the gateway was answered: its contact time and outcome counts. */
  recordContact(kommune: string, gatewayId: string, at: Date, counts: IngestCounts): void {
    this.withoutFsync(() => this.statements.contact.run({ kommune, gatewayId, at: at.toISOString(), ...counts }));
  }

  /**
   * A heartbeat arrived. Only a heartbeat newer than the one kept replaces it (a backlog sends old
   * ones late). Call recordContact for the gateway first (the row must exist).
   */
  recordHeartbeat(heartbeat: GatewayHeartbeatRecord, receivedAt: Date): boolean {
    const result = this.withoutFsync(() => this.statements.heartbeat.run({
      kommune: heartbeat.kommune,
      gatewayId: heartbeat.gatewayId,
      observedAt: new Date(heartbeat.observedAt).toISOString(),
      receivedAt: receivedAt.toISOString(),
      uptimeS: heartbeat.uptimeS ?? null,
      queueDepth: heartbeat.queueDepth ?? null,
      queueOldestAgeS: heartbeat.queueOldestAgeS ?? null,
      queueDroppedTotal: heartbeat.queueDroppedTotal ?? null,
      deadLetters: heartbeat.deadLetters ?? null,
      uplinksTotal: heartbeat.uplinksTotal ?? null,
      recordsTotal: heartbeat.recordsTotal ?? null,
      sourcesConnected: heartbeat.sourcesConnected ?? null,
      sourcesTotal: heartbeat.sourcesTotal ?? null,
      devicesConfigured: heartbeat.devicesConfigured ?? null,
      softwareVersion: heartbeat.softwareVersion ?? null,
    }));
    return result.changes > 0;
  }

  /**
   * Health is written on every ingest request and is secondary to the records: its commits skip
   * the fsync (WAL with synchronous NORMAL is durable when the process dies; a power loss can
   * lose the last moments' counters, never the database). The connection is FULL again after.
   */
  private withoutFsync<T>(write: () => T): T {
    if (this.db.inTransaction) return write();
    this.db.pragma('synchronous = NORMAL');
    try {
      return write();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  get(kommune: string, gatewayId: string): GatewayHealth | undefined {
    const row = this.statements.get.get(kommune, gatewayId);
    return row ? toHealth(row) : undefined;
  }

  list(kommune: string): GatewayHealth[] {
    return this.statements.list.all(kommune).map(toHealth);
  }
}
