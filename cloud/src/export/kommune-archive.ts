import { createHash } from 'node:crypto';
import { type StandardId, standardIds } from '../../../standards/src/index.js';
import type { AuditLogRepository } from '../db/audit-log.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { EntityKind } from '../registry/schema.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import type { TarEntry } from './tar.js';

/** A table of another part (e.g. open data) that belongs in the kommune's export. */
export interface ExportTable {
  /** Folder in the archive, e.g. 'opendata/datasets'. */
  path: string;
  description: string;
  rows(kommune: string): Iterable<unknown>;
}

export interface KommuneArchiveSources {
  kommune: string;
  kommuneName: string | undefined;
  store: TimeSeriesStore;
  registry: RegistryRepository;
  audit: AuditLogRepository;
  tables: readonly ExportTable[];
  now: Date;
  /** A file of the archive holds at most about this many bytes; longer content goes on in the next part. */
  partBytes: number;
}

interface FileStats {
  path: string;
  content: string;
  lines: number;
  bytes: number;
  sha256: string;
}

export const archiveFormat = 'sensorbro-kommune-export/1';
/** "All time" for the store: before any record, and after any (InfluxDB's nanosecond times end in 2262). */
const allTime = { from: '1970-01-01T00:00:00.000Z', to: '2200-01-01T00:00:00.000Z' } as const;
const registryKinds: readonly EntityKind[] = ['sites', 'assets', 'gateways', 'devices'];
const pageSize = 1000;

const slug = (standard: StandardId) => standard.replace('/', '-v');

/**
 * NDJSON lines into files of at most about partBytes: `<folder>/part-00001.ndjson`, … Only a part's
 * lines are held in memory, so the archive streams with bounded memory whatever the kommune holds.
 */
async function* parts(folder: string, content: string, lines: AsyncIterable<unknown> | Iterable<unknown>, sources: KommuneArchiveSources, stats: FileStats[]): AsyncGenerator<TarEntry> {
  let pending: string[] = [];
  let pendingBytes = 0;
  let part = 0;
  const flush = (): TarEntry => {
    part += 1;
    const path = `${folder}/part-${String(part).padStart(5, '0')}.ndjson`;
    const data = Buffer.from(pending.join(''), 'utf8');
    stats.push({ path, content, lines: pending.length, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    pending = [];
    pendingBytes = 0;
    return { name: path, data, mtime: sources.now };
  };
  for await (const line of lines) {
    const text = `${JSON.stringify(line)}\n`;
    pending.push(text);
    pendingBytes += Buffer.byteLength(text);
    if (pendingBytes >= sources.partBytes) yield flush();
  }
  if (pending.length > 0) yield flush();
}

function* registryRows(registry: RegistryRepository, kommune: string, kind: EntityKind): Generator<unknown> {
  let afterId = '';
  for (;;) {
    const page = registry.list(kommune, kind, { afterId, limit: pageSize }) as Record<string, unknown>[];
    yield* page;
    if (page.length < pageSize) return;
    const last = page.at(-1)!;
    afterId = String(kind === 'devices' ? last.deviceKey : last.id);
  }
}

function* auditRows(audit: AuditLogRepository, kommune: string): Generator<unknown> {
  let afterSeq = 0;
  for (;;) {
    const page = audit.list(kommune, { afterSeq, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    afterSeq = page.at(-1)!.seq;
  }
}

function readme(sources: KommuneArchiveSources): string {
  return `# sensorbro — eksport af kommunens data / export of the kommune's data

Kommune ${sources.kommune}${sources.kommuneName ? ` (${sources.kommuneName})` : ''}, made ${sources.now.toISOString()}.
Format: ${archiveFormat}. Everything the cloud holds for the kommune: the registry, every record
of every standard (all time), the audit log${sources.tables.map((table) => `, ${table.description}`).join('')}.

Every data file is NDJSON (one JSON object per line, UTF-8), split into parts of about
${Math.round(sources.partBytes / (1024 * 1024))} MiB: <folder>/part-00001.ndjson, part-00002.ndjson, …; read a folder's parts
in order. manifest.json (the last file) lists every file with its line count, size and SHA-256.

- registry/sites, registry/assets, registry/gateways, registry/devices: the registry entities as
  the registry API returns them (PUT them back to /api/v1/registry/<kind>/<id> to restore).
- records/<standard>/: the records of one standard (e.g. records/fill-level-v1 = fill-level/1) in
  the record format of DESIGN.md §2, ordered by observedAt, then id. JSON Schemas of the standards:
  standards/json-schema in the sensorbro source. The record id (UUIDv7) is unique; re-ingesting a
  record is harmless (the cloud deduplicates on it).
- audit/: the kommune's audit log, oldest first.
${sources.tables.map((table) => `- ${table.path}/: ${table.description}.\n`).join('')}`;
}

/** The entries of a kommune's export archive, produced as they are read. */
export async function* kommuneArchiveEntries(sources: KommuneArchiveSources): AsyncGenerator<TarEntry> {
  const { kommune, registry, store } = sources;
  const stats: FileStats[] = [];
  const text = readme(sources);
  yield { name: 'README.md', data: Buffer.from(text, 'utf8'), mtime: sources.now };
  for (const kind of registryKinds) {
    yield* parts(`registry/${kind}`, `registry ${kind}`, registryRows(registry, kommune, kind), sources, stats);
  }
  const recordCounts: Record<string, number> = {};
  for (const standard of standardIds) {
    const before = stats.length;
    yield* parts(`records/${slug(standard)}`, `records ${standard}`, store.raw({ kommune, standard, ...allTime }), sources, stats);
    recordCounts[standard] = stats.slice(before).reduce((sum, file) => sum + file.lines, 0);
  }
  yield* parts('audit', 'audit log', auditRows(sources.audit, kommune), sources, stats);
  for (const table of sources.tables) yield* parts(table.path, table.description, table.rows(kommune), sources, stats);
  const manifest = {
    format: archiveFormat,
    kommune,
    kommuneName: sources.kommuneName ?? null,
    createdAt: sources.now.toISOString(),
    records: recordCounts,
    files: [{ path: 'README.md', content: 'readme' }, ...stats.map(({ path, content, lines, bytes, sha256 }) => ({ path, content, lines, bytes, sha256 }))],
  };
  yield { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'), mtime: sources.now };
}
