import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newRecordId } from '../../../firmware-profiles/src/index.js';
import { decodeRecord, encodeRecord, jsonShape, recordJson } from '../../../gateway/src/queue/record-codec.js';
import { openSqliteQueue } from '../../../gateway/src/queue/sqlite-queue.js';
import type { SensorRecord } from '../../../standards/src/index.js';

/** The row a record is stored as: its shape's key list, the hex id column (UUIDs), the body. */
function row(record: Record<string, unknown>) {
  const encoded = encodeRecord(record);
  const keys = JSON.parse(encoded.shapeKeys) as string[];
  const hexId = encoded.uuid ? (record.id as string).replaceAll('-', '') : null;
  return { keys, hexId, body: encoded.body };
}

const jsonValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer())),
  fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.array(fc.string()))),
);

describe('record codec: JSON text straight from the stored row', () => {
  it('gives the same text as JSON.stringify of the decoded record, for any JSON values and ids', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uuid().map((id) => id.toLowerCase()), fc.string({ minLength: 1 })),
        // Keys like "0" would be ordered first by JavaScript objects; field names of records never look like that.
        fc.dictionary(fc.string().filter((key) => key !== 'id' && !/^(0|[1-9][0-9]*)$/.test(key)), jsonValue),
        fc.nat(5),
        (id, fields, idPosition) => {
          const entries = Object.entries(fields);
          entries.splice(Math.min(idPosition, entries.length), 0, ['id', id]);
          const record = Object.fromEntries(entries);
          const { keys, hexId, body } = row(record);
          const fromRow = recordJson(jsonShape(keys), hexId, body);
          expect(fromRow.json).toBe(JSON.stringify(decodeRecord(keys, hexId, body)));
          expect(fromRow.id).toBe(id);
          expect(JSON.parse(fromRow.json)).toEqual(JSON.parse(JSON.stringify(record)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a body whose value count does not match the shape', () => {
    expect(() => recordJson(jsonShape(['a', 'b']), null, '[1]')).toThrow(/1 values for 2 keys/);
    expect(() => recordJson(jsonShape(['a']), null, '{"a":1}')).toThrow(/not a JSON array/);
  });
});

describe('sqlite queue: peekJson', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sensorbro-queue-json-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands out the same records as peek, as JSON text with their ids, oldest first and after a seq', () => {
    const queue = openSqliteQueue({ path: join(dir, 'queue.db'), quotaBytes: 64 * 1024 * 1024, logger: pino({ level: 'silent' }) });
    try {
      const records = Array.from({ length: 20 }, (_, i) => ({
        id: i % 5 === 0 ? `text-id-${i}` : newRecordId(),
        standard: 'fill-level/1',
        kommune: '0751',
        deviceId: `em310-${i}`,
        gatewayId: 'gw-aarhus-01',
        observedAt: '2026-11-24T08:00:00.000Z',
        receivedAt: '2026-11-24T08:00:01.000Z',
        quality: i % 3 === 0 ? 'suspect' : 'good',
        ...(i % 3 === 0 ? { qualityFlags: ['range:distanceMm', 'quote "and" \\ backslash'] } : {}),
        distanceMm: 100 + i,
        device: { batteryPercent: 90, rssiDbm: -101.5 },
      })) as unknown as SensorRecord[];
      queue.append(records);
      const asJson = queue.peekJson(100);
      const asRecords = queue.peek(100);
      expect(asJson.map((item) => item.seq)).toEqual(asRecords.map((item) => item.seq));
      expect(asJson.map((item) => item.id)).toEqual(records.map((record) => record.id));
      expect(asJson.map((item) => JSON.parse(item.json))).toEqual(asRecords.map((item) => item.record));
      expect(queue.peekJson(3, asJson[4]!.seq).map((item) => item.id)).toEqual(records.slice(5, 8).map((record) => record.id));
      queue.acknowledge(records.slice(0, 10).map((record) => record.id));
      expect(queue.peekJson(100).map((item) => item.id)).toEqual(records.slice(10).map((record) => record.id));
    } finally {
      queue.close();
    }
  });
});
