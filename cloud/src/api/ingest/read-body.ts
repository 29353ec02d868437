import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** Bounds of zlib's output buffer; zlib's own default is 16 KiB. */
const minChunkBytes = 16 * 1024;
const maxChunkBytes = 1024 * 1024;

/**
 * zlib's output buffer sized to the inflated body, which gzip's trailer states (ISIZE, the last
 * 4 bytes): one buffer instead of a dozen 16 KiB ones, each a round trip to the thread pool, and
 * their concatenation. One byte more, so that zlib meets the end of the stream within it. The
 * trailer is only a hint: clamped here, and maxOutputLength still stops a zip bomb.
 */
function outputChunkBytes(gzip: Buffer): number {
  if (gzip.length < 18) return minChunkBytes; // not even an empty gzip member; gunzip answers the error
  return Math.min(maxChunkBytes, Math.max(minChunkBytes, gzip.readUInt32LE(gzip.length - 4) + 1));
}

export type BodyReading = { ok: true; json: unknown; jsonBytes: number } | { ok: false; status: 400 | 413 | 415; error: string };

/**
 * The ingest body from the bytes on the wire: gunzip when Content-Encoding is gzip, stopping as
 * soon as the inflated size passes `maxJsonBytes` (a zip bomb costs at most that much memory and
 * is answered 413), then JSON.parse.
 */
export async function readIngestBody(raw: Buffer, contentEncoding: string | undefined, maxJsonBytes: number): Promise<BodyReading> {
  const encoding = contentEncoding?.trim().toLowerCase();
  let json: Buffer;
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    try {
      json = await gunzipAsync(raw, { maxOutputLength: maxJsonBytes, chunkSize: outputChunkBytes(raw) });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) return { ok: false, status: 413, error: 'body too large' };
      return { ok: false, status: 400, error: 'body is not valid gzip' };
    }
  } else if (encoding === undefined || encoding === '' || encoding === 'identity') {
    json = raw;
  } else {
    return { ok: false, status: 415, error: 'unsupported content-encoding (gzip or none)' };
  }
  if (json.length > maxJsonBytes) return { ok: false, status: 413, error: 'body too large' };
  try {
    return { ok: true, json: JSON.parse(json.toString('utf8')) as unknown, jsonBytes: json.length };
  } catch {
    return { ok: false, status: 400, error: 'body is not JSON' };
  }
}
