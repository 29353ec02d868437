import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

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
      json = await gunzipAsync(raw, { maxOutputLength: maxJsonBytes });
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
