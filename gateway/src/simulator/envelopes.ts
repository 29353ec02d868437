/**
 * Network-server envelopes around a simulated uplink, as their MQTT integrations publish them:
 * ChirpStack v4 `event/up` (protobuf JSON mapping: zero, false and empty fields omitted) and
 * The Things Stack v3 `up` (ApplicationUp with an uplink_message). Shapes follow the examples in
 * the shared decoder vectors.
 */
import { eu868ChannelsHz, type RadioSample } from './behaviour/radio.js';
import type { Random } from './random.js';

/** One uplink as the radio carried it. */
export interface UplinkFrame {
  /** DevEUI, 16 lower-case hex digits. */
  devEui: string;
  deviceName: string;
  /** Firmware profile id, used as the device-profile name. */
  profileId: string;
  /** Device address of the session, 8 lower-case hex digits. */
  devAddr: string;
  fCnt: number;
  fPort: number;
  bytes: Uint8Array;
  /** When the network server received it, ms since the epoch. */
  timeMs: number;
  radio: RadioSample;
  assetId?: string | undefined;
}

export interface Envelope<T> {
  topic: string;
  json: T;
}

export interface ChirpstackApplication {
  tenantId: string;
  tenantName: string;
  applicationId: string;
  applicationName: string;
  /** Device-profile id for the frame's profile. */
  deviceProfileId: string;
}

export interface ChirpstackUpEvent {
  deduplicationId: string;
  time: string;
  deviceInfo: {
    tenantId: string;
    tenantName: string;
    applicationId: string;
    applicationName: string;
    deviceProfileId: string;
    deviceProfileName: string;
    deviceName: string;
    devEui: string;
    tags?: Record<string, string>;
  };
  devAddr: string;
  adr: true;
  dr?: number;
  fCnt?: number;
  fPort: number;
  data?: string;
  rxInfo: {
    gatewayId: string;
    uplinkId: number;
    rssi: number;
    snr?: number;
    channel?: number;
    context: string;
    metadata: Record<string, string>;
    crcStatus: 'CRC_OK';
  }[];
  txInfo: { frequency: number; modulation: { lora: { bandwidth: number; spreadingFactor: number; codeRate: string } } };
}

export interface TtsApplication {
  applicationId: string;
  /** Tenant of a multi-tenant deployment (`app@tenant` in topics); absent for a single-tenant one. */
  tenant?: string | undefined;
  joinEui: string;
}

export interface TtsUpMessage {
  end_device_ids: {
    device_id: string;
    application_ids: { application_id: string };
    dev_eui: string;
    join_eui: string;
    dev_addr: string;
  };
  correlation_ids: string[];
  received_at: string;
  uplink_message: {
    session_key_id: string;
    f_port: number;
    f_cnt?: number;
    frm_payload?: string;
    rx_metadata: {
      gateway_ids: { gateway_id: string; eui: string };
      time: string;
      timestamp: number;
      rssi: number;
      channel_rssi: number;
      snr?: number;
      channel_index?: number;
    }[];
    settings: {
      data_rate: { lora: { bandwidth: number; spreading_factor: number } };
      data_rate_index?: number;
      coding_rate: string;
      frequency: string;
      timestamp: number;
    };
    received_at: string;
    consumed_airtime: string;
  };
}

/** RFC 3339 with nanoseconds: ChirpStack writes `+00:00`, The Things Stack `Z`. */
function nanoTime(ms: number, zone: 'Z' | '+00:00'): string {
  return new Date(ms).toISOString().replace('Z', `000000${zone}`);
}

/** Protobuf JSON omits zero values. */
function nonZero<K extends string>(key: K, value: number): Partial<Record<K, number>> {
  return value === 0 ? {} : ({ [key]: value } as Record<K, number>);
}

/** LoRa time on air, s: EU868, 125 kHz, coding rate 4/5, 8-symbol preamble, explicit header, CRC; 13 bytes of LoRaWAN framing. */
export function airtimeS(payloadBytes: number, spreadingFactor: number): number {
  const symbolS = 2 ** spreadingFactor / 125_000;
  const lowRate = spreadingFactor >= 11 ? 1 : 0;
  const phyBytes = payloadBytes + 13;
  const payloadSymbols = 8 + Math.max(Math.ceil((8 * phyBytes - 4 * spreadingFactor + 28 + 16) / (4 * (spreadingFactor - 2 * lowRate))) * 5, 0);
  return (12.25 + payloadSymbols) * symbolS;
}

/** Gateway counter of microseconds (wraps at 2³²), as packet forwarders stamp receptions. */
function concentratorTimestamp(ms: number): number {
  return (ms * 1000) % 2 ** 32;
}

/** ChirpStack v4 `application/<applicationId>/device/<devEui>/event/up`. */
export function chirpstackUp(frame: UplinkFrame, app: ChirpstackApplication, rng: Random): Envelope<ChirpstackUpEvent> {
  const { radio } = frame;
  const data = Buffer.from(frame.bytes).toString('base64');
  const json: ChirpstackUpEvent = {
    deduplicationId: rng.uuid(),
    time: nanoTime(frame.timeMs, '+00:00'),
    deviceInfo: {
      tenantId: app.tenantId,
      tenantName: app.tenantName,
      applicationId: app.applicationId,
      applicationName: app.applicationName,
      deviceProfileId: app.deviceProfileId,
      deviceProfileName: frame.profileId,
      deviceName: frame.deviceName,
      devEui: frame.devEui,
      ...(frame.assetId ? { tags: { assetId: frame.assetId } } : {}),
    },
    devAddr: frame.devAddr,
    adr: true,
    ...nonZero('dr', radio.dataRate),
    ...nonZero('fCnt', frame.fCnt),
    fPort: frame.fPort,
    ...(data ? { data } : {}),
    rxInfo: radio.receptions.map((rx) => ({
      gatewayId: rx.gatewayId,
      uplinkId: rng.uint32(),
      rssi: rx.rssiDbm,
      ...nonZero('snr', rx.snrDb),
      ...nonZero('channel', channelIndex(radio.frequencyHz)),
      context: Buffer.from(rng.hex(4), 'hex').toString('base64'),
      metadata: { region_config_id: 'eu868', region_common_name: 'EU868' },
      crcStatus: 'CRC_OK' as const,
    })),
    txInfo: {
      frequency: radio.frequencyHz,
      modulation: { lora: { bandwidth: 125_000, spreadingFactor: radio.spreadingFactor, codeRate: 'CR_4_5' } },
    },
  };
  return { topic: `application/${app.applicationId}/device/${frame.devEui}/event/up`, json };
}

/** The Things Stack's default device id for a DevEUI: `eui-<deveui>`. */
export function ttsDeviceId(devEui: string): string {
  return `eui-${devEui.toLowerCase()}`;
}

/** The Things Stack v3 `v3/<applicationId>[@<tenant>]/devices/<deviceId>/up`. */
export function ttsUp(frame: UplinkFrame, app: TtsApplication, rng: Random): Envelope<TtsUpMessage> {
  const { radio } = frame;
  const deviceId = ttsDeviceId(frame.devEui);
  const data = Buffer.from(frame.bytes).toString('base64');
  const airtime = airtimeS(frame.bytes.length, radio.spreadingFactor);
  const heardMs = frame.timeMs - Math.round(airtime * 1000) - 5;
  const json: TtsUpMessage = {
    end_device_ids: {
      device_id: deviceId,
      application_ids: { application_id: app.applicationId },
      dev_eui: frame.devEui.toUpperCase(),
      join_eui: app.joinEui.toUpperCase(),
      dev_addr: frame.devAddr.toUpperCase(),
    },
    correlation_ids: [`as:up:${ulid(frame.timeMs, rng)}`],
    received_at: nanoTime(frame.timeMs + 12, 'Z'),
    uplink_message: {
      session_key_id: Buffer.from(`${frame.devEui}${frame.devAddr}`.slice(0, 16), 'utf8').toString('base64'),
      f_port: frame.fPort,
      ...nonZero('f_cnt', frame.fCnt),
      ...(data ? { frm_payload: data } : {}),
      rx_metadata: radio.receptions.map((rx) => ({
        gateway_ids: { gateway_id: `eui-${rx.gatewayId}`, eui: rx.gatewayId.toUpperCase() },
        time: nanoTime(heardMs, 'Z'),
        timestamp: concentratorTimestamp(heardMs),
        rssi: rx.rssiDbm,
        channel_rssi: rx.rssiDbm,
        ...nonZero('snr', rx.snrDb),
        ...nonZero('channel_index', channelIndex(radio.frequencyHz)),
      })),
      settings: {
        data_rate: { lora: { bandwidth: 125_000, spreading_factor: radio.spreadingFactor } },
        ...nonZero('data_rate_index', radio.dataRate),
        coding_rate: '4/5',
        frequency: String(radio.frequencyHz),
        timestamp: concentratorTimestamp(heardMs),
      },
      received_at: nanoTime(frame.timeMs, 'Z'),
      consumed_airtime: `${airtime.toFixed(6)}s`,
    },
  };
  const application = app.tenant ? `${app.applicationId}@${app.tenant}` : app.applicationId;
  return { topic: `v3/${application}/devices/${deviceId}/up`, json };
}

function channelIndex(frequencyHz: number): number {
  return Math.max(0, eu868ChannelsHz.indexOf(frequencyHz));
}

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (as The Things Stack's correlation ids carry): 48-bit time, 80 random bits, Crockford base 32. */
function ulid(ms: number, rng: Random): string {
  let time = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = crockford[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let random = '';
  for (let i = 0; i < 16; i++) random += crockford[rng.uint32() % 32];
  return time + random;
}
