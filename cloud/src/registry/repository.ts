import type Database from 'better-sqlite3';
import type { z } from 'zod';
import { assetInput, deviceInput, type EntityKind, gatewayInput, siteInput } from './schema.js';

export const entitySchemas = { sites: siteInput, assets: assetInput, devices: deviceInput, gateways: gatewayInput } as const;
export type EntityOf<K extends EntityKind> = z.infer<(typeof entitySchemas)[K]>;

/** A registry change refused for a reason the caller can fix; `field` names what is wrong. */
export class RegistryError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

const idOf = (kind: EntityKind, entity: Record<string, unknown>) => String(kind === 'devices' ? entity.deviceKey : entity.id);

/**
 * Sites, assets, devices and gateways of each kommune. Every call names the kommune; nothing
 * crosses from one kommune to another (a reference to another kommune's site is "not found").
 */
export class RegistryRepository {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      get: db.prepare('SELECT data FROM registry_entities WHERE kommune = ? AND kind = ? AND id = ?'),
      list: db.prepare('SELECT data FROM registry_entities WHERE kommune = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?'),
      upsert: db.prepare(
        `INSERT INTO registry_entities (kind, kommune, id, site_id, asset_id, data, updated_at) VALUES (@kind, @kommune, @id, @siteId, @assetId, @data, @at)
         ON CONFLICT (kommune, kind, id) DO UPDATE SET site_id = excluded.site_id, asset_id = excluded.asset_id, data = excluded.data, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare('DELETE FROM registry_entities WHERE kommune = ? AND kind = ? AND id = ?'),
      deviceElsewhere: db.prepare("SELECT 1 FROM registry_entities WHERE kind = 'devices' AND id = ? AND kommune <> ?"),
      referencing: db.prepare('SELECT kind, id FROM registry_entities WHERE kommune = ? AND (site_id = ? OR asset_id = ?) LIMIT 5'),
      assetsOfSite: db.prepare("SELECT id FROM registry_entities WHERE kommune = ? AND kind = 'assets' AND site_id = ? ORDER BY id"),
    };
  }

  get<K extends EntityKind>(kommune: string, kind: K, id: string): EntityOf<K> | undefined {
    const row = this.statements.get.get(kommune, kind, id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as EntityOf<K>) : undefined;
  }

  list<K extends EntityKind>(kommune: string, kind: K, options: { afterId?: string; limit?: number } = {}): EntityOf<K>[] {
    const rows = this.statements.list.all(kommune, kind, options.afterId ?? '', options.limit ?? 1000) as { data: string }[];
    return rows.map((row) => JSON.parse(row.data) as EntityOf<K>);
  }

  /** Creates or replaces; checks references within the kommune. Returns the stored entity. */
  put<K extends EntityKind>(kommune: string, kind: K, input: unknown): EntityOf<K> {
    const parsed = entitySchemas[kind].safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RegistryError(400, issue.path.join('.') || '(body)', issue.message);
    }
    const entity = parsed.data as Record<string, unknown>;
    const siteId = typeof entity.siteId === 'string' ? entity.siteId : undefined;
    const assetId = typeof entity.assetId === 'string' ? entity.assetId : undefined;
    if (siteId && !this.get(kommune, 'sites', siteId)) throw new RegistryError(400, 'siteId', `no site ${siteId} in this kommune`);
    if (assetId && !this.get(kommune, 'assets', assetId)) throw new RegistryError(400, 'assetId', `no asset ${assetId} in this kommune`);
    if (typeof entity.gatewayId === 'string' && !this.get(kommune, 'gateways', entity.gatewayId)) {
      throw new RegistryError(400, 'gatewayId', `no gateway ${entity.gatewayId} in this kommune`);
    }
    const id = idOf(kind, entity);
    if (kind === 'devices' && this.statements.deviceElsewhere.get(id, kommune)) {
      throw new RegistryError(409, 'deviceKey', `device ${id} is registered to another kommune`);
    }
    this.statements.upsert.run({ kind, kommune, id, siteId: siteId ?? null, assetId: assetId ?? null, data: JSON.stringify(entity), at: new Date().toISOString() });
    return entity as EntityOf<K>;
  }

  /** Deletes; refuses while other entities refer to it. */
  remove(kommune: string, kind: EntityKind, id: string): void {
    if (!this.statements.get.get(kommune, kind, id)) throw new RegistryError(404, 'id', `no ${kind.slice(0, -1)} ${id}`);
    if (kind === 'sites' || kind === 'assets') {
      const users = this.statements.referencing.all(kommune, id, id) as { kind: string; id: string }[];
      if (users.length > 0) {
        throw new RegistryError(409, 'id', `${id} is still referred to by ${users.map((user) => `${user.kind.slice(0, -1)} ${user.id}`).join(', ')}`);
      }
    }
    this.statements.remove.run(kommune, kind, id);
  }

  /** The assets at a site, for site-level queries (a building's meters). */
  assetsOfSite(kommune: string, siteId: string): string[] {
    return (this.statements.assetsOfSite.all(kommune, siteId) as { id: string }[]).map((row) => row.id);
  }

  /** Several puts in one transaction: all stored, or none (a CSV import). */
  putMany<K extends EntityKind>(kommune: string, kind: K, inputs: readonly unknown[]): { stored: number } {
    const run = this.db.transaction(() => {
      inputs.forEach((input, index) => {
        try {
          this.put(kommune, kind, input);
        } catch (error) {
          if (error instanceof RegistryError) throw new RegistryError(error.status === 404 ? 400 : error.status, `row ${index + 2}: ${error.field}`, error.problem);
          throw error;
        }
      });
    });
    run();
    return { stored: inputs.length };
  }
}
