import { createHash, randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;
let lastMs = -1;
let counter = 0;

function randomBytes(count: number): Buffer {
  if (poolOffset + count > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + count);
  poolOffset += count;
  return bytes;
}

const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then a 12-bit counter (seeded at random each
 * millisecond, with headroom) so ids made in the same millisecond still sort in creation order,
 * then 62 random bits.
 */
export function newRecordId(nowMs = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    const seed = randomBytes(2);
    counter = ((seed[0]! << 8) | seed[1]!) & 0x7ff;
  } else if (++counter > 0xfff) {
    // Counter exhausted within one millisecond: borrow the next millisecond (stays monotonic).
    lastMs++;
    counter = 0;
  }
  const ms = lastMs;
  const random = randomBytes(8);
  const high = Math.floor(ms / 2 ** 16);
  const low = ms % 2 ** 16;
  return (
    hex[(high >>> 24) & 0xff]! + hex[(high >>> 16) & 0xff]! + hex[(high >>> 8) & 0xff]! + hex[high & 0xff]! + '-' +
    hex[low >>> 8]! + hex[low & 0xff]! + '-' +
    hex[0x70 | (counter >>> 8)]! + hex[counter & 0xff]! + '-' +
    hex[0x80 | (random[0]! & 0x3f)]! + hex[random[1]!]! + '-' +
    hex[random[2]!]! + hex[random[3]!]! + hex[random[4]!]! + hex[random[5]!]! + hex[random[6]!]! + hex[random[7]!]!
  );
}

/**
 * A UUIDv7 that is the same every time for the same seed: the time part from `timeMs`, the other
 * 74 bits from SHA-256 of the seed. For records of a message that may arrive twice.
 */
export function stableRecordId(timeMs: number, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  const high = Math.floor(timeMs / 2 ** 16);
  const low = timeMs % 2 ** 16;
  return (
    hex[(high >>> 24) & 0xff]! + hex[(high >>> 16) & 0xff]! + hex[(high >>> 8) & 0xff]! + hex[high & 0xff]! + '-' +
    hex[low >>> 8]! + hex[low & 0xff]! + '-' +
    hex[0x70 | (digest[0]! & 0x0f)]! + hex[digest[1]!]! + '-' +
    hex[0x80 | (digest[2]! & 0x3f)]! + hex[digest[3]!]! + '-' +
    hex[digest[4]!]! + hex[digest[5]!]! + hex[digest[6]!]! + hex[digest[7]!]! + hex[digest[8]!]! + hex[digest[9]!]!
  );
}
