import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { airtimeS, chirpstackUp, ttsUp, type UplinkFrame } from '../../../gateway/src/simulator/envelopes.js';
import { Random } from '../../../gateway/src/simulator/random.js';

type Json = Record<string, unknown>;
interface Example {
  topic: string;
  json: Json;
  expect: { deviceKey: string; fPort: number; bytesHex: string; rssiDbm: number; snrDb: number; fCnt: number };
}
const examples = (
  JSON.parse(readFileSync(new URL('../../../../shared/vectors/decoder-vectors.json', import.meta.url), 'utf8')) as {
    envelopes: Record<'chirpstack-v4-up' | 'tts-v3-up', Example>;
  }
).envelopes;

/**
 * What a gateway reads from an envelope (DESIGN.md §2, Uplink), written from the network servers'
 * documentation and checked below against the shared examples: DevEUI, fPort, payload, frame
 * counter (absent = 0, the protobuf JSON default), and the best reception's RSSI and SNR.
 */
function read(kind: 'chirpstack' | 'tts', topic: string, json: Json) {
  const j = json as never as {
    deviceInfo: { devEui: string };
    fCnt?: number;
    fPort?: number;
    data?: string;
    rxInfo?: { rssi: number; snr?: number }[];
    end_device_ids: { device_id: string; dev_eui: string; application_ids: { application_id: string } };
    uplink_message: { f_cnt?: number; f_port?: number; frm_payload?: string; rx_metadata?: { rssi?: number; channel_rssi?: number; snr?: number }[] };
  };
  if (kind === 'chirpstack') {
    const match = /^application\/([^/]+)\/device\/([0-9a-fA-F]{16})\/event\/up$/.exec(topic);
    expect(match?.[2]?.toLowerCase()).toBe(j.deviceInfo.devEui.toLowerCase());
    const best = [...(j.rxInfo ?? [])].sort((a, b) => b.rssi - a.rssi)[0]!;
    return {
      deviceKey: j.deviceInfo.devEui.toLowerCase(),
      fPort: j.fPort ?? 0,
      bytesHex: Buffer.from(j.data ?? '', 'base64').toString('hex'),
      rssiDbm: best.rssi,
      snrDb: best.snr ?? 0,
      fCnt: j.fCnt ?? 0,
    };
  }
  const match = /^v3\/([^/@]+)(?:@([^/]+))?\/devices\/([^/]+)\/up$/.exec(topic);
  expect(match?.[1]).toBe(j.end_device_ids.application_ids.application_id);
  expect(match?.[3]).toBe(j.end_device_ids.device_id);
  const message = j.uplink_message;
  const best = [...(message.rx_metadata ?? [])].sort((a, b) => (b.rssi ?? b.channel_rssi!) - (a.rssi ?? a.channel_rssi!))[0]!;
  return {
    deviceKey: j.end_device_ids.dev_eui.toLowerCase(),
    fPort: message.f_port ?? 0,
    bytesHex: Buffer.from(message.frm_payload ?? '', 'base64').toString('hex'),
    rssiDbm: best.rssi ?? best.channel_rssi!,
    snrDb: best.snr ?? 0,
    fCnt: message.f_cnt ?? 0,
  };
}

/** The value at a dotted path; `[]` steps into the first element of an array. */
function at(json: unknown, path: string): unknown {
  let value = json;
  for (const key of path.split('.')) {
    if (value === undefined || value === null) return undefined;
    value = key === '[]' ? (value as unknown[])[0] : (value as Json)[key];
  }
  return value;
}

const kindOf = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);

/** Every path of an object (arrays through their first element). */
function paths(json: unknown, prefix = ''): string[] {
  if (Array.isArray(json)) return json.length > 0 ? paths(json[0], `${prefix}[].`) : [];
  if (json === null || typeof json !== 'object') return [];
  return Object.entries(json).flatMap(([key, value]) => [`${prefix}${key}`, ...paths(value, `${prefix}${key}.`)]);
}

const frame: UplinkFrame = {
  devEui: '02a1b2c3d4e5f607',
  deviceName: 'em310-udl-001',
  profileId: 'milesight-em310-udl',
  devAddr: '01ab23cd',
  fCnt: 7,
  fPort: 85,
  bytes: Uint8Array.from(Buffer.from('01755c03824408040001', 'hex')),
  timeMs: Date.parse('2025-01-06T08:15:30.250Z'),
  radio: {
    receptions: [
      { gatewayId: '0200000000000001', rssiDbm: -97, snrDb: 4.25 },
      { gatewayId: '0200000000000002', rssiDbm: -109, snrDb: -3.5 },
    ],
    spreadingFactor: 8,
    dataRate: 4,
    frequencyHz: 867_300_000,
  },
  assetId: 'beholder-0001',
};
const expected = { deviceKey: frame.devEui, fPort: 85, bytesHex: '01755c03824408040001', rssiDbm: -97, snrDb: 4.25, fCnt: 7 };
const chirpstackApp = {
  tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
  tenantName: 'sensorbro simulator',
  applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
  applicationName: 'sensorbro simulator',
  deviceProfileId: '14855bf7-d10d-4aee-b618-ebfcb64dc7ad',
};
const ttsApp = { applicationId: 'affald-aarhus', tenant: 'ttn', joinEui: '0000000000000001' };
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}(Z|\+00:00)$/;

describe('envelope reader used by these tests', () => {
  it('reads the shared examples as the vectors expect', () => {
    const cs = examples['chirpstack-v4-up'];
    expect(read('chirpstack', cs.topic, cs.json)).toEqual(cs.expect);
    const tts = examples['tts-v3-up'];
    expect(read('tts', tts.topic, tts.json)).toEqual(tts.expect);
  });
});

describe('ChirpStack v4 event/up', () => {
  const { topic, json } = chirpstackUp(frame, chirpstackApp, new Random('envelope'));
  const example = examples['chirpstack-v4-up'];

  it('is read as the frame it carries', () => {
    expect(topic).toBe(`application/${chirpstackApp.applicationId}/device/${frame.devEui}/event/up`);
    expect(read('chirpstack', topic, json as never)).toEqual(expected);
    expect(json.time).toMatch(rfc3339);
    expect(Date.parse(json.time)).toBe(frame.timeMs);
    expect(json.deduplicationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(json.deviceInfo).toMatchObject({ ...chirpstackApp, deviceProfileName: frame.profileId, deviceName: frame.deviceName, devEui: frame.devEui });
    expect(json.devAddr).toBe(frame.devAddr);
    expect(json.txInfo).toEqual({ frequency: 867_300_000, modulation: { lora: { bandwidth: 125_000, spreadingFactor: 8, codeRate: 'CR_4_5' } } });
  });

  it('has the example’s shape: the same keys, of the same JSON types', () => {
    const ours = paths(json);
    const theirs = paths(example.json);
    // the example's region metadata key is from an older ChirpStack; tag keys are free-form
    const free = (path: string) => path.startsWith('deviceInfo.tags.') || path.startsWith('rxInfo.[].metadata.');
    const extra = ['adr', 'fCnt', 'rxInfo.[].channel', 'rxInfo.[].crcStatus'];
    expect(theirs.filter((path) => !free(path) && !ours.includes(path))).toEqual([]);
    expect(ours.filter((path) => !free(path) && !theirs.includes(path) && !extra.includes(path))).toEqual([]);
    for (const path of theirs.filter((p) => ours.includes(p))) expect(kindOf(at(json, path)), path).toBe(kindOf(at(example.json, path)));
  });

  it('omits zero values, as the protobuf JSON mapping does (fCnt 0, SNR 0, DR 0)', () => {
    const zero = chirpstackUp(
      { ...frame, fCnt: 0, radio: { ...frame.radio, dataRate: 0, spreadingFactor: 12, receptions: [{ gatewayId: '0200000000000001', rssiDbm: -120, snrDb: 0 }] } },
      chirpstackApp,
      new Random('zero'),
    ).json as never as Json;
    expect(zero).not.toHaveProperty('fCnt');
    expect(zero).not.toHaveProperty('dr');
    expect((zero.rxInfo as Json[])[0]).not.toHaveProperty('snr');
    expect(read('chirpstack', `application/x/device/${frame.devEui}/event/up`, zero)).toMatchObject({ fCnt: 0, snrDb: 0 });
    expect(json).toHaveProperty('fCnt', 7);
  });
});

describe('The Things Stack v3 up', () => {
  const { topic, json } = ttsUp(frame, ttsApp, new Random('envelope'));
  const example = examples['tts-v3-up'];

  it('is read as the frame it carries', () => {
    expect(topic).toBe(`v3/affald-aarhus@ttn/devices/eui-${frame.devEui}/up`);
    expect(read('tts', topic, json as never)).toEqual(expected);
    expect(json.end_device_ids).toEqual({
      device_id: `eui-${frame.devEui}`,
      application_ids: { application_id: 'affald-aarhus' },
      dev_eui: frame.devEui.toUpperCase(),
      join_eui: '0000000000000001',
      dev_addr: frame.devAddr.toUpperCase(),
    });
    expect(json.uplink_message.received_at).toMatch(rfc3339);
    expect(Date.parse(json.uplink_message.received_at)).toBe(frame.timeMs);
    expect(Date.parse(json.received_at)).toBeGreaterThanOrEqual(frame.timeMs);
    expect(Date.parse(json.uplink_message.rx_metadata[0]!.time)).toBeLessThan(frame.timeMs);
    expect(json.uplink_message.rx_metadata[0]!.gateway_ids.eui).toBe('0200000000000001'.toUpperCase());
    expect(json.correlation_ids[0]).toMatch(/^as:up:[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('has the example’s shape: the same keys, of the same JSON types', () => {
    const ours = paths(json);
    const theirs = paths(example.json);
    expect(theirs.filter((path) => !ours.includes(path))).toEqual([]);
    expect(ours.filter((path) => !theirs.includes(path))).toEqual(['uplink_message.settings.timestamp']);
    for (const path of theirs) expect(kindOf(at(json, path)), path).toBe(kindOf(at(example.json, path)));
  });

  it('omits f_cnt at 0 and leaves out the tenant when there is none', () => {
    const zero = ttsUp({ ...frame, fCnt: 0 }, { ...ttsApp, tenant: undefined }, new Random('zero'));
    expect(zero.topic).toBe(`v3/affald-aarhus/devices/eui-${frame.devEui}/up`);
    expect(zero.json.uplink_message).not.toHaveProperty('f_cnt');
    expect(read('tts', zero.topic, zero.json as never).fCnt).toBe(0);
  });

  it('states the time on air LoRa takes', () => {
    // 3 bytes of application payload at SF7/125 kHz: 16-byte PHY payload, 51.456 ms
    expect(airtimeS(3, 7)).toBeCloseTo(0.051456, 6);
    expect(airtimeS(10, 12)).toBeGreaterThan(1);
    expect(json.uplink_message.consumed_airtime).toMatch(/^\d+\.\d{6}s$/);
  });
});
