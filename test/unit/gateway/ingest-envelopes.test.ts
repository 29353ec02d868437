import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseChirpstackEvent, parseChirpstackUp, parseTtsUp, type UplinkResult } from '../../../firmware-profiles/src/index.js';

interface EnvelopeVector {
  topic: string;
  json: Record<string, unknown>;
  expect: { deviceKey: string; fPort: number; bytesHex: string; rssiDbm: number; snrDb: number; fCnt: number };
}
const vectors = JSON.parse(readFileSync(new URL('../../../../shared/vectors/decoder-vectors.json', import.meta.url), 'utf8')) as {
  envelopes: { 'chirpstack-v4-up': EnvelopeVector; 'tts-v3-up': EnvelopeVector };
};

const max = 64 * 1024;
const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const clock = () => new Date('2024-05-01T12:00:00.123Z');

function uplinkOf(result: UplinkResult) {
  if (!result.ok) throw new Error(`expected an uplink, got: ${result.reason}`);
  return result.uplink;
}

/** The vectors file's expectation, as the Uplink carries it. */
function expected(vector: EnvelopeVector) {
  const { deviceKey, fPort, bytesHex, rssiDbm, snrDb, fCnt } = vector.expect;
  return { deviceKey, fPort, bytesHex, rssiDbm, snrDb, fCnt };
}

function actual(result: UplinkResult) {
  const uplink = uplinkOf(result);
  return {
    deviceKey: uplink.deviceKey,
    fPort: uplink.fPort,
    bytesHex: Buffer.from(uplink.bytes ?? []).toString('hex'),
    rssiDbm: uplink.radio?.rssiDbm,
    snrDb: uplink.radio?.snrDb,
    fCnt: uplink.radio?.fCnt,
  };
}

describe('ChirpStack v4 envelopes', () => {
  const vector = vectors.envelopes['chirpstack-v4-up'];
  const up = (json: unknown, topic = vector.topic) => parseChirpstackUp(topic, encode(json), max, clock);
  const withJson = (changes: Record<string, unknown>) => ({ ...vector.json, ...changes });

  it('reads the shared uplink vector exactly (fCnt 0 omitted by the protobuf JSON mapping)', () => {
    const result = up(vector.json);
    expect(actual(result)).toEqual(expected(vector));
    const uplink = uplinkOf(result);
    expect(uplink.source).toBe('chirpstack');
    expect(uplink.bytes).toBeInstanceOf(Uint8Array);
    expect(uplink.radio?.gatewayEui).toBe('0016c001f153a14c');
    expect(uplink.receivedAt).toBe('2022-07-18T09:34:15.775Z');
  });

  it('takes the gateway with the best RSSI, and its SNR (SNR 0 omitted)', () => {
    const rxInfo = [
      { gatewayId: 'aa00000000000001', rssi: -110, snr: -7.5 },
      { gatewayId: 'AA00000000000002', rssi: -80 },
      { gatewayId: 'aa00000000000003', rssi: -95, snr: 9 },
    ];
    expect(uplinkOf(up(withJson({ rxInfo }))).radio).toEqual({ rssiDbm: -80, snrDb: 0, gatewayEui: 'aa00000000000002', fCnt: 0 });
  });

  it('has no reception without rxInfo, and takes now when time is absent', () => {
    const { rxInfo: _rx, time: _time, ...json } = vector.json;
    const uplink = uplinkOf(up({ ...json, fCnt: 7 }));
    expect(uplink.radio).toEqual({ fCnt: 7 });
    expect(uplink.receivedAt).toBe('2024-05-01T12:00:00.123Z');
  });

  it('normalises any offset to UTC with milliseconds', () => {
    expect(uplinkOf(up(withJson({ time: '2024-01-31T23:30:00.5+01:00' }))).receivedAt).toBe('2024-01-31T22:30:00.500Z');
    expect(uplinkOf(up(withJson({ time: '2024-01-31T23:30:00Z' }))).receivedAt).toBe('2024-01-31T23:30:00.000Z');
  });

  it('carries no fPort and no bytes when fPort is absent (0: MAC commands or an empty frame)', () => {
    const { fPort: _port, data: _data, ...json } = vector.json;
    const uplink = uplinkOf(up(json));
    expect(uplink).not.toHaveProperty('fPort');
    expect(uplink).not.toHaveProperty('bytes');
  });

  it('reads an application port without data as an empty payload', () => {
    const { data: _data, ...json } = vector.json;
    expect(uplinkOf(up(json)).bytes).toEqual(new Uint8Array(0));
  });

  it.each([
    ['not JSON', '{"deduplicationId": ', /not JSON/],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), /not JSON/],
    ['an array', [], /unexpected shape: \(root\)/],
    ['missing deviceInfo', { ...vector.json, deviceInfo: undefined }, /deviceInfo/],
    ['missing devEui', { ...vector.json, deviceInfo: { deviceName: 'x' } }, /deviceInfo\.devEui/],
    ['a devEui that is not one', { ...vector.json, deviceInfo: { devEui: '01010101' } }, /deviceInfo\.devEui: must be 16 hex digits/],
    ['fCnt as a string', { ...vector.json, fCnt: '3' }, /fCnt/],
    ['fPort out of range', { ...vector.json, fPort: 256 }, /fPort/],
    ['bad base64', { ...vector.json, data: 'q*==' }, /data: must be base64/],
    ['base64 of impossible length', { ...vector.json, data: 'qgAaa' }, /data: must be base64/],
    ['rssi as a string', { ...vector.json, rxInfo: [{ rssi: '-36' }] }, /rxInfo\.0\.rssi/],
    ['a time without offset', { ...vector.json, time: '2022-07-18T09:34:15' }, /time: must be an RFC 3339 time/],
    ['data on fPort 0', { ...vector.json, fPort: 0 }, /fPort 0/],
  ] as const)('refuses %s with a clear reason and the topic DevEUI', (_name, body, reason) => {
    const payload = body instanceof Uint8Array ? body : encode(body);
    expect(parseChirpstackUp(vector.topic, payload, max, clock)).toEqual({ ok: false, reason: expect.stringMatching(reason), deviceKey: '0101010101010101' });
  });

  it('refuses an oversized payload before reading it', () => {
    const payload = encode({ ...vector.json, padding: 'x'.repeat(300) });
    const result = parseChirpstackUp(vector.topic, payload, 256, clock);
    expect(result).toEqual({ ok: false, reason: `chirpstack up: payload of ${payload.byteLength} bytes exceeds the limit of 256 bytes`, deviceKey: '0101010101010101' });
  });

  it('refuses a body whose DevEUI differs from the topic', () => {
    const topic = vector.topic.replace('0101010101010101', '0202020202020202');
    expect(up(vector.json, topic)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match the topic/) });
  });

  it('refuses a topic that is not an up event', () => {
    const result = parseChirpstackUp('application/x/device/0101010101010101/event/status', encode(vector.json), max);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/not a ChirpStack v4 'up' event topic/) });
  });

  describe('status and join events', () => {
    const topic = (event: string) => vector.topic.replace(/\/up$/, `/${event}`);
    const deviceInfo = { devEui: '0101010101010101', deviceName: 'Test device' };
    const time = '2022-07-18T09:34:15.775023242+00:00';

    it('reads battery and margin from a status event', () => {
      const result = parseChirpstackEvent(topic('status'), encode({ deduplicationId: 'x', time, deviceInfo, margin: 7, batteryLevel: 75.59055 }), max);
      expect(result).toEqual({
        ok: true,
        kind: 'status',
        event: { kind: 'status', source: 'chirpstack', deviceKey: '0101010101010101', receivedAt: '2022-07-18T09:34:15.775Z', batteryPercent: 75.6, externalPower: false, marginDb: 7 },
      });
    });

    it('restores omitted defaults: margin 0, battery 0 %', () => {
      const result = parseChirpstackEvent(topic('status'), encode({ time, deviceInfo }), max);
      expect(result).toMatchObject({ ok: true, event: { batteryPercent: 0, marginDb: 0, externalPower: false } });
    });

    it('has no battery level on external power or when the device cannot measure it', () => {
      for (const flags of [{ externalPowerSource: true }, { batteryLevelUnavailable: true }]) {
        const result = parseChirpstackEvent(topic('status'), encode({ time, deviceInfo, margin: -3, ...flags }), max);
        if (!result.ok || result.kind !== 'status') throw new Error('expected a status event');
        expect(result.event).not.toHaveProperty('batteryPercent');
        expect(result.event.marginDb).toBe(-3);
      }
    });

    it('reads a join event', () => {
      const result = parseChirpstackEvent(topic('join'), encode({ time, deviceInfo, devAddr: '00189440' }), max);
      expect(result).toEqual({
        ok: true,
        kind: 'join',
        event: { kind: 'join', source: 'chirpstack', deviceKey: '0101010101010101', receivedAt: '2022-07-18T09:34:15.775Z', devAddr: '00189440' },
      });
    });

    it('dispatches up events and refuses other events and foreign topics', () => {
      expect(parseChirpstackEvent(vector.topic, encode(vector.json), max)).toMatchObject({ ok: true, kind: 'uplink' });
      expect(parseChirpstackEvent(topic('log'), encode({}), max)).toEqual({
        ok: false,
        reason: expect.stringMatching(/not a ChirpStack v4 up, status or join event/),
        deviceKey: '0101010101010101',
      });
      expect(parseChirpstackEvent('sensors/x/up', encode({}), max)).toMatchObject({ ok: false, deviceKey: undefined });
      expect(parseChirpstackEvent(topic('status'), encode({ deviceInfo, batteryLevel: 'full' }), max)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^chirpstack status: unexpected shape: batteryLevel/),
      });
    });
  });
});

describe('The Things Stack v3 envelopes', () => {
  const vector = vectors.envelopes['tts-v3-up'];
  const message = vector.json.uplink_message as Record<string, unknown>;
  const up = (json: unknown, topic = vector.topic) => parseTtsUp(topic, encode(json), max, clock);
  const withMessage = (changes: Record<string, unknown>) => ({ ...vector.json, uplink_message: { ...message, ...changes } });

  it('reads the shared uplink vector exactly', () => {
    const result = up(vector.json);
    expect(actual(result)).toEqual(expected(vector));
    const uplink = uplinkOf(result);
    expect(uplink.source).toBe('tts');
    expect(uplink.radio?.gatewayEui).toBe('9c5c8e00001a05c4');
    // The Network Server's receipt (uplink_message.received_at), not the Application Server's.
    expect(uplink.receivedAt).toBe('2020-02-12T15:15:45.789Z');
  });

  it('reads the open-source topic form without @tenant', () => {
    expect(actual(up(vector.json, 'v3/app1/devices/dev1/up'))).toEqual(expected(vector));
  });

  it('falls back to the top-level received_at, then to now', () => {
    const { received_at: _ns, ...withoutNs } = message;
    expect(uplinkOf(up({ ...vector.json, uplink_message: withoutNs })).receivedAt).toBe('2020-02-12T15:15:46.014Z');
    const { received_at: _as, ...withoutAs } = vector.json;
    expect(uplinkOf(up({ ...withoutAs, uplink_message: withoutNs })).receivedAt).toBe('2024-05-01T12:00:00.123Z');
  });

  it('takes the best RSSI across gateways (channel_rssi when rssi is absent) and omitted defaults', () => {
    const rx_metadata = [
      { gateway_ids: { gateway_id: 'gtw1', eui: '9C5C8E00001A05C4' }, rssi: -101, snr: -3 },
      { gateway_ids: { gateway_id: 'packetbroker' }, channel_rssi: -64.5, snr: 8.25 },
      { gateway_ids: { gateway_id: 'gtw3' } },
    ];
    const { f_cnt: _fCnt, ...rest } = message;
    const uplink = uplinkOf(up({ ...vector.json, uplink_message: { ...rest, rx_metadata } }));
    expect(uplink.radio).toEqual({ rssiDbm: -64.5, snrDb: 8.25, fCnt: 0 });
  });

  it('carries no fPort and no bytes when f_port is absent', () => {
    const { f_port: _port, frm_payload: _payload, ...rest } = message;
    const uplink = uplinkOf(up({ ...vector.json, uplink_message: rest }));
    expect(uplink).not.toHaveProperty('fPort');
    expect(uplink).not.toHaveProperty('bytes');
  });

  it.each([
    ['not JSON', 'v3 up', /^tts up: not JSON/],
    ['no uplink_message', { ...vector.json, uplink_message: undefined }, /uplink_message/],
    ['f_cnt as a string', withMessage({ f_cnt: '1' }), /uplink_message\.f_cnt/],
    ['bad base64', withMessage({ frm_payload: 'gk!e' }), /uplink_message\.frm_payload: must be base64/],
    ['a bad dev_eui', { ...vector.json, end_device_ids: { ...(vector.json.end_device_ids as object), dev_eui: 'xyz' } }, /dev_eui: must be 16 hex/],
  ] as const)('refuses %s with a clear reason', (_name, body, reason) => {
    expect(up(body)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
  });

  it('names the DevEUI of a refused envelope when it can be read', () => {
    expect(up(withMessage({ f_cnt: -1 }))).toMatchObject({ ok: false, deviceKey: '0004a30b001c0530' });
  });

  it('refuses a device without dev_eui (LoRaWAN devices are keyed by DevEUI)', () => {
    const { dev_eui: _eui, ...ids } = vector.json.end_device_ids as Record<string, unknown>;
    expect(up({ ...vector.json, end_device_ids: ids })).toEqual({ ok: false, reason: expect.stringMatching(/device dev1 has no dev_eui/) });
  });

  it('refuses an envelope whose ids differ from the topic, and foreign topics', () => {
    expect(up(vector.json, 'v3/app1@ttn/devices/dev2/up')).toMatchObject({ ok: false, reason: expect.stringMatching(/do not match the topic/) });
    expect(up(vector.json, 'v3/app2/devices/dev1/up')).toMatchObject({ ok: false, reason: expect.stringMatching(/do not match the topic/) });
    expect(up(vector.json, 'v3/app1@ttn/devices/dev1/join')).toMatchObject({ ok: false, reason: expect.stringMatching(/not a The Things Stack v3 uplink topic/) });
  });

  it('refuses an oversized payload', () => {
    expect(parseTtsUp(vector.topic, encode(vector.json), 100)).toMatchObject({ ok: false, reason: expect.stringMatching(/exceeds the limit of 100 bytes/) });
  });
});
