import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { routeSchema } from '../api/route-schema.js';
import { csvLine, defaultDialect } from '../export/csv.js';
import { lineStream } from '../export/text-stream.js';
import type { Kommune } from '../db/kommuner.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { CloudServices } from '../services.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { type OpenDatasetKind, openDatasetKind } from './datasets.js';
import { DatasetFactsReader } from './dataset-facts.js';
import { type DatasetFacts, datasetPath, dcatCatalog, dcatPrefixes } from './dcat.js';
import { assetLocations, publicColumns, publicRecord, type PublicValue } from './public-record.js';
import { toJsonLd, toTurtle } from './rdf.js';
import type { PublicDataset, PublicDatasetRepository } from './repository.js';

export interface OpenDataLimits {
  /** Requests per client address per minute on each public route. */
  ratePerMinute: number;
  /** Longest [from, to) of records.csv / records.ndjson. */
  maxRangeDays: number;
}

export interface PublicRouteSources {
  store: TimeSeriesStore;
  registry: RegistryRepository;
  repository: PublicDatasetRepository;
  /** The cloud's public URL (e.g. https://sensorbro.aarhus.dk) for the catalogue's links; default: the request's scheme and Host. */
  publicBaseUrl?: string;
  limits: OpenDataLimits;
}

const dayMs = 24 * 60 * 60 * 1000;
const notFound = { error: 'not found' };
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time with Z or an offset, e.g. 2026-01-01T00:00:00Z' });
const catalogParams = z.object({ kommune: z.string() });
const datasetParams = z.object({ kommune: z.string(), dataset: z.string() });

/**
 * The open data, without login (route config access: 'public', rate limited per client address):
 * a kommune's DCAT catalogue and the distributions of its published datasets. A dataset that is
 * not published answers exactly like one that does not exist.
 */
export function registerOpenDataPublic(app: FastifyInstance, services: CloudServices, sources: PublicRouteSources): void {
  const { store, registry, repository, limits } = sources;
  const factsReader = new DatasetFactsReader(store, registry, services.clock);
  const config = { access: 'public' as const, rateLimit: { max: limits.ratePerMinute, timeWindow: 60_000 } };
  /** Without from and to: the last 24 hours. */
  const rangeOf = (query: { from?: string | undefined; to?: string | undefined }) => {
    const to = query.to ? Date.parse(query.to) : services.clock().getTime();
    return { from: query.from ? Date.parse(query.from) : to - dayMs, to };
  };
  const rangeQuery = z
    .strictObject({ from: instant.optional(), to: instant.optional() })
    .superRefine((query, ctx) => {
      const { from, to } = rangeOf(query);
      if (!(from < to)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
      else if (to - from > limits.maxRangeDays * dayMs) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${limits.maxRangeDays} days after from` });
    })
    .transform((query) => {
      const { from, to } = rangeOf(query);
      return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    });

  const baseOf = (request: FastifyRequest) => sources.publicBaseUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;

  function published(kommune: string, dataset: string): { dataset: PublicDataset; kind: OpenDatasetKind } | undefined {
    const row = repository.get(kommune, dataset);
    const found = row && openDatasetKind(dataset);
    return row && found && 'kind' in found ? { dataset: row, kind: found.kind } : undefined;
  }

  async function catalog(request: FastifyRequest): Promise<{ base: string; kommune: Kommune; facts: DatasetFacts[] } | undefined> {
    const code = (request.params as z.infer<typeof catalogParams>).kommune;
    const kommune = services.repositories.kommuner.get(code);
    const entries = kommune ? repository.list(code).flatMap((row) => published(code, row.dataset) ?? []) : [];
    if (!kommune || entries.length === 0) return undefined;
    const facts = await Promise.all(entries.map((entry) => factsReader.facts(code, entry)));
    return { base: baseOf(request), kommune, facts };
  }

  const open = (reply: FastifyReply) => reply.header('access-control-allow-origin', '*');
  const docs = (summary: string, extra: { querystring?: z.ZodType } = {}) =>
    routeSchema({ summary, tags: ['opendata'], params: datasetParams, security: [], ...extra });

  app.get('/open/v1/:kommune/catalog.jsonld', { config, ...routeSchema({ summary: 'DCAT-AP catalogue (JSON-LD)', tags: ['opendata'], params: catalogParams, security: [] }) }, async (request, reply) => {
    const found = await catalog(request);
    if (!found) return reply.code(404).send(notFound);
    const document = toJsonLd(dcatCatalog(found.base, found.kommune, found.facts), dcatPrefixes);
    return open(reply).type('application/ld+json; charset=utf-8').send(JSON.stringify(document));
  });

  app.get('/open/v1/:kommune/catalog.ttl', { config, ...routeSchema({ summary: 'DCAT-AP catalogue (Turtle)', tags: ['opendata'], params: catalogParams, security: [] }) }, async (request, reply) => {
    const found = await catalog(request);
    if (!found) return reply.code(404).send(notFound);
    return open(reply).type('text/turtle; charset=utf-8').send(toTurtle(dcatCatalog(found.base, found.kommune, found.facts), dcatPrefixes));
  });

  async function latestOf(kommune: string, kind: OpenDatasetKind) {
    const locate = assetLocations(registry, kommune);
    return (await store.latest({ kommune, standard: kind.standard }))
      .map((record) => publicRecord(record, kind, locate))
      .filter((record): record is Record<string, PublicValue> => record !== undefined);
  }

  app.get('/open/v1/:kommune/datasets/:dataset/latest.json', { config, ...docs('Newest record of each asset (JSON)') }, async (request, reply) => {
    const { kommune, dataset } = request.params as z.infer<typeof datasetParams>;
    const entry = published(kommune, dataset);
    if (!entry) return reply.code(404).send(notFound);
    const records = await latestOf(kommune, entry.kind);
    return open(reply)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ dataset: `${baseOf(request)}${datasetPath(kommune, dataset)}`, title: entry.dataset.title, license: entry.dataset.license, records }));
  });

  app.get('/open/v1/:kommune/datasets/:dataset/latest.csv', { config, ...docs('Newest record of each asset (CSV)') }, async (request, reply) => {
    const { kommune, dataset } = request.params as z.infer<typeof datasetParams>;
    const entry = published(kommune, dataset);
    if (!entry) return reply.code(404).send(notFound);
    const columns = publicColumns(entry.kind);
    const records = await latestOf(kommune, entry.kind);
    const body = csvLine(columns, defaultDialect) + records.map((record) => csvLine(columns.map((column) => record[column]), defaultDialect)).join('');
    return open(reply).type('text/csv; charset=utf-8').header('content-disposition', `inline; filename="${kommune}-${dataset}-latest.csv"`).send(body);
  });

  for (const format of ['csv', 'ndjson'] as const) {
    app.get(
      `/open/v1/:kommune/datasets/:dataset/records.${format}`,
      { config, ...docs(`Records of [from, to) (${format.toUpperCase()}); default the last 24 hours`, { querystring: rangeQuery }) },
      async (request, reply) => {
        const { kommune, dataset } = request.params as z.infer<typeof datasetParams>;
        const entry = published(kommune, dataset);
        if (!entry) return reply.code(404).send(notFound);
        const range = request.query as z.infer<typeof rangeQuery>;
        const columns = publicColumns(entry.kind);
        const locate = assetLocations(registry, kommune);
        const records = store.raw({ kommune, standard: entry.kind.standard, ...range });
        async function* lines(): AsyncGenerator<string> {
          if (format === 'csv') yield csvLine(columns, defaultDialect);
          for await (const record of records) {
            const shown = publicRecord(record, entry!.kind, locate);
            if (!shown) continue;
            yield format === 'csv' ? csvLine(columns.map((column) => shown[column]), defaultDialect) : `${JSON.stringify(shown)}\n`;
          }
        }
        return open(reply)
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `inline; filename="${kommune}-${dataset}-${range.from.slice(0, 10)}_${range.to.slice(0, 10)}.${format}"`)
          .send(lineStream(lines()));
      },
    );
  }
}
