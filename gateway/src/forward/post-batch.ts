import { type IngestResult, ingestResponse } from '../../../standards/src/index.js';
import { parseRetryAfter } from './backoff.js';

/** What one POST of a batch came to. */
export type PostAnswer =
  | { kind: 'answered'; results: readonly IngestResult[] }
  | { kind: 'unauthorized'; httpStatus: number; detail: string }
  | { kind: 'too-large' }
  | { kind: 'failed'; reason: string; retryAfterMs: number | undefined };

export interface PostTarget {
  url: string;
  headers: Record<string, string>;
  fetchImpl: typeof fetch;
}

/** POSTs a gzip body to the ingest endpoint and reads the answer (DESIGN.md §2, Ingest API). Throws when the request itself fails. */
export async function postBatch(target: PostTarget, body: Buffer, signal: AbortSignal): Promise<PostAnswer> {
  const response = await target.fetchImpl(target.url, { method: 'POST', headers: target.headers, body, signal });
  if (response.ok) {
    const parsed = ingestResponse.safeParse(await response.json());
    if (parsed.success) return { kind: 'answered', results: parsed.data.results };
    return { kind: 'failed', reason: `invalid answer from the cloud: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`, retryAfterMs: undefined };
  }
  const detail = await response.text().then((text) => text.slice(0, 200), () => '');
  if (response.status === 401 || response.status === 403) return { kind: 'unauthorized', httpStatus: response.status, detail };
  if (response.status === 413) return { kind: 'too-large' };
  return {
    kind: 'failed',
    reason: `HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
  };
}
