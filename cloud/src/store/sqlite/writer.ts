import type Database from 'better-sqlite3';
import { type SensorRecord, type StandardId, standardIds } from '../../../../standards/src/index.js';
import { fieldValue } from '../fields.js';
import { observedMs } from '../query-checks.js';
import type { WriteOutcome } from '../time-series-store.js';
import type { Catalog } from './catalog.js';
import { encodeRecord, idKey } from './record-codec.js';
import { type AppendParams, Rollups } from './rollups.js';
import type { SlotMap } from './schema.js';

/**
 * The write path: one transaction per write() call. Per record: insert into `records` (a conflict
 * on the id is a duplicate: nothing else happens), insert its point, upsert `latest` where newer,
 * fold it into the rollups.
 */
export class SqliteWriter {
  private readonly statements;
  private readonly rollups: Rollups;
  private readonly slotLists: ReadonlyMap<StandardId, readonly (readonly [field: string, slot: number])[]>;
  private readonly valueNames: readonly string[];
  private readonly transaction: Database.Transaction<(records: readonly SensorRecord[]) => WriteOutcome[]>;

  constructor(
    db: Database.Database,
    private readonly catalog: Catalog,
    private readonly slots: SlotMap,
  ) {
    const values = Array.from({ length: slots.count }, () => '?').join(', ');
    const columns = Array.from({ length: slots.count }, (_, i) => `v${i}`).join(', ');
    this.statements = {
      insertRecord: db.prepare('INSERT OR IGNORE INTO records (id, shape, body) VALUES (?, ?, ?)'),
      insertPoint: db.prepare(`INSERT INTO points (series_id, ts, id, ${columns}) VALUES (?, ?, ?, ${values})`),
      upsertLatest: db.prepare(
        `INSERT INTO latest (kommune, standard, key, ts, id, record) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (kommune, standard, key) DO UPDATE SET ts = excluded.ts, id = excluded.id, record = excluded.record
         WHERE excluded.ts > latest.ts OR (excluded.ts = latest.ts AND excluded.id > latest.id)`,
      ),
    };
    this.valueNames = Array.from({ length: slots.count }, (_, i) => `v${i}`);
    this.rollups = new Rollups(db, catalog, slots.count);
    this.slotLists = new Map(standardIds.map((id) => [id, [...slots.byStandard.get(id)!.entries()]]));
    this.transaction = db.transaction((records: readonly SensorRecord[]) => records.map((record) => this.writeOne(record)));
  }

  write(records: readonly SensorRecord[]): WriteOutcome[] {
    try {
      return this.transaction.immediate(records);
    } catch (error) {
      // The caches may hold series, shapes or newest times of the rolled-back transaction.
      this.catalog.reset();
      throw error;
    }
  }

  private writeOne(record: SensorRecord): WriteOutcome {
    const slotList = this.slotLists.get(record.standard);
    if (!slotList) throw new TypeError(`record ${record.id}: unknown standard ${JSON.stringify(record.standard)}`);
    const ts = observedMs(record);
    const key = idKey(record.id);
    const encoded = encodeRecord(record, ts);
    const shape = this.catalog.shapeId(encoded.shape);
    if (this.statements.insertRecord.run(key, shape, encoded.body).changes === 0) return 'duplicate';

    const assetId = record.assetId ?? '';
    const series = this.catalog.seriesFor(record.kommune, record.standard, assetId, record.deviceId);
    const values: (number | null)[] = new Array(this.slots.count).fill(null);
    if (record.quality !== 'bad') for (const [field, slot] of slotList) values[slot] = fieldValue(record, field);
    this.statements.insertPoint.run(series.id, ts, key, ...values);
    const latestKey = assetId === '' ? `d:${record.deviceId}` : `a:${assetId}`;
    this.statements.upsertLatest.run(record.kommune, record.standard, latestKey, ts, key, JSON.stringify(record));

    const params: AppendParams = {};
    for (let i = 0; i < values.length; i++) params[this.valueNames[i]!] = values[i]!;
    this.rollups.add(series, ts, params);
    return 'stored';
  }
}
