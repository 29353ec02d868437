import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readIngestBody } from '../../../cloud/src/api/ingest/read-body.js';

const body = { gatewayId: 'gw-aarhus-1', records: Array.from({ length: 2000 }, (_, i) => ({ id: `r-${i}`, note: 'x'.repeat(40) })) };
const text = JSON.stringify(body);
const maxJsonBytes = 32 * 1024 * 1024;

describe('readIngestBody', () => {
  it('inflates a gzip body larger than one zlib buffer', async () => {
    expect(text.length).toBeGreaterThan(64 * 1024);
    expect(await readIngestBody(gzipSync(text), 'gzip', maxJsonBytes)).toEqual({ ok: true, json: body, jsonBytes: text.length });
  });

  it('reads a body of several gzip members whole, though the trailer gives only the last one\'s size', async () => {
    const cut = text.length - 10;
    const twoMembers = Buffer.concat([gzipSync(text.slice(0, cut)), gzipSync(text.slice(cut))]);
    expect(twoMembers.readUInt32LE(twoMembers.length - 4)).toBe(10);
    expect(await readIngestBody(twoMembers, 'gzip', maxJsonBytes)).toEqual({ ok: true, json: body, jsonBytes: text.length });
  });

  it('answers 413 when the body inflates past the limit, whatever size its trailer states', async () => {
    const gzip = gzipSync(text);
    expect(await readIngestBody(gzip, 'gzip', text.length - 1)).toEqual({ ok: false, status: 413, error: 'body too large' });
    const lying = Buffer.from(gzip);
    lying.writeUInt32LE(100, lying.length - 4);
    expect(await readIngestBody(lying, 'gzip', maxJsonBytes)).toEqual({ ok: false, status: 400, error: 'body is not valid gzip' });
  });

  it('answers 400 to a body too short to be gzip', async () => {
    expect(await readIngestBody(Buffer.from([0x1f, 0x8b]), 'gzip', maxJsonBytes)).toEqual({ ok: false, status: 400, error: 'body is not valid gzip' });
  });
});
