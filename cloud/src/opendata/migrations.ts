/** The open data tables in the cloud database (namespace 'opendata'; applied in order, once each). */
export const openDataMigrations: readonly string[] = [
  `CREATE TABLE opendata_datasets (
     kommune TEXT NOT NULL,
     dataset TEXT NOT NULL,
     standard TEXT NOT NULL,
     title TEXT NOT NULL,
     description TEXT NOT NULL,
     license TEXT NOT NULL,
     keywords TEXT NOT NULL,
     contact_email TEXT,
     published_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (kommune, dataset)
   ) WITHOUT ROWID;`,
];
