import type Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import type { SensorRecord } from '../../../standards/src/index.js';
import type { QueuedRecord, QueueStats, RecordQueue, SerializedRecord } from '../core/queue.js';
import { decodeRecord, encodeRecord, isCanonicalUuid, type JsonShape, jsonShape, recordJson } from './record-codec.js';
import { assertPositiveInteger, ensureSchema, openSqliteFile, type SyncLevel, SyncSwitch } from './sqlite-file.js';

export type QueueLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface SqliteQueueOptions {
  /** The queue file, e.g. `/var/lib/sensorbro/queue.db` (its folder is created; `-wal` and `-shm` files sit beside it). */
  path: string;
  /**
   * Most payload bytes kept (see `QueueStats.bytes`). Past it, the oldest records are dropped,
   * counted in `droppedAtQuota` and reported as an alarm on the logger. The file itself is about
   * 1.4× the payload (row headers, the id index, page slack; measured with 1,000,000 fill-level
   * records: 156 MiB payload, 214 MiB file), plus a WAL of at most a few MiB.
   */
  quotaBytes: number;
  /** Receives the quota alarm (error, once per crossing) and its clearing (warn). Defaults to pino on stderr. */
  logger?: QueueLogger;
  /**
   * Commit durability of `append` (the moment records count as safe). Default `full`: fsync per
   * commit, so a record survives a power cut too, not only kill -9 of the process.
   */
  synchronous?: SyncLevel;
  /**
   * Commit durability of `acknowledge`. Default `normal`: durable against a process crash; after
   * a power cut the last acknowledgements may be undone, so those records are sent again and the
   * cloud dedups them by id (at-least-once). Saves an fsync per acknowledged batch during replay.
   */
  acknowledgeSynchronous?: SyncLevel;
  /**
   * Free space returned to the file system: once at least this many bytes of the file are free
   * pages and the live data is under 1/32 of them (a drained backlog), the file is vacuumed.
   * Default 8 MiB.
   */
  reclaimMinFreeBytes?: number;
}

/** Schema version in `PRAGMA user_version`. */
const formatVersion = 1;
/** Records dropped at the quota are selected in pages of this many rows. */
const evictPage = 1024;
/**
 * SQLite page cache of the queue. Appends touch the right edge of two B-trees (seq, and the
 * time-ordered UUIDv7 ids), peeks and acknowledgements their left edge: a few hot pages each.
 */
const queueCacheKiB = 4096;
/** Largest `peek`. */
const maxPeek = 100_000;
/** The quota alarm clears once the payload is back under this share of the quota. */
const alarmClearRatio = 0.9;
/** After a failed vacuum (e.g. another process holds a read transaction), wait this long. */
const reclaimRetryMs = 60_000;

interface State {
  nextSeq: number;
  depth: number;
  bytes: number;
  dropped: number;
}

type PeekRow = [seq: number, hexId: string | null, shape: number, body: string];

/**
 * Durable store-and-forward queue on SQLite (DESIGN.md §2, Queue).
 *
 * Layout: `records(seq INTEGER PRIMARY KEY, id UNIQUE, at, size, shape, body)` holds one row per
 * record; `state` is a single row of counters (next seq, depth, payload bytes, dropped at quota)
 * updated in the same transaction as the rows, so the counters are exact after a crash and
 * reading them is O(1); `shapes` holds the key lists of the compact encoding (record-codec.ts).
 * Every write transaction reads the counters from the file under the write lock, so another
 * process (e.g. the CLI) may open the same queue.
 */
export function openSqliteQueue(options: SqliteQueueOptions): RecordQueue {
  return new SqliteQueue(options);
}

class SqliteQueue implements RecordQueue {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly quotaBytes: number;
  private readonly logger: QueueLogger;
  private readonly appendSync: SyncLevel;
  private readonly acknowledgeSync: SyncLevel;
  private readonly reclaimMinFreePages: number;
  private readonly sync: SyncSwitch;
  private readonly shapeIds = new Map<string, number>();
  private readonly shapeKeys = new Map<number, JsonShape>();
  private alarmActive = false;
  private droppedThisCrossing = 0;
  private reclaimRetryAt = 0;
  private closed = false;

  private readonly statements: ReturnType<typeof prepare>;
  private readonly appendTx: Database.Transaction<(encoded: Row[], at: number, newShapes: string[]) => number>;
  private readonly acknowledgeTx: Database.Transaction<(uuids: string[], texts: string[]) => State>;
  private readonly enforceQuotaTx: Database.Transaction<() => number>;
  private readonly statsTx: Database.Transaction<() => QueueStats>;

  constructor(options: SqliteQueueOptions) {
    assertPositiveInteger('quotaBytes', options.quotaBytes);
    this.path = options.path;
    this.quotaBytes = options.quotaBytes;
    this.logger = options.logger ?? pino({ name: 'sensorbro.queue' }, process.stderr);
    this.appendSync = options.synchronous ?? 'full';
    this.acknowledgeSync = options.acknowledgeSynchronous ?? 'normal';
    const db = openSqliteFile(options.path, queueCacheKiB);
    this.db = db;
    try {
      ensureSchema(db, `queue ${options.path}`, formatVersion, () => {
        db.exec(`
          CREATE TABLE records (
            seq   INTEGER PRIMARY KEY,       -- delivery order, never reused
            id    BLOB NOT NULL UNIQUE,      -- canonical UUID as 16 bytes, any other id as text
            at    INTEGER NOT NULL,          -- enqueued, Unix ms
            size  INTEGER NOT NULL,          -- payload bytes counted against the quota
            shape INTEGER NOT NULL,          -- shapes.id: the key list of body
            body  TEXT NOT NULL              -- JSON array of the record's values
          );
          CREATE TABLE shapes (id INTEGER PRIMARY KEY, keys TEXT NOT NULL UNIQUE);
          CREATE TABLE state (
            k INTEGER PRIMARY KEY CHECK (k = 1),
            next_seq INTEGER NOT NULL, depth INTEGER NOT NULL, bytes INTEGER NOT NULL, dropped INTEGER NOT NULL
          );
          INSERT INTO state (k, next_seq, depth, bytes, dropped) VALUES (1, 1, 0, 0, 0);
        `);
      });
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      this.reclaimMinFreePages = Math.max(1, Math.ceil((options.reclaimMinFreeBytes ?? 8 * 1024 * 1024) / pageSize));
      this.sync = new SyncSwitch(db);
      this.statements = prepare(db);
      for (const row of db.prepare('SELECT id, keys FROM shapes').raw().all() as [number, string][]) {
        this.rememberShape(row[0], row[1]);
      }
      this.appendTx = db.transaction((encoded: Row[], at: number, newShapes: string[]) => this.appendInTx(encoded, at, newShapes));
      this.acknowledgeTx = db.transaction((uuids: string[], texts: string[]) => this.acknowledgeInTx(uuids, texts));
      this.enforceQuotaTx = db.transaction(() => {
        const state = this.readState();
        const dropped = this.dropOldest(state);
        if (dropped > 0) this.writeState(state);
        return dropped;
      });
      this.statsTx = db.transaction(() => {
        const state = this.readState();
        const at = this.statements.oldestAt.get() as number | undefined;
        return {
          depth: state.depth,
          oldestEnqueuedAt: at === undefined ? undefined : new Date(at).toISOString(),
          bytes: state.bytes,
          quotaBytes: this.quotaBytes,
          droppedAtQuota: state.dropped,
        };
      });
      // The quota may have been lowered since the file was written.
      if (this.readState().bytes > this.quotaBytes) {
        this.sync.set(this.appendSync);
        this.reportDropped(this.enforceQuotaTx.immediate());
      }
    } catch (error) {
      db.close();
      throw error;
    }
  }

  append(records: readonly SensorRecord[]): void {
    this.assertOpen();
    if (records.length === 0) return;
    // Encode before taking the write lock: a record that cannot be encoded fails the call, nothing is written.
    const encoded: Row[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const { uuid, shapeKeys, body } = encodeRecord(record);
      const id = record.id;
      encoded[i] = { id, uuid, shapeKeys, body, size: Buffer.byteLength(body) + (uuid ? 16 : Buffer.byteLength(id)) };
    }
    this.sync.set(this.appendSync);
    const newShapes: string[] = [];
    let dropped: number;
    try {
      dropped = this.appendTx.immediate(encoded, Date.now(), newShapes);
    } catch (error) {
      // Rolled back: forget the shapes this transaction added.
      for (const keys of newShapes) {
        const shape = this.shapeIds.get(keys);
        this.shapeIds.delete(keys);
        if (shape !== undefined) this.shapeKeys.delete(shape);
      }
      throw error;
    }
    this.reportDropped(dropped);
  }

  peek(limit: number, afterSeq = 0): QueuedRecord[] {
    this.assertOpen();
    if (!(limit >= 1)) return [];
    const rows = this.statements.peek.all(afterSeq, Math.min(Math.floor(limit), maxPeek)) as PeekRow[];
    const out: QueuedRecord[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [seq, hexId, shape, body] = rows[i]!;
      out[i] = { seq, record: decodeRecord(this.shapeOf(shape).keys, hexId, body) as SensorRecord };
    }
    return out;
  }

  peekJson(limit: number, afterSeq = 0): SerializedRecord[] {
    this.assertOpen();
    if (!(limit >= 1)) return [];
    const rows = this.statements.peek.all(afterSeq, Math.min(Math.floor(limit), maxPeek)) as PeekRow[];
    const out: SerializedRecord[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [seq, hexId, shape, body] = rows[i]!;
      const { id, json } = recordJson(this.shapeOf(shape), hexId, body);
      out[i] = { seq, id, json };
    }
    return out;
  }

  acknowledge(ids: readonly string[]): void {
    this.assertOpen();
    if (ids.length === 0) return;
    const uuids: string[] = [];
    const texts: string[] = [];
    for (const id of ids) {
      if (typeof id !== 'string') continue;
      (isCanonicalUuid(id) ? uuids : texts).push(id);
    }
    this.sync.set(this.acknowledgeSync);
    const state = this.acknowledgeTx.immediate(uuids, texts);
    if (this.alarmActive && state.bytes <= this.quotaBytes * alarmClearRatio) {
      this.logger.warn(
        { alarm: 'queue-quota', cleared: true, droppedWhileFull: this.droppedThisCrossing, droppedAtQuota: state.dropped, bytes: state.bytes, quotaBytes: this.quotaBytes, path: this.path },
        `queue back under its quota; ${this.droppedThisCrossing} records were dropped while it was full`,
      );
      this.alarmActive = false;
      this.droppedThisCrossing = 0;
    }
    this.maybeReclaim();
  }

  stats(): QueueStats {
    this.assertOpen();
    return this.statsTx();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // ── inside transactions ──────────────────────────────────────────────────────────────────

  private appendInTx(encoded: Row[], at: number, newShapes: string[]): number {
    const s = this.statements;
    const state = this.readState();
    for (const row of encoded) {
      const shape = this.shapeIdOf(row.shapeKeys, newShapes);
      const info = (row.uuid ? s.insertUuid : s.insertText).run(state.nextSeq, row.id, at, row.size, shape, row.body);
      if (info.changes === 0) continue; // this id is already queued
      state.nextSeq++;
      state.depth++;
      state.bytes += row.size;
    }
    const dropped = this.dropOldest(state);
    this.writeState(state);
    return dropped;
  }

  private acknowledgeInTx(uuids: string[], texts: string[]): State {
    const s = this.statements;
    const state = this.readState();
    let removed = 0;
    let freed = 0;
    for (const [statement, ids] of [[s.acknowledgeUuids, uuids], [s.acknowledgeTexts, texts]] as const) {
      if (ids.length === 0) continue;
      for (const size of statement.all(JSON.stringify(ids)) as number[]) {
        removed++;
        freed += size;
      }
    }
    if (removed === 0) return state;
    state.depth -= removed;
    state.bytes -= freed;
    this.writeState(state);
    return state;
  }

  /** Drops the oldest records until the payload fits the quota; updates `state`; returns how many. */
  private dropOldest(state: State): number {
    const excess = state.bytes - this.quotaBytes;
    if (excess <= 0) return 0;
    let freed = 0;
    let count = 0;
    let lastSeq = 0;
    while (freed < excess) {
      const rows = this.statements.oldestSizes.all(lastSeq, evictPage) as [number, number][];
      if (rows.length === 0) break;
      for (const [seq, size] of rows) {
        freed += size;
        count++;
        lastSeq = seq;
        if (freed >= excess) break;
      }
    }
    if (count === 0) return 0;
    this.statements.deleteThrough.run(lastSeq);
    state.depth -= count;
    state.bytes -= freed;
    state.dropped += count;
    return count;
  }

  private readState(): State {
    return this.statements.readState.get() as State;
  }

  private writeState(state: State): void {
    this.statements.writeState.run(state.nextSeq, state.depth, state.bytes, state.dropped);
  }

  private shapeIdOf(keys: string, newShapes: string[]): number {
    const known = this.shapeIds.get(keys);
    if (known !== undefined) return known;
    // ON CONFLICT: another process may have added the same key list.
    const id = this.statements.upsertShape.get(keys) as number;
    this.rememberShape(id, keys);
    newShapes.push(keys);
    return id;
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────

  private rememberShape(id: number, keys: string): void {
    this.shapeIds.set(keys, id);
    this.shapeKeys.set(id, jsonShape(JSON.parse(keys) as string[]));
  }

  private shapeOf(shape: number): JsonShape {
    let keys = this.shapeKeys.get(shape);
    if (keys === undefined) {
      // Written by another process since we loaded the shapes.
      const text = this.statements.shapeById.get(shape) as string | undefined;
      if (text === undefined) throw new Error(`queue ${this.path}: record refers to unknown shape ${shape}`);
      this.rememberShape(shape, text);
      keys = this.shapeKeys.get(shape)!;
    }
    return keys;
  }

  private reportDropped(dropped: number): void {
    if (dropped === 0) return;
    if (this.alarmActive) {
      this.droppedThisCrossing += dropped;
      return;
    }
    this.alarmActive = true;
    this.droppedThisCrossing = dropped;
    const stats = this.statsTx();
    this.logger.error(
      { alarm: 'queue-quota', dropped, droppedAtQuota: stats.droppedAtQuota, depth: stats.depth, bytes: stats.bytes, quotaBytes: this.quotaBytes, path: this.path },
      'queue quota reached: dropping the oldest records to make room',
    );
  }

  /**
   * Freed pages stay in the file and are reused by later appends; the file's high-water mark is
   * bounded by the quota. Once a large backlog has been drained (many free pages, little live
   * data), VACUUM gives the space back: it rewrites only the live data, so it is cheap exactly then.
   */
  private maybeReclaim(): void {
    const free = this.statements.freelistCount.get() as number;
    if (free < this.reclaimMinFreePages) return;
    const pages = this.statements.pageCount.get() as number;
    if ((pages - free) * 32 > free) return;
    const now = Date.now();
    if (now < this.reclaimRetryAt) return;
    try {
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.logger.info({ freedPages: free, path: this.path }, 'queue file compacted after its backlog was drained');
    } catch (error) {
      this.reclaimRetryAt = now + reclaimRetryMs;
      this.logger.warn({ err: error, path: this.path }, 'queue file could not be compacted; will retry');
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`queue ${this.path} is closed`);
  }
}

interface Row {
  id: string;
  uuid: boolean;
  shapeKeys: string;
  body: string;
  size: number;
}

function prepare(db: Database.Database) {
  return {
    readState: db.prepare('SELECT next_seq AS nextSeq, depth, bytes, dropped FROM state WHERE k = 1'),
    writeState: db.prepare('UPDATE state SET next_seq = ?, depth = ?, bytes = ?, dropped = ? WHERE k = 1'),
    insertUuid: db.prepare(
      "INSERT INTO records (seq, id, at, size, shape, body) VALUES (?, unhex(?, '-'), ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    ),
    insertText: db.prepare('INSERT INTO records (seq, id, at, size, shape, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    peek: db
      .prepare("SELECT seq, iif(typeof(id) = 'blob', lower(hex(id)), NULL), shape, body FROM records WHERE seq > ? ORDER BY seq LIMIT ?")
      .raw(),
    oldestSizes: db.prepare('SELECT seq, size FROM records WHERE seq > ? ORDER BY seq LIMIT ?').raw(),
    deleteThrough: db.prepare('DELETE FROM records WHERE seq <= ?'),
    acknowledgeUuids: db
      .prepare("DELETE FROM records WHERE id IN (SELECT unhex(value, '-') FROM json_each(?)) RETURNING size")
      .pluck(),
    acknowledgeTexts: db.prepare('DELETE FROM records WHERE id IN (SELECT value FROM json_each(?)) RETURNING size').pluck(),
    oldestAt: db.prepare('SELECT at FROM records ORDER BY seq LIMIT 1').pluck(),
    upsertShape: db.prepare('INSERT INTO shapes (keys) VALUES (?) ON CONFLICT (keys) DO UPDATE SET keys = excluded.keys RETURNING id').pluck(),
    shapeById: db.prepare('SELECT keys FROM shapes WHERE id = ?').pluck(),
    freelistCount: db.prepare('PRAGMA freelist_count').pluck(),
    pageCount: db.prepare('PRAGMA page_count').pluck(),
  };
}
