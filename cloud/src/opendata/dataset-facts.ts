import type { Clock } from '../clock.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import type { OpenDatasetKind } from './datasets.js';
import type { DatasetFacts } from './dcat.js';
import type { PublicDataset } from './repository.js';

const allTime = { from: '1970-01-01T00:00:00.000Z', to: '2200-01-01T00:00:00.000Z' } as const;
const registryPage = 1000;
/** The first published observation only changes when old data is backfilled; an hour late is fine for a catalogue. */
const startTtlMs = 60 * 60 * 1000;

/** What the catalogue says of a dataset beyond its metadata: time span and bounding box. */
export class DatasetFactsReader {
  private readonly starts = new Map<string, { start: string; until: number }>();

  constructor(
    private readonly store: TimeSeriesStore,
    private readonly registry: RegistryRepository,
    private readonly clock: Clock,
  ) {}

  async facts(kommune: string, entry: { dataset: PublicDataset; kind: OpenDatasetKind }): Promise<DatasetFacts> {
    const latest = await this.store.latest({ kommune, standard: entry.kind.standard });
    const end = latest.flatMap((record) => (record.assetId === undefined ? [] : [record.observedAt])).sort().at(-1);
    const start = end === undefined ? undefined : await this.start(kommune, entry.kind);
    const bbox = this.bbox(kommune, entry.kind);
    return { ...entry, ...(start !== undefined && end !== undefined && { start, end }), ...(bbox !== undefined && { bbox }) };
  }

  /** observedAt of the dataset's first published record (one with an asset). */
  private async start(kommune: string, kind: OpenDatasetKind): Promise<string | undefined> {
    const key = `${kommune}/${kind.dataset}`;
    const now = this.clock().getTime();
    const cached = this.starts.get(key);
    if (cached && cached.until > now) return cached.start;
    for await (const record of this.store.raw({ kommune, standard: kind.standard, ...allTime })) {
      if (record.assetId === undefined) continue;
      this.starts.set(key, { start: record.observedAt, until: now + startTtlMs });
      return record.observedAt;
    }
    return undefined;
  }

  /** [west, south, east, north] of the dataset's kind of assets that have a location. */
  private bbox(kommune: string, kind: OpenDatasetKind): DatasetFacts['bbox'] {
    let bbox: DatasetFacts['bbox'];
    let afterId = '';
    for (;;) {
      const page = this.registry.list(kommune, 'assets', { afterId, limit: registryPage });
      for (const asset of page) {
        if (asset.kind !== kind.assetKind || asset.latitude === undefined || asset.longitude === undefined) continue;
        bbox = bbox
          ? [Math.min(bbox[0], asset.longitude), Math.min(bbox[1], asset.latitude), Math.max(bbox[2], asset.longitude), Math.max(bbox[3], asset.latitude)]
          : [asset.longitude, asset.latitude, asset.longitude, asset.latitude];
      }
      if (page.length < registryPage) return bbox;
      afterId = page.at(-1)!.id;
    }
  }
}
