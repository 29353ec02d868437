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

/** Which of a kommune's dead letters: every one named is matched; none named, all of them. */
export interface DeadLetterFilter {
  code?: string | undefined;
  deviceKey?: string | undefined;
  source?: string | undefined;
}

/** A page of a filter, oldest first: ids after `afterId`, at most `limit`. */
export interface DeadLetterPage extends DeadLetterFilter {
  afterId?: number | undefined;
  limit?: number | undefined;
}

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

interface Matching {
  kommune: string;
  code: string | null;
  deviceKey: string | null;
  source: string | null;
}

const matching = '(kommune = @kommune AND (@code IS NULL OR code = @code) AND (@deviceKey IS NULL OR device_key = @deviceKey) AND (@source IS NULL OR source = @source))';

const matchingOf = (kommune: string, filter: DeadLetterFilter): Matching => ({
  kommune,
  code: filter.code ?? null,
  deviceKey: filter.deviceKey ?? null,
  source: filter.source ?? null,
});

/**
 * Counter names: `uplinks` (up events pushed), `records.stored`, `records.duplicate` (of pushes and
 * replays), `events.ignored`, `refused.too-large`, `refused.rate-limited`, `dead-letters`,
 * `dead-letters.<code>`, `dead-letters.dropped`, `dead-letters.deleted`, `replays.ok`, `replays.failed`.
 */
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
      list: db.prepare<[Matching & { afterId: number; limit: number }], Row>(
        `SELECT * FROM integration_dead_letters WHERE ${matching} AND id > @afterId ORDER BY id LIMIT @limit`,
      ),
      get: db.prepare<[string, number], Row>('SELECT * FROM integration_dead_letters WHERE kommune = ? AND id = ?'),
      remove: db.prepare<[string, number]>('DELETE FROM integration_dead_letters WHERE kommune = ? AND id = ?'),
      removeMatching: db.prepare<[Matching]>(`DELETE FROM integration_dead_letters WHERE ${matching}`),
      setReason: db.prepare<[string, string, string, number]>('UPDATE integration_dead_letters SET code = ?, reason = ? WHERE kommune = ? AND id = ?'),
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
  list(kommune: string, page: DeadLetterPage = {}): IntegrationDeadLetter[] {
    return this.statements.list.all({ ...matchingOf(kommune, page), afterId: page.afterId ?? 0, limit: page.limit ?? 100 }).map(toDeadLetter);
  }

  get(kommune: string, id: number): IntegrationDeadLetter | undefined {
    const row = this.statements.get.get(kommune, id);
    return row && toDeadLetter(row);
  }

  /** False when the kommune has no such dead letter (any more). */
  remove(kommune: string, id: number): boolean {
    return this.statements.remove.run(kommune, id).changes > 0;
  }

  /** How many were removed. */
  removeMatching(kommune: string, filter: DeadLetterFilter): number {
    return this.statements.removeMatching.run(matchingOf(kommune, filter)).changes;
  }

  /** Keeps a dead letter with a new reason (a replay that failed); false when it is gone. */
  setReason(kommune: string, id: number, code: string, reason: string): boolean {
    return this.statements.setReason.run(code, reason, kommune, id).changes > 0;
  }

  increment(kommune: string, counts: IntegrationCounts): void {
    this.incrementAll(kommune, counts);
  }

  counts(kommune: string): IntegrationCounts {
    return Object.fromEntries(this.statements.counts.all(kommune).map((row) => [row.name, row.value]));
  }
}
