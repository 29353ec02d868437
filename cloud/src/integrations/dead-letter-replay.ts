import type { IngestResult } from '../../../standards/src/index.js';
import type { DeadLetterFilter, IntegrationDeadLetter, IntegrationDeadLetters } from './dead-letters.js';
import type { IntegrationKeys } from './integration-keys.js';
import type { UplinkIngest } from './uplink-ingest.js';

export type ReplayResult =
  | { id: number; outcome: 'replayed'; deviceKey: string; results: IngestResult[] }
  | { id: number; outcome: 'failed'; code: string; reason: string };

export interface ReplayBatch {
  results: ReplayResult[];
  /** Where the next call goes on (its afterId); null when no dead letter of the filter is left after these. */
  nextAfterId: number | null;
  /** The store failed at the dead letter after `nextAfterId`: it and those after it were not tried. */
  storeUnavailable: boolean;
}

/** The store failed: the dead letter was left as it was (its reason is about the uplink, not the store). */
export const storeUnavailable = 'store-unavailable';

/**
 * Dead letters of a kommune through the push's own path again (UplinkIngest.take), as the key that
 * pushed them and with the time they arrived: typically after a technician registered the unknown
 * device. Used: the records are stored (their ids are the push's, so a replay stores nothing twice)
 * and the dead letter is removed. Still not usable: it is kept with the new reason.
 */
export class DeadLetterReplay {
  constructor(
    private readonly keys: IntegrationKeys,
    private readonly ingest: UplinkIngest,
    private readonly deadLetters: IntegrationDeadLetters,
  ) {}

  /** Undefined when the kommune has no such dead letter. */
  async one(kommune: string, id: number): Promise<ReplayResult | typeof storeUnavailable | undefined> {
    const letter = this.deadLetters.get(kommune, id);
    return letter && this.replay(kommune, letter);
  }

  /** The oldest `limit` dead letters of the filter after `afterId`, one after the other; stops when the store fails. */
  async matching(kommune: string, filter: DeadLetterFilter, page: { afterId?: number | undefined; limit: number }): Promise<ReplayBatch> {
    const letters = this.deadLetters.list(kommune, { ...filter, ...page });
    const results: ReplayResult[] = [];
    let lastId = page.afterId ?? 0;
    for (const letter of letters) {
      const result = await this.replay(kommune, letter);
      if (result === storeUnavailable) return { results, nextAfterId: lastId, storeUnavailable: true };
      results.push(result);
      lastId = letter.id;
    }
    return { results, nextAfterId: letters.length === page.limit ? lastId : null, storeUnavailable: false };
  }

  private async replay(kommune: string, letter: IntegrationDeadLetter): Promise<ReplayResult | typeof storeUnavailable> {
    // Keys are revoked, never deleted: a key that pushed is always found, unless the database was edited by hand.
    const key = this.keys.principalOf(kommune, letter.keyId);
    if (!key) return this.keep(kommune, letter.id, 'unknown-key', `integration key ${letter.keyId} is not one of kommune ${kommune}`);
    const taken = await this.ingest.take(key, { raw: letter.raw, contentType: letter.contentType }, () => new Date(letter.at));
    if (taken.ok) {
      this.deadLetters.remove(kommune, letter.id);
      this.deadLetters.increment(kommune, { 'replays.ok': 1 });
      return { id: letter.id, outcome: 'replayed', deviceKey: taken.deviceKey, results: taken.results };
    }
    if (taken.status === 503) return storeUnavailable;
    return this.keep(kommune, letter.id, taken.code, taken.reason);
  }

  private keep(kommune: string, id: number, code: string, reason: string): ReplayResult {
    this.deadLetters.setReason(kommune, id, code, reason);
    this.deadLetters.increment(kommune, { 'replays.failed': 1 });
    return { id, outcome: 'failed', code, reason };
  }
}
