import { z } from 'zod';

/**
 * The ingest API between gateway and cloud (DESIGN.md §2, Ingest API): the gateway's forwarder
 * speaks it, the cloud's ingest route answers it. It lives in standards/ because gateway and cloud
 * never import each other; this module is the bridge between them.
 *
 *   POST {cloudUrl}/api/v1/ingest
 *   Authorization: Bearer <gateway token>
 *   Content-Type: application/json
 *   Content-Encoding: gzip
 *   body: { gatewayId, records: Record[] }
 *
 *   200 → { results: [{ id, outcome: 'stored' | 'duplicate' | 'rejected', reason? }] }
 *   401 / 403 → bad token;  413 → body too large (split it);  429 / 5xx → retry later (Retry-After)
 */
export const INGEST_PATH = '/api/v1/ingest';

export const ingestOutcomes = ['stored', 'duplicate', 'rejected'] as const;
export const ingestOutcome = z.enum(ingestOutcomes);
export type IngestOutcome = z.infer<typeof ingestOutcome>;

/** Outcome of one record, named by its id. `reason` says why it was rejected. */
export const ingestResult = z.object({
  id: z.string(),
  outcome: ingestOutcome,
  reason: z.string().optional(),
});
export type IngestResult = z.infer<typeof ingestResult>;

/** The 200 answer: one result per record of the request (the gateway retries ids left out). */
export const ingestResponse = z.object({ results: z.array(ingestResult) });
export type IngestResponse = z.infer<typeof ingestResponse>;

/**
 * The request body's envelope. Records are checked one by one against their standard, so that one
 * bad record is `rejected` with a reason instead of failing the whole request.
 */
export const ingestRequest = z.object({
  gatewayId: z.string().min(1).max(128),
  records: z.array(z.unknown()),
});
export type IngestRequest = z.infer<typeof ingestRequest>;
