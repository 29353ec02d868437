/** The registry's tables in the cloud database (applied in order, once each). */
export const registryMigrations: readonly string[] = [
  `CREATE TABLE registry_entities (
     kind TEXT NOT NULL,
     kommune TEXT NOT NULL,
     id TEXT NOT NULL,
     site_id TEXT,
     asset_id TEXT,
     data TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (kommune, kind, id)
   ) WITHOUT ROWID;
   CREATE INDEX registry_by_site ON registry_entities (kommune, site_id) WHERE site_id IS NOT NULL;
   CREATE INDEX registry_by_asset ON registry_entities (kommune, asset_id) WHERE asset_id IS NOT NULL;
   CREATE UNIQUE INDEX registry_device_keys ON registry_entities (id) WHERE kind = 'devices';`,
];
