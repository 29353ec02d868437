import type Database from 'better-sqlite3';
import type { StandardId } from '../../../../standards/src/index.js';
import type { SeriesFields, Shape } from './record-codec.js';

/** A series as the writer and the queries know it. */
export interface Series extends SeriesFields {
  id: number;
  standard: StandardId;
  /** Newest reading time of the series (any quality); loaded when the writer first needs it. */
  lastTs: number | undefined;
}

/**
 * In-memory caches of the `series` and `shapes` tables (both small: a kommune has thousands of
 * series, a deployment some hundred shapes). Only this process writes the file, so the caches
 * stay true; a series or shape another process added is read on first use.
 */
export class Catalog {
  private readonly seriesByKey = new Map<string, Series>();
  private readonly seriesById = new Map<number, Series>();
  private readonly shapeIds = new Map<string, number>();
  private readonly shapesById = new Map<number, Shape>();
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insertSeries: db.prepare('INSERT OR IGNORE INTO series (kommune, standard, asset_id, device_id) VALUES (?, ?, ?, ?)'),
      findSeries: db.prepare('SELECT id FROM series WHERE kommune = ? AND standard = ? AND asset_id = ? AND device_id = ?').pluck(),
      seriesRow: db.prepare('SELECT id, kommune, standard, asset_id AS assetId, device_id AS deviceId FROM series WHERE id = ?'),
      lastTs: db.prepare('SELECT max(ts) FROM points WHERE series_id = ?').pluck(),
      insertShape: db.prepare('INSERT OR IGNORE INTO shapes (keys) VALUES (?)'),
      findShape: db.prepare('SELECT id FROM shapes WHERE keys = ?').pluck(),
      shapeRow: db.prepare('SELECT keys FROM shapes WHERE id = ?').pluck(),
    };
  }

  /** The series of a record, created when new. Call inside the write transaction. */
  seriesFor(kommune: string, standard: StandardId, assetId: string, deviceId: string): Series {
    const key = `${kommune}\u0000${standard}\u0000${assetId}\u0000${deviceId}`;
    let series = this.seriesByKey.get(key);
    if (!series) {
      this.statements.insertSeries.run(kommune, standard, assetId, deviceId);
      const id = this.statements.findSeries.get(kommune, standard, assetId, deviceId) as number;
      series = this.seriesById.get(id) ?? { id, kommune, standard, assetId, deviceId, lastTs: undefined };
      this.seriesByKey.set(key, series);
      this.seriesById.set(id, series);
    }
    return series;
  }

  /** Newest reading time of the series, -Infinity for none. */
  lastTs(series: Series): number {
    if (series.lastTs === undefined) series.lastTs = (this.statements.lastTs.get(series.id) as number | null) ?? -Infinity;
    return series.lastTs;
  }

  series(id: number): Series {
    let series = this.seriesById.get(id);
    if (!series) {
      const row = this.statements.seriesRow.get(id) as Omit<Series, 'lastTs'> | undefined;
      if (!row) throw new Error(`store: series ${id} is missing`);
      series = { ...row, lastTs: undefined };
      this.seriesById.set(id, series);
      this.seriesByKey.set(`${row.kommune}\u0000${row.standard}\u0000${row.assetId}\u0000${row.deviceId}`, series);
    }
    return series;
  }

  /** Id of a shape (JSON of its key list), created when new. Call inside the write transaction. */
  shapeId(keys: string): number {
    let id = this.shapeIds.get(keys);
    if (id === undefined) {
      this.statements.insertShape.run(keys);
      id = this.statements.findShape.get(keys) as number;
      this.shapeIds.set(keys, id);
      this.shapesById.set(id, JSON.parse(keys) as Shape);
    }
    return id;
  }

  shape(id: number): Shape {
    let shape = this.shapesById.get(id);
    if (!shape) {
      const keys = this.statements.shapeRow.get(id) as string | undefined;
      if (keys === undefined) throw new Error(`store: record shape ${id} is missing`);
      shape = JSON.parse(keys) as Shape;
      this.shapesById.set(id, shape);
      this.shapeIds.set(keys, id);
    }
    return shape;
  }

  /** Forgets what a rolled-back transaction may have added. */
  reset(): void {
    this.seriesByKey.clear();
    this.seriesById.clear();
    this.shapeIds.clear();
    this.shapesById.clear();
  }
}
