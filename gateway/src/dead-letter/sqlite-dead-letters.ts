import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import type { DeadLetter, DeadLetterStats, DeadLetterStore, NewDeadLetter } from '../core/dead-letter.js';
import type { RawMessage } from '../core/uplink.js';
import { assertPositiveInteger, ensureSchema, openSqliteFile, type SyncLevel, SyncSwitch } from '../queue/sqlite-file.js';

export type DeadLetterLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface DeadLetterStoreOptions {
  /** The store's file, e.g. `/var/lib/sensorbro/dead-letters.db` (its folder is created). */
  path: string;
  /** Most entries kept; past it the oldest are dropped and counted (`stats().dropped`). */
  maxEntries: number;
  /**
   * Most bytes kept (raw payload + address + reason of every entry); past it the oldest are
   * dropped too. Default: 64 MiB. The newest entry is always kept, even when it alone is larger.
   */
  maxBytes?: number;
  /** Receives a warning, once per filling-up, when the store starts dropping. Defaults to pino on stderr. */
  logger?: DeadLetterLogger;
  /** Commit durability of `add` (see SyncLevel); default `full`, as adapters acknowledge upstream once it returns. */
  synchronous?: SyncLevel;
}

/** 2: repeats of the same message are counted on one entry (fingerprint, repeats, last_at). */
const formatVersion = 2;
const defaultMaxBytes = 64 * 1024 * 1024;
const defaultListLimit = 100;
const maxListLimit = 10_000;

interface State {
  nextId: number;
  total: number;
  bytes: number;
  dropped: number;
  repeats: number;
}

type Row = [
  id: number,
  at: string,
  source: RawMessage['source'],
  address: string,
  payload: Buffer,
  deviceKey: string | null,
  code: string,
  reason: string,
  repeats: number,
  lastAt: string | null,
];

/**
 * Bounded on-disk store of what could not be used (DESIGN.md §1: unknown devices, undecodable
 * payloads, invalid records), with the reason and the raw bytes as they arrived, for listing and
 * for replay after a profile fix (the replayer removes what it replayed).
 *
 * Counters (next id, total, bytes, dropped) are one row updated in the same transaction as the
 * entries; per-device counts are a small table (one row per device that has dead letters), so
 * `stats()` never scans the entries. Ids are never reused, so `afterId` paging is stable.
 *
 * A message that arrives again with the same source, address and bytes is kept once, with a
 * count of repeats: on ChirpStack and The Things Stack every envelope carries its own id and time,
 * so identical bytes are a redelivery of the same uplink (QoS 1 after a lost PUBACK, a restart
 * before the acknowledgement) and must not be replayed twice.
 */
export function openDeadLetterStore(options: DeadLetterStoreOptions): DeadLetterStore {
  return new SqliteDeadLetterStore(options);
}

class SqliteDeadLetterStore implements DeadLetterStore {
  private readonly db: Database.Database;
  private readonly path: string;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly logger: DeadLetterLogger;
  private readonly synchronous: SyncLevel;
  private readonly sync: SyncSwitch;
  private readonly statements: ReturnType<typeof prepare>;
  private readonly addTx: Database.Transaction<(entries: readonly NewDeadLetter[]) => number>;
  private readonly removeTx: Database.Transaction<(ids: readonly number[]) => void>;
  private readonly enforceTx: Database.Transaction<() => number>;
  private readonly statsTx: Database.Transaction<() => DeadLetterStats>;
  /** Set while the store is dropping; cleared when it is below 90 % of its bounds again. */
  private full = false;
  private closed = false;

  constructor(options: DeadLetterStoreOptions) {
    assertPositiveInteger('maxEntries', options.maxEntries);
    if (options.maxBytes !== undefined) assertPositiveInteger('maxBytes', options.maxBytes);
    this.path = options.path;
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes ?? defaultMaxBytes;
    this.logger = options.logger ?? pino({ name: 'sensorbro.dead-letters' }, process.stderr);
    this.synchronous = options.synchronous ?? 'full';
    const db = openSqliteFile(options.path, 1024);
    this.db = db;
    try {
      upgradeFromFormat1(db);
      ensureSchema(db, `dead-letter store ${options.path}`, formatVersion, () => {
        db.exec(`
          CREATE TABLE dead_letters (
            id          INTEGER PRIMARY KEY,   -- never reused
            at          TEXT NOT NULL,         -- ISO 8601 UTC
            source      TEXT NOT NULL,
            address     TEXT NOT NULL,         -- MQTT topic, OPC UA node id, …
            payload     BLOB NOT NULL,         -- the raw bytes as they arrived
            device_key  TEXT,
            code        TEXT NOT NULL,
            reason      TEXT NOT NULL,
            size        INTEGER NOT NULL,      -- bytes counted against maxBytes
            fingerprint BLOB NOT NULL,         -- of source, address and payload (see fingerprintOf)
            repeats     INTEGER NOT NULL DEFAULT 0,
            last_at     TEXT                   -- NULL until it repeats
          );
          CREATE INDEX dead_letters_by_device ON dead_letters (device_key, id) WHERE device_key IS NOT NULL;
          CREATE UNIQUE INDEX dead_letters_by_fingerprint ON dead_letters (fingerprint);
          CREATE TABLE device_counts (device_key TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
          CREATE TABLE state (
            k INTEGER PRIMARY KEY CHECK (k = 1),
            next_id INTEGER NOT NULL, total INTEGER NOT NULL, bytes INTEGER NOT NULL, dropped INTEGER NOT NULL,
            repeats INTEGER NOT NULL DEFAULT 0   -- sum of the kept entries' repeats
          );
          INSERT INTO state (k, next_id, total, bytes, dropped) VALUES (1, 1, 0, 0, 0);
        `);
      });
      this.sync = new SyncSwitch(db);
      this.sync.set(this.synchronous);
      this.statements = prepare(db);
      this.addTx = db.transaction((entries: readonly NewDeadLetter[]) => {
        const state = this.readState();
        const s = this.statements;
        let dropped = 0;
        for (const entry of entries.map(rowOf)) {
          if (s.countRepeat.run(entry.at, entry.fingerprint).changes > 0) {
            state.repeats++;
            continue;
          }
          s.insert.run(state.nextId, entry.at, entry.source, entry.address, entry.payload, entry.deviceKey, entry.code, entry.reason, entry.size, entry.fingerprint);
          if (entry.deviceKey !== null) s.countUp.run(entry.deviceKey);
          state.nextId++;
          state.total++;
          state.bytes += entry.size;
          dropped += this.dropOldest(state);
        }
        this.writeState(state);
        return dropped;
      });
      this.removeTx = db.transaction((ids: readonly number[]) => {
        const state = this.readState();
        const removed = this.statements.removeByIds.all(JSON.stringify(ids)) as Removed[];
        if (removed.length === 0) return;
        for (const entry of removed) this.forget(state, entry);
        this.writeState(state);
      });
      this.enforceTx = db.transaction(() => {
        const state = this.readState();
        const dropped = this.dropOldest(state);
        if (dropped > 0) this.writeState(state);
        return dropped;
      });
      this.statsTx = db.transaction(() => {
        const state = this.readState();
        const counts = this.statements.deviceCounts.all() as [string, number][];
        return { total: state.total, byDevice: Object.fromEntries(counts), dropped: state.dropped, repeats: state.repeats };
      });
      // The bounds may have been lowered since the file was written.
      const state = this.readState();
      if (state.total > this.maxEntries || state.bytes > this.maxBytes) this.reportDropped(this.enforceTx.immediate());
    } catch (error) {
      db.close();
      throw error;
    }
  }

  add(entry: NewDeadLetter): void {
    this.addMany([entry]);
  }

  addMany(entries: readonly NewDeadLetter[]): void {
    this.assertOpen();
    if (entries.length === 0) return;
    this.sync.set(this.synchronous);
    this.reportDropped(this.addTx.immediate(entries));
  }

  list(options: { limit?: number; afterId?: number; deviceKey?: string } = {}): DeadLetter[] {
    this.assertOpen();
    const limit = Math.min(Math.max(Math.floor(options.limit ?? defaultListLimit), 0), maxListLimit);
    if (!(limit > 0)) return [];
    const afterId = options.afterId ?? 0;
    const rows = (
      options.deviceKey === undefined
        ? this.statements.list.all(afterId, limit)
        : this.statements.listByDevice.all(options.deviceKey, afterId, limit)
    ) as Row[];
    return rows.map(([id, at, source, address, payload, deviceKey, code, reason, repeats, lastAt]) => ({
      id,
      at,
      raw: { source, address, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) },
      deviceKey: deviceKey ?? undefined,
      code,
      reason,
      repeats,
      lastAt: lastAt ?? at,
    }));
  }

  remove(ids: readonly number[]): void {
    this.assertOpen();
    const valid = ids.filter((id) => Number.isSafeInteger(id));
    if (valid.length === 0) return;
    this.sync.set(this.synchronous);
    this.removeTx.immediate(valid);
    this.maybeClearFull();
  }

  stats(): DeadLetterStats {
    this.assertOpen();
    return this.statsTx();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** Inside a transaction: drops the oldest entries until both bounds hold (the newest entry always stays). */
  private dropOldest(state: State): number {
    let dropped = 0;
    while (state.total > this.maxEntries || (state.bytes > this.maxBytes && state.total > 1)) {
      const oldest = this.statements.removeOldest.get() as Removed | undefined;
      if (oldest === undefined) break;
      this.forget(state, oldest);
      dropped++;
    }
    state.dropped += dropped;
    return dropped;
  }

  private forget(state: State, [deviceKey, size, repeats]: Removed): void {
    if (deviceKey !== null) {
      this.statements.countDown.run(deviceKey);
      this.statements.deleteZeroCount.run(deviceKey);
    }
    state.total--;
    state.bytes -= size;
    state.repeats -= repeats;
  }

  private readState(): State {
    return this.statements.readState.get() as State;
  }

  private writeState(state: State): void {
    this.statements.writeState.run(state.nextId, state.total, state.bytes, state.dropped, state.repeats);
  }

  private reportDropped(dropped: number): void {
    if (dropped === 0 || this.full) return;
    this.full = true;
    const { total, bytes, dropped: droppedTotal } = this.readState();
    this.logger.warn(
      { alarm: 'dead-letters-full', dropped, droppedTotal, total, bytes, maxEntries: this.maxEntries, maxBytes: this.maxBytes, path: this.path },
      'dead-letter store full: dropping the oldest entries',
    );
  }

  private maybeClearFull(): void {
    if (!this.full) return;
    const { total, bytes } = this.readState();
    if (total <= this.maxEntries * 0.9 && bytes <= this.maxBytes * 0.9) this.full = false;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`dead-letter store ${this.path} is closed`);
  }
}

type Removed = [deviceKey: string | null, size: number, repeats: number];

interface NewEntry {
  at: string;
  source: RawMessage['source'];
  address: string;
  payload: Buffer;
  deviceKey: string | null;
  code: string;
  reason: string;
  size: number;
  fingerprint: Buffer;
}

function rowOf(entry: NewDeadLetter): NewEntry {
  const { raw } = entry;
  const payload = Buffer.from(raw.payload.buffer, raw.payload.byteOffset, raw.payload.byteLength);
  return {
    at: entry.at ?? new Date().toISOString(),
    source: raw.source,
    address: raw.address,
    payload,
    deviceKey: entry.deviceKey ?? null,
    code: entry.code,
    reason: entry.reason,
    size: payload.byteLength + Buffer.byteLength(raw.address) + Buffer.byteLength(entry.reason),
    fingerprint: fingerprintOf(raw.source, raw.address, payload),
  };
}

/** 16 bytes of SHA-256 over source, address and payload, each length-prefixed so no two messages share an input. */
function fingerprintOf(source: string, address: string, payload: Buffer): Buffer {
  const hash = createHash('sha256');
  for (const part of [Buffer.from(source), Buffer.from(address), payload]) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.byteLength);
    hash.update(length).update(part);
  }
  return hash.digest().subarray(0, 16);
}

/** Files of format 1 (before repeats were counted) get the new columns; identical entries are kept as they are. */
function upgradeFromFormat1(db: Database.Database): void {
  db.transaction(() => {
    if (db.pragma('user_version', { simple: true }) !== 1) return;
    db.exec(`ALTER TABLE dead_letters ADD COLUMN fingerprint BLOB;
             ALTER TABLE dead_letters ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE dead_letters ADD COLUMN last_at TEXT;
             ALTER TABLE state ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;`);
    const rows = db.prepare('SELECT id, source, address, payload FROM dead_letters').raw().all() as [number, string, string, Buffer][];
    const setFingerprint = db.prepare('UPDATE dead_letters SET fingerprint = ? WHERE id = ?');
    const seen = new Set<string>();
    for (const [id, source, address, payload] of rows) {
      const fingerprint = fingerprintOf(source, address, payload);
      const key = fingerprint.toString('hex');
      // A redelivery stored twice by format 1 keeps its copies; only the first carries the fingerprint index.
      setFingerprint.run(seen.has(key) ? Buffer.concat([fingerprint, Buffer.from(String(id))]) : fingerprint, id);
      seen.add(key);
    }
    db.exec('CREATE UNIQUE INDEX dead_letters_by_fingerprint ON dead_letters (fingerprint)');
    db.pragma(`user_version = ${formatVersion}`);
  }).immediate();
}

function prepare(db: Database.Database) {
  const columns = 'id, at, source, address, payload, device_key, code, reason, repeats, last_at';
  return {
    readState: db.prepare('SELECT next_id AS nextId, total, bytes, dropped, repeats FROM state WHERE k = 1'),
    writeState: db.prepare('UPDATE state SET next_id = ?, total = ?, bytes = ?, dropped = ?, repeats = ? WHERE k = 1'),
    insert: db.prepare(
      'INSERT INTO dead_letters (id, at, source, address, payload, device_key, code, reason, size, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    countRepeat: db.prepare('UPDATE dead_letters SET repeats = repeats + 1, last_at = ? WHERE fingerprint = ?'),
    countUp: db.prepare('INSERT INTO device_counts (device_key, count) VALUES (?, 1) ON CONFLICT (device_key) DO UPDATE SET count = count + 1'),
    countDown: db.prepare('UPDATE device_counts SET count = count - 1 WHERE device_key = ?'),
    deleteZeroCount: db.prepare('DELETE FROM device_counts WHERE device_key = ? AND count <= 0'),
    removeOldest: db
      .prepare('DELETE FROM dead_letters WHERE id = (SELECT min(id) FROM dead_letters) RETURNING device_key, size, repeats')
      .raw(),
    removeByIds: db.prepare('DELETE FROM dead_letters WHERE id IN (SELECT value FROM json_each(?)) RETURNING device_key, size, repeats').raw(),
    list: db.prepare(`SELECT ${columns} FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?`).raw(),
    listByDevice: db.prepare(`SELECT ${columns} FROM dead_letters WHERE device_key = ? AND id > ? ORDER BY id LIMIT ?`).raw(),
    deviceCounts: db.prepare('SELECT device_key, count FROM device_counts ORDER BY device_key').raw(),
  };
}
