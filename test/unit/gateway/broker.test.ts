import { describe, expect, it } from 'vitest';
import { FrameGuard } from '../../../gateway/src/ingest/broker/frame-guard.js';
import { LoginThrottle } from '../../../gateway/src/ingest/broker/login-throttle.js';
import { type DeviceCredential, DeviceLogins } from '../../../gateway/src/ingest/broker/logins.js';
import { hashPassword, unmatchableHash, verifyPassword } from '../../../gateway/src/ingest/broker/passwords.js';
import { readPayload } from '../../../gateway/src/ingest/broker/payload.js';
import { brokerEnvelopeParser } from '../../../gateway/src/ingest/broker/replay-parser.js';
import { compileTopics, type TopicMatch } from '../../../gateway/src/ingest/broker/topics.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text));

describe('broker passwords', () => {
  it('verifies the password a hash was made from and nothing else', () => {
    const hash = hashPassword('correct horse');
    expect(hash).not.toContain('correct horse');
    expect(verifyPassword('correct horse', hash)).toBe(true);
    expect(verifyPassword(bytes('correct horse'), hash)).toBe(true);
    expect(verifyPassword('correct horsE', hash)).toBe(false);
    expect(verifyPassword('', hash)).toBe(false);
    expect(verifyPassword(undefined, hash)).toBe(false);
  });

  it('salts every hash, and refuses malformed hashes and the decoy', () => {
    expect(hashPassword('same')).not.toBe(hashPassword('same'));
    expect(verifyPassword('x', 'plain-text')).toBe(false);
    expect(verifyPassword('x', `${hashPassword('x')}:extra`)).toBe(false);
    expect(verifyPassword('x', hashPassword('x').replace('hmac-sha256', 'md5'))).toBe(false);
    expect(verifyPassword('', unmatchableHash())).toBe(false);
  });
});

describe('broker login throttle', () => {
  it('blocks an address after repeated failures, doubling the block while failures go on', () => {
    const throttle = new LoginThrottle({ maxFailures: 3, initialBlockMs: 1000, maxBlockMs: 4000 });
    expect(throttle.fail('10.0.0.1', 0)).toBe(false);
    expect(throttle.fail('10.0.0.1', 1)).toBe(false);
    expect(throttle.blockedFor('10.0.0.1', 2)).toBe(0);
    expect(throttle.fail('10.0.0.1', 2)).toBe(true);
    expect(throttle.blockedFor('10.0.0.1', 2)).toBe(1000);
    expect(throttle.blockedFor('10.0.0.2', 2)).toBe(0);
    expect(throttle.blockedFor('10.0.0.1', 1002)).toBe(0);
    for (const at of [1100, 1101]) throttle.fail('10.0.0.1', at);
    expect(throttle.fail('10.0.0.1', 1102)).toBe(true);
    expect(throttle.blockedFor('10.0.0.1', 1102)).toBe(2000);
    for (const at of [3200, 3201]) throttle.fail('10.0.0.1', at);
    throttle.fail('10.0.0.1', 3202);
    expect(throttle.blockedFor('10.0.0.1', 3202)).toBe(4000);
    for (const at of [7300, 7301]) throttle.fail('10.0.0.1', at);
    throttle.fail('10.0.0.1', 7302);
    expect(throttle.blockedFor('10.0.0.1', 7302)).toBe(4000);
  });

  it('forgets an address after a quiet period, and remembers a bounded number of addresses', () => {
    const throttle = new LoginThrottle({ maxFailures: 2, initialBlockMs: 100, maxBlockMs: 1000, maxAddresses: 3 });
    throttle.fail('a', 0);
    expect(throttle.fail('a', 2000)).toBe(false); // the first failure was forgotten
    for (const address of ['b', 'c', 'd', 'e']) throttle.fail(address, 2001);
    expect(throttle.size).toBe(3);
    expect(throttle.fail('a', 2002)).toBe(false); // 'a' was the least recently failing: forgotten
  });
});

describe('broker logins', () => {
  const credentials = new Map<string, DeviceCredential>([
    ['dev-a', { deviceKey: 'a84041000181c7d1', passwordHash: hashPassword('pw-a') }],
    ['dev-b', { deviceKey: 'pump-7', passwordHash: hashPassword('pw-b') }],
  ]);

  it('logs in configured devices only; anonymous, unknown users and wrong passwords are refused', () => {
    const logins = new DeviceLogins(credentials, { maxFailures: 100 });
    expect(logins.login('dev-a', bytes('pw-a'), '127.0.0.1')).toEqual({ ok: true, session: { username: 'dev-a', deviceKey: 'a84041000181c7d1' } });
    expect(logins.login('dev-a', bytes('pw-b'), '127.0.0.1')).toEqual({ ok: false, returnCode: 4, reason: 'wrong password' });
    expect(logins.login('dev-c', bytes('pw-a'), '127.0.0.1')).toEqual({ ok: false, returnCode: 4, reason: 'unknown user' });
    expect(logins.login(undefined, undefined, '127.0.0.1')).toEqual({ ok: false, returnCode: 5, reason: 'anonymous' });
    expect(logins.login('', bytes('pw-a'), '127.0.0.1')).toEqual({ ok: false, returnCode: 5, reason: 'anonymous' });
    expect(logins.login('dev-b', undefined, '127.0.0.1')).toEqual({ ok: false, returnCode: 4, reason: 'wrong password' });
  });

  it('refuses a throttled address even with the right password; other addresses are not affected', () => {
    const logins = new DeviceLogins(credentials, { maxFailures: 2, initialBlockMs: 1000 });
    logins.login('dev-a', bytes('guess-1'), '10.0.0.9', 0);
    logins.login('dev-a', bytes('guess-2'), '10.0.0.9', 1);
    expect(logins.login('dev-a', bytes('pw-a'), '10.0.0.9', 2)).toEqual({ ok: false, returnCode: 5, reason: 'throttled' });
    expect(logins.login('dev-a', bytes('pw-a'), '10.0.0.8', 2).ok).toBe(true);
    expect(logins.login('dev-a', bytes('pw-a'), '10.0.0.9', 1002).ok).toBe(true);
  });

  it('keeps its own copy of the credentials', () => {
    const mutable = new Map(credentials);
    const logins = new DeviceLogins(mutable);
    mutable.clear();
    expect(logins.login('dev-b', bytes('pw-b'), '127.0.0.1').ok).toBe(true);
  });
});

describe('broker topic patterns', () => {
  const match = compileTopics([
    { pattern: 'sensors/{deviceKey}/up', format: 'binary', fPort: 5 },
    { pattern: 'sensors/{deviceKey}/json', format: 'json' },
    { pattern: 'v1.0/{deviceKey}/x-{deviceKey}', format: 'binary' },
  ]);

  it('finds the pattern and the device key, DevEUIs in lower case', () => {
    expect(match('sensors/pump-7/up')).toEqual({ deviceKey: 'pump-7', topic: { pattern: 'sensors/{deviceKey}/up', format: 'binary', fPort: 5 } });
    expect(match('sensors/A84041000181C7D1/json')?.deviceKey).toBe('a84041000181c7d1');
    expect(match('sensors/Pump-7/up')?.deviceKey).toBe('Pump-7');
    expect(match('v1.0/k1/x-k1')?.deviceKey).toBe('k1');
  });

  it('matches nothing else', () => {
    for (const topic of [
      'sensors/pump-7/down',
      'sensors/pump-7/up/extra',
      'sensors//up',
      'sensors/a/b/up',
      'sensors/bad key/up',
      'sensors/åäø/up',
      `sensors/${'k'.repeat(129)}/up`,
      'v1x0/k1/x-k1',
      'v1.0/k1/x-k2',
      '$SYS/sensors/pump-7/up',
    ]) {
      expect(match(topic), topic).toBeUndefined();
    }
  });

  it('refuses unusable patterns', () => {
    expect(() => compileTopics([])).toThrow(/at least one/);
    expect(() => compileTopics([{ pattern: 'sensors/up', format: 'json' }])).toThrow(/no \{deviceKey\}/);
    expect(() => compileTopics([{ pattern: 'sensors/+/{deviceKey}', format: 'json' }])).toThrow(/wildcard/);
    expect(() => compileTopics([{ pattern: '$SYS/{deviceKey}', format: 'json' }])).toThrow(/reserved/);
  });
});

describe('broker payloads', () => {
  const receivedAt = '2026-03-01T12:00:00.000Z';
  const binary: TopicMatch = { deviceKey: 'pump-7', topic: { pattern: 'p/{deviceKey}', format: 'binary' } };
  const json: TopicMatch = { deviceKey: 'pump-7', topic: { pattern: 'j/{deviceKey}', format: 'json' } };

  it('gives binary payloads bytes and the pattern fPort (default 1)', () => {
    const payload = Buffer.from([1, 2, 3]);
    const result = readPayload(binary, payload, 16, receivedAt);
    expect(result).toEqual({ ok: true, uplink: { source: 'mqtt', deviceKey: 'pump-7', receivedAt, fPort: 1, bytes: new Uint8Array([1, 2, 3]) } });
    if (result.ok) expect(result.uplink.bytes!.buffer).not.toBe(payload.buffer);
    const withPort = readPayload({ ...binary, topic: { ...binary.topic, fPort: 7 } }, payload, 16, receivedAt);
    expect(withPort.ok && withPort.uplink.fPort).toBe(7);
  });

  it('parses JSON payloads', () => {
    expect(readPayload(json, bytes('{"distanceMm":812,"ok":true}'), 64, receivedAt)).toEqual({
      ok: true,
      uplink: { source: 'mqtt', deviceKey: 'pump-7', receivedAt, json: { distanceMm: 812, ok: true } },
    });
  });

  it('refuses what is not JSON on a JSON topic, keeping the payload', () => {
    const broken = bytes('{"distanceMm":');
    expect(readPayload(json, broken, 64, receivedAt)).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/), kept: broken });
    expect(readPayload(json, new Uint8Array([0x7b, 0xff, 0x7d]), 64, receivedAt)).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
    expect(readPayload(json, new Uint8Array(0), 64, receivedAt)).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
  });

  it('refuses payloads above the limit, keeping a copy of the first bytes only', () => {
    const payload = Buffer.alloc(100, 0xab);
    for (const match of [binary, json]) {
      const result = readPayload(match, payload, 32, receivedAt);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.reason).toBe('payload of 100 bytes exceeds the limit of 32 bytes (the dead letter keeps the first 32)');
      expect(result.kept).toEqual(new Uint8Array(32).fill(0xab));
      expect(result.kept.buffer).not.toBe(payload.buffer);
    }
    expect(readPayload(binary, Buffer.alloc(32), 32, receivedAt).ok).toBe(true);
  });
});

describe('broker frame guard', () => {
  /** An MQTT packet header: type byte and the remaining length as a variable byte integer. */
  function header(length: number): number[] {
    const out = [0x30];
    do {
      let byte = length % 128;
      length = Math.floor(length / 128);
      if (length > 0) byte |= 0x80;
      out.push(byte);
    } while (length > 0);
    return out;
  }
  const packet = (length: number) => new Uint8Array([...header(length), ...new Array<number>(length).fill(7)]);

  it('lets packets up to the limit through, however the bytes are split', () => {
    const stream = new Uint8Array([...packet(0), ...packet(127), ...packet(128), ...packet(1000), ...packet(0)]);
    const whole = new FrameGuard(1000);
    expect(whole.feed(stream)).toEqual({ ok: true });
    const byByte = new FrameGuard(1000);
    for (const byte of stream) expect(byByte.feed(new Uint8Array([byte]))).toEqual({ ok: true });
  });

  it('stops at the header of a packet above the limit, before its body', () => {
    const guard = new FrameGuard(1000);
    expect(guard.feed(packet(10))).toEqual({ ok: true });
    const big = header(268_435_455);
    expect(guard.feed(new Uint8Array(big.slice(0, 2)))).toEqual({ ok: true });
    expect(guard.feed(new Uint8Array(big.slice(2)))).toEqual({ ok: false, reason: 'packet too large', frameBytes: 268_435_455 });
    expect(new FrameGuard(1000).feed(new Uint8Array(header(1001)))).toEqual({ ok: false, reason: 'packet too large', frameBytes: 1001 });
  });

  it('refuses a remaining length of more than four bytes', () => {
    expect(new FrameGuard(1000).feed(new Uint8Array([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toEqual({ ok: false, reason: 'malformed remaining length' });
  });
});

describe('broker dead-letter replay parser', () => {
  const parse = brokerEnvelopeParser([{ pattern: 'sensors/{deviceKey}/json', format: 'json' }], () => new Date('2026-03-01T12:00:00Z'));

  it('reads a kept topic and payload again as an uplink', () => {
    expect(parse('sensors/pump-7/json', bytes('{"levelM":1.2}'), 1024)).toEqual({
      ok: true,
      kind: 'uplink',
      uplink: { source: 'mqtt', deviceKey: 'pump-7', receivedAt: '2026-03-01T12:00:00.000Z', json: { levelM: 1.2 } },
    });
  });

  it('still refuses what was refused, with the device key where the topic names one', () => {
    expect(parse('sensors/pump-7/json', bytes('{'), 1024)).toMatchObject({ ok: false, deviceKey: 'pump-7', reason: expect.stringMatching(/^not JSON/) });
    expect(parse('elsewhere', bytes('{}'), 1024)).toEqual({ ok: false, reason: 'topic matches no configured pattern of the broker' });
  });
});
