import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';

/** A push that could not be used, kept with its reason and the body byte for byte. */
export interface IntegrationDeadLetter {
  id: number;
  at: string;
  /** The endpoint it came to: 'chirpstack' or 'os2iot'. */
  source: string;
  /** The integration key that pushed it. */
  keyId: string;
  deviceKey: string | null;
  /** Why, as a code (unknown-device, malformed, truncated, …) and in words. */
  code: string;
  reason: string;
  contentType: string | null;
  raw: Buffer;
}

export type NewDeadLetter = Omit<IntegrationDeadLetter, 'id' | 'at'>;

interface Row {
  id: number;
  at: string;
  source: string;
  key_id: string;
  device_key: string | null;
  code: string;
  reason: string;
  content_type: string | null;
  raw: Buffer;
}

const toDeadLetter = (row: Row): IntegrationDeadLetter => ({
  id: row.id,
  at: row.at,
  source: row.source,
  keyId: row.key_id,
  deviceKey: row.device_key,
  code: row.code,
  reason: row.reason,
  contentType: row.content_type,
  raw: row.raw,
});

/** Counter names: `uplinks`, `records.stored`, `records.duplicate`, `events.ignored`, `dead-letters`, `dead-letters.<code>`, `dead-letters.dropped`. */
export type IntegrationCounts = Record<string, number>;

export const defaultDeadLettersPerKommune = 10_000;

/**
 * The integrations' dead-letter store and counters, per kommune, in the cloud database. Bounded:
 * past `maxPerKommune` entries of a kommune its oldest are dropped, and how many is counted
 * (`dead-letters.dropped`), never silent. A dead letter and its counts are written in one transaction.
 */
export class IntegrationDeadLetters {
  private readonly statements;
  private readonly addEntry: (kommune: string, entry: NewDeadLetter) => number;
  /** One transaction (one commit) for several counters. */
  private readonly incrementAll: (kommune: string, counts: IntegrationCounts) => void;

  constructor(
    db: Database.Database,
    private readonly now: Clock,
    private readonly maxPerKommune = defaultDeadLettersPerKommune,
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO integration_dead_letters (kommune, at, source, key_id, device_key, code, reason, content_type, raw)
         VALUES (@kommune, @at, @source, @keyId, @deviceKey, @code, @reason, @contentType, @raw)`,
      ),
      kept: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM integration_dead_letters WHERE kommune = ?'),
      dropOldest: db.prepare(
        'DELETE FROM integration_dead_letters WHERE id IN (SELECT id FROM integration_dead_letters WHERE kommune = ? ORDER BY id LIMIT ?)',
      ),
      list: db.prepare<[string, number, string | null, string | null, number], Row>(
        `SELECT * FROM integration_dead_letters WHERE kommune = ? AND id > ? AND (? IS NULL OR device_key = ?) ORDER BY id LIMIT ?`,
      ),
      count: db.prepare(
        `INSERT INTO integration_counts (kommune, name, value) VALUES (?, ?, ?)
         ON CONFLICT (kommune, name) DO UPDATE SET value = value + excluded.value`,
      ),
      counts: db.prepare<[string], { name: string; value: number }>('SELECT name, value FROM integration_counts WHERE kommune = ? ORDER BY name'),
    };
    this.incrementAll = db.transaction((kommune: string, counts: IntegrationCounts) => {
      for (const [name, by] of Object.entries(counts)) if (by > 0) this.statements.count.run(kommune, name, by);
    });
    this.addEntry = db.transaction((kommune: string, entry: NewDeadLetter): number => {
      const id = Number(this.statements.insert.run({ kommune, at: this.now().toISOString(), ...entry }).lastInsertRowid);
      this.increment(kommune, { 'dead-letters': 1, [`dead-letters.${entry.code}`]: 1 });
      const excess = this.statements.kept.get(kommune)!.n - this.maxPerKommune;
      if (excess > 0) {
        this.statements.dropOldest.run(kommune, excess);
        this.increment(kommune, { 'dead-letters.dropped': excess });
      }
      return id;
    });
  }

  /** Keeps a dead letter; returns its id. */
  add(kommune: string, entry: NewDeadLetter): number {
    return this.addEntry(kommune, entry);
  }

  /** Oldest first; `afterId` pages on. */
  list(kommune: string, options: { afterId?: number; limit?: number; deviceKey?: string } = {}): IntegrationDeadLetter[] {
    const deviceKey = options.deviceKey ?? null;
    return this.statements.list.all(kommune, options.afterId ?? 0, deviceKey, deviceKey, options.limit ?? 100).map(toDeadLetter);
  }

  increment(kommune: string, counts: IntegrationCounts): void {
    this.incrementAll(kommune, counts);
  }

  counts(kommune: string): IntegrationCounts {
    return Object.fromEntries(this.statements.counts.all(kommune).map((row) => [row.name, row.value]));
  }
}
