import { Readable } from 'node:stream';

const defaultChunkBytes = 64 * 1024;

/**
 * A byte stream of lines, pulled from `lines` only as fast as the reader reads (Readable.from
 * asks the iterator for more only when its buffer is below highWaterMark), so a slow client slows
 * the query down instead of letting it pile up in memory. Lines are joined into chunks of about
 * `chunkBytes`. Destroying the stream (client gone) ends the iterator, which closes the query.
 */
export function lineStream(lines: AsyncIterable<string>, chunkBytes = defaultChunkBytes): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let pending: string[] = [];
    let pendingLength = 0;
    for await (const line of lines) {
      pending.push(line);
      pendingLength += line.length;
      if (pendingLength >= chunkBytes) {
        yield Buffer.from(pending.join(''), 'utf8');
        pending = [];
        pendingLength = 0;
      }
    }
    if (pending.length > 0) yield Buffer.from(pending.join(''), 'utf8');
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: chunkBytes });
}
