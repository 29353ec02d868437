import type Database from 'better-sqlite3';
import { type StandardId, standardIds } from '../../../../standards/src/index.js';
import { numericFields } from '../fields.js';
import { maxSlots } from './day-rollups.js';

/**
 * The embedded store's tables (all keyed so that the queries read contiguous key ranges):
 *
 * - `series`: one row per (kommune, standard, asset, device) — the series a reading belongs to.
 *   An asset that changed its device has two series; queries by asset read both.
 * - `records` (id → shape, body) WITHOUT ROWID: every record, compactly (see record-codec.ts).
 *   Its primary key on the 16-byte id is the dedup ledger: a record is new exactly when its row
 *   can be inserted. UUIDv7 ids are time-ordered, so inserts go to the right edge of the tree.
 * - `points` (series_id, ts, id) WITHOUT ROWID: one narrow row per record with the numeric
 *   fields in slot columns v0…vN (REAL; NULL when absent; all NULL for records of quality
 *   'bad'). A series' readings are one contiguous key range: range queries read ~40 bytes per
 *   reading and never parse JSON; raw() joins it to `records` by id.
 * - `rollup_1d` (series_id, bucket) WITHOUT ROWID: per Europe/Copenhagen day, per slot i:
 *   n, sum, min (lo), max (hi), first (f), last (l), inc (d: sum of positive steps between the
 *   day's consecutive values) and time of the last value (t); `last_ts` is the newest reading
 *   folded in. Maintained on write, for each series' newest month only.
 * - `rollup_days` (key, days): the series' earlier months of daily rollups, packed one row per
 *   series, slot and month, so one field's year is a dozen rows (see day-rollups.ts).
 * - `rollup_1h`, the same per UTC hour, but only for hours with two or more readings of the
 *   series: an hour with one reading is its point, so hourly data (the common case) costs no
 *   rollup rows, and sub-hourly data still reads ≤ 8,784 rows for a year at hourly buckets.
 * - `latest` (kommune, standard, key) WITHOUT ROWID: the newest record per asset ('a:' + assetId)
 *   or device without asset ('d:' + deviceId), as plain JSON (a kommune's 10,000 latest records
 *   are one key range, read and parsed in ~15 ms); upserted where newer.
 * - `slots`: which slot column holds which field of which standard (new fields get new slots,
 *   and new columns when needed, at open). `shapes`: the record key lists.
 */

/** 2: daily rollups of past months packed into `rollup_days` (migrate-day-rollups.ts). */
export const schemaVersion = 2;

/** Statistic columns of a rollup slot, in column order. */
export const rollupStats = ['n', 's', 'lo', 'hi', 'f', 'l', 'd', 't'] as const;

const rollupTypes: Record<(typeof rollupStats)[number], string> = {
  n: 'INTEGER',
  s: 'REAL',
  lo: 'REAL',
  hi: 'REAL',
  f: 'REAL',
  l: 'REAL',
  d: 'REAL',
  t: 'INTEGER',
};

export interface SlotMap {
  /** standard → field → slot */
  readonly byStandard: ReadonlyMap<StandardId, ReadonlyMap<string, number>>;
  /** Slot columns in the tables (v0 … v{count-1}). */
  readonly count: number;
}

export const createDayRollups = 'CREATE TABLE rollup_days (key INTEGER PRIMARY KEY, days BLOB NOT NULL);';

export function createSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE series (
      id INTEGER PRIMARY KEY,
      kommune TEXT NOT NULL,
      standard TEXT NOT NULL,
      asset_id TEXT NOT NULL,
      device_id TEXT NOT NULL,
      UNIQUE (kommune, standard, asset_id, device_id)
    );
    CREATE INDEX series_by_asset ON series (kommune, asset_id);
    CREATE INDEX series_by_device ON series (kommune, device_id);
    CREATE TABLE slots (
      standard TEXT NOT NULL,
      field TEXT NOT NULL,
      slot INTEGER NOT NULL,
      PRIMARY KEY (standard, field),
      UNIQUE (standard, slot)
    ) WITHOUT ROWID;
    CREATE TABLE shapes (id INTEGER PRIMARY KEY, keys TEXT NOT NULL UNIQUE);
    CREATE TABLE records (id BLOB PRIMARY KEY, shape INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE points (
      series_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      id BLOB NOT NULL,
      PRIMARY KEY (series_id, ts, id)
    ) WITHOUT ROWID;
    CREATE TABLE rollup_1h (series_id INTEGER NOT NULL, bucket INTEGER NOT NULL, last_ts INTEGER NOT NULL, PRIMARY KEY (series_id, bucket)) WITHOUT ROWID;
    CREATE TABLE rollup_1d (series_id INTEGER NOT NULL, bucket INTEGER NOT NULL, last_ts INTEGER NOT NULL, PRIMARY KEY (series_id, bucket)) WITHOUT ROWID;
    ${createDayRollups}
    CREATE TABLE latest (
      kommune TEXT NOT NULL,
      standard TEXT NOT NULL,
      key TEXT NOT NULL,
      ts INTEGER NOT NULL,
      id BLOB NOT NULL,
      record TEXT NOT NULL,
      PRIMARY KEY (kommune, standard, key)
    ) WITHOUT ROWID;
  `);
}

function columns(db: Database.Database, table: string): Set<string> {
  return new Set((db.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name));
}

/**
 * Gives every numeric field of every standard a slot (keeping the slots fields already have) and
 * adds the slot columns the tables lack. Runs in the caller's transaction.
 */
export function ensureSlots(db: Database.Database): SlotMap {
  const rows = db.prepare('SELECT standard, field, slot FROM slots').all() as { standard: StandardId; field: string; slot: number }[];
  const byStandard = new Map<StandardId, Map<string, number>>();
  for (const id of standardIds) byStandard.set(id, new Map());
  for (const row of rows) byStandard.get(row.standard)?.set(row.field, row.slot);
  const insert = db.prepare('INSERT INTO slots (standard, field, slot) VALUES (?, ?, ?)');
  let count = 0;
  for (const id of standardIds) {
    const slots = byStandard.get(id)!;
    let next = slots.size === 0 ? 0 : Math.max(...slots.values()) + 1;
    for (const field of numericFields[id]) {
      if (slots.has(field)) continue;
      slots.set(field, next);
      insert.run(id, field, next);
      next++;
    }
    count = Math.max(count, next);
  }
  if (count > maxSlots) throw new Error(`the store keeps at most ${maxSlots} numeric fields per standard; one has ${count}`);
  const pointColumns = columns(db, 'points');
  for (let i = 0; i < count; i++) if (!pointColumns.has(`v${i}`)) db.exec(`ALTER TABLE points ADD COLUMN v${i} REAL`);
  for (const table of ['rollup_1h', 'rollup_1d']) {
    const present = columns(db, table);
    for (let i = 0; i < count; i++) {
      for (const stat of rollupStats) {
        if (!present.has(`${stat}${i}`)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${stat}${i} ${rollupTypes[stat]}`);
      }
    }
  }
  return { byStandard, count };
}
