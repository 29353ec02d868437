import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { SerializedRecord } from '../core/queue.js';

const gzipAsync = promisify(gzip);

/**
 * One request: its records' ids and queue sequence numbers, in request order, and the gzip body.
 * The records' JSON text is not kept while the request is on the wire (a rejected record, which is
 * rare, is read from the queue again): less live memory per request, less for the GC to copy.
 */
export interface Batch {
  ids: readonly string[];
  seqs: readonly number[];
  body: Buffer;
  /** Bytes of the JSON before gzip. */
  jsonBytes: number;
}

export interface BatchBuilderOptions {
  gatewayId: string;
  /** Most bytes of JSON body; a single larger record still goes alone. */
  maxBatchBytes: number;
  gzipLevel: number;
}

export type BuildBatch = (candidates: readonly SerializedRecord[]) => Promise<Batch>;

/**
 * Request bodies `{"gatewayId":…,"records":[…]}` put together from the records' JSON text as the
 * queue hands it out (no parse and re-serialise), cut at maxBatchBytes, gzipped off the main
 * thread (zlib's thread pool) so the next batch can be read meanwhile.
 */
export function batchBuilder(options: BatchBuilderOptions): BuildBatch {
  const prefix = `{"gatewayId":${JSON.stringify(options.gatewayId)},"records":[`;
  const gzipOptions = { level: options.gzipLevel, memLevel: 9 };
  return async (candidates) => {
    const picked = pick(prefix, candidates, options.maxBatchBytes);
    // zlib takes the text over (as bytes) at once; the text need not outlive this call.
    const compressing = gzipAsync(picked.text, gzipOptions);
    picked.text = '';
    return { ids: picked.ids, seqs: picked.seqs, body: await compressing, jsonBytes: picked.jsonBytes };
  };
}

function pick(prefix: string, candidates: readonly SerializedRecord[], maxBatchBytes: number) {
  let jsonBytes = prefix.length + 2;
  const ids: string[] = [];
  const seqs: number[] = [];
  let records = '';
  for (const item of candidates) {
    const bytes = Buffer.byteLength(item.json) + 1;
    if (ids.length > 0 && jsonBytes + bytes > maxBatchBytes) break;
    records += ids.length === 0 ? item.json : `,${item.json}`;
    jsonBytes += bytes;
    ids.push(item.id);
    seqs.push(item.seq);
  }
  return { ids, seqs, jsonBytes, text: `${prefix}${records}]}` };
}
