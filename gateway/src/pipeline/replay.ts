import type { EnvelopeParser } from '../../../firmware-profiles/src/index.js';
import type { DeadLetterStore } from '../core/dead-letter.js';
import type { RawMessage } from '../core/uplink.js';
import type { Pipeline } from './pipeline.js';

export interface ReplayResult {
  /** Decoded and queued now; removed from the dead-letter store. */
  replayed: number;
  /** Still not decodable; kept. */
  stillFailing: number;
  /** Of a kind that cannot be replayed here (e.g. records the cloud rejected); kept. */
  skipped: number;
}

/**
 * Runs dead letters through the pipeline again (after a profile fix or a device added to the
 * configuration): from their raw bytes, through the same envelope parser as when they arrived.
 */
export async function replayDeadLetters(
  store: DeadLetterStore,
  pipeline: Pipeline,
  parsers: Partial<Record<RawMessage['source'], EnvelopeParser>>,
  options: { deviceKey?: string; maxPayloadBytes: number },
): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: 0, stillFailing: 0, skipped: 0 };
  let afterId = 0;
  for (;;) {
    const page = store.list({ limit: 500, afterId, ...(options.deviceKey ? { deviceKey: options.deviceKey } : {}) });
    if (page.length === 0) return result;
    afterId = page[page.length - 1]!.id;
    const replayed: number[] = [];
    for (const entry of page) {
      const parse = parsers[entry.raw.source];
      const parsed = parse?.(entry.raw.address, entry.raw.payload, options.maxPayloadBytes);
      if (!parsed || !parsed.ok || parsed.kind !== 'uplink') {
        if (parse) result.stillFailing++;
        else result.skipped++;
        continue;
      }
      // The embedded broker's messages carry no time of their own: they arrived when they were dead-lettered.
      const uplink = entry.raw.source === 'mqtt' ? { ...parsed.uplink, receivedAt: entry.at } : parsed.uplink;
      const decoded = pipeline.decode(uplink);
      if (!('records' in decoded)) {
        result.stillFailing++;
        continue;
      }
      await pipeline.commit(decoded.records);
      replayed.push(entry.id);
    }
    store.remove(replayed);
    result.replayed += replayed.length;
  }
}
