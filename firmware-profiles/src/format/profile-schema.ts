import { z } from 'zod';
import { sensorStandardId } from '../../../standards/src/index.js';

/** Byte/int literal: a number, or a hex string such as "0x75" (YAML profiles may also write 0x75 bare). */
const byteLike = z.union([
  z.number().int().min(0),
  z.string().regex(/^0x[0-9a-fA-F]+$/, 'must be a number or a hex string like "0x75"').transform((hex) => Number.parseInt(hex, 16)),
]);
const byte = byteLike.pipe(z.number().max(255, 'must fit in one byte (0..255)'));

export const intTypes = [
  'u8', 'i8',
  'u16le', 'u16be', 'i16le', 'i16be',
  'u24le', 'u24be', 'i24le', 'i24be',
  'u32le', 'u32be', 'i32le', 'i32be',
  'f32le', 'f32be',
] as const;
export type IntType = (typeof intTypes)[number];

/** Where a value goes: a field of the profile's standard, `device.<health field>`, or `observedAt` (device time). */
const target = z.string().regex(/^(device\.)?[a-z][A-Za-z0-9]*$/, 'must be a field name such as "distanceMm" or "device.batteryPercent"');

/** A raw value that means "no reading" (e.g. 0xFFFF = probe failure): flagged, never stored as a value. */
const sentinel = z.strictObject({
  raw: byteLike,
  flag: z.string().regex(/^[a-z0-9-]+$/, 'must be a lower-case flag such as "probe-failure"'),
});

/** One value read from the payload and turned into a record field. */
export const valueSpec = z
  .strictObject({
    field: target,
    type: z.enum(intTypes),
    at: z.number().int().min(0).default(0).describe('byte offset (from the payload start in a struct, from the record data in channels)'),
    bits: z.tuple([z.number().int().min(0).max(31), z.number().int().min(1).max(32)]).optional().describe('[lowest bit, width] of the raw integer'),
    scale: z.number().refine((n) => Number.isFinite(n) && n !== 0, 'must be a finite non-zero number').optional(),
    offset: z.number().refine(Number.isFinite, 'must be finite').optional(),
    boolean: z.boolean().optional().describe('raw != 0 → true'),
    map: z.record(z.string().regex(/^\d+$/), z.union([z.string().max(64), z.boolean(), z.number()])).optional(),
    timestamp: z.enum(['unix-seconds']).optional().describe('the raw value is a device clock reading'),
    sentinels: z.array(sentinel).max(16).optional(),
    absent: z.array(byteLike).max(8).optional().describe('raw values meaning "not fitted" (e.g. no probe): the field is left out, unflagged'),
    range: z.tuple([z.number(), z.number()]).optional().describe('physical range of the sensor; outside → quality suspect'),
  })
  .superRefine((spec, ctx) => {
    const transforms = [spec.boolean, spec.map, spec.timestamp].filter((x) => x !== undefined).length;
    if (transforms > 1) ctx.addIssue({ code: 'custom', message: 'use only one of boolean, map, timestamp' });
    if (transforms > 0 && (spec.scale !== undefined || spec.offset !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'scale/offset apply to numbers only, not with boolean, map or timestamp' });
    }
    if (spec.bits && spec.type.startsWith('f32')) ctx.addIssue({ code: 'custom', path: ['bits'], message: 'bit fields need an integer type' });
    if ((spec.field === 'observedAt') !== (spec.timestamp !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'observedAt is set from a value with timestamp, and only there' });
    }
  });
export type ValueSpec = z.infer<typeof valueSpec>;

/** Fixed layout: every value at a fixed offset. */
/**
 * A run of interval deltas after a cumulative start value (e.g. a water meter's hourly
 * consumption log): one observation per point, timed from the start time.
 */
const series = z.strictObject({
  field: target,
  scale: z.number().refine((n) => Number.isFinite(n) && n !== 0, 'must be a finite non-zero number').default(1),
  start: z.strictObject({ type: z.enum(intTypes), at: z.number().int().min(0) }).describe('cumulative raw value at the start time'),
  startTime: z.strictObject({
    type: z.enum(['u32le', 'u32be']),
    at: z.number().int().min(0),
    floorTo: z.number().int().min(1).default(1).describe('round the device time down to a multiple of this many seconds'),
    offsetS: z.number().int().default(0),
  }),
  deltas: z.strictObject({
    at: z.number().int().min(0),
    type: z.enum(intTypes).optional(),
    bitWidth: z.number().int().min(1).max(31).optional().describe('packed deltas, least significant bit first'),
    count: z.number().int().min(1).max(64).describe('at most this many; fewer when the payload ends'),
    intervalS: z.number().int().min(1),
  }).refine((d) => (d.type === undefined) !== (d.bitWidth === undefined), 'needs exactly one of type, bitWidth'),
});
export type SeriesSpec = z.infer<typeof series>;

const structLayout = z.strictObject({
  minLength: z.number().int().min(1),
  maxLength: z.number().int().min(1).optional().describe('longer payloads are refused; bytes past the known values are kept as undecoded'),
  values: z.array(valueSpec).max(64).default([]),
  /** Bytes the layout knows but maps to no field (e.g. a flag the record has no place for): not "undecoded". */
  reserved: z.array(z.strictObject({ at: z.number().int().min(0), length: z.number().int().min(1), note: z.string().max(200).optional() })).max(16).default([]),
  series: series.optional(),
});

/** Milesight-style records: [channel][type][data…], little endian, repeated to the end of the payload. */
const channelRecord = z.strictObject({
  channel: byte,
  type: byte,
  length: z.number().int().min(0).max(255).optional().describe('data length; defaults to the end of the last value'),
  values: z.array(valueSpec).max(32).default([]),
  history: z.boolean().default(false).describe('an archived reading: becomes its own observation, timed by its observedAt value'),
});
const channelsLayout = z.array(channelRecord).min(1).max(128);

export const mbusQuantities = [
  'energy', 'volume', 'power', 'volumeFlow', 'flowTemperature', 'returnTemperature',
  'temperatureDifference', 'fabricationNumber', 'errorFlags', 'dateTime',
] as const;
export type MbusQuantity = (typeof mbusQuantities)[number];

/** EN 13757-3 M-Bus data records (DIF/DIFE/VIF/VIFE), as carried inside Elvaco CMi41xx payloads. */
const mbusLayout = z.strictObject({
  headerBytes: z.number().int().min(0).max(16).default(0).describe('bytes before the first record (e.g. the message format)'),
  records: z
    .array(
      z.strictObject({
        quantity: z.enum(mbusQuantities),
        field: target,
        storage: z.number().int().min(0).default(0),
        tariff: z.number().int().min(0).default(0),
        range: z.tuple([z.number(), z.number()]).optional(),
      }),
    )
    .min(1)
    .max(32),
});

/** Exactly one of the three layout kinds. */
export const layout = z
  .strictObject({ struct: structLayout.optional(), channels: channelsLayout.optional(), mbus: mbusLayout.optional() })
  .refine((l) => [l.struct, l.channels, l.mbus].filter(Boolean).length === 1, 'needs exactly one of struct, channels, mbus');
export type Layout = z.infer<typeof layout>;

/** Mapping from a JavaScript codec's `data` object to record fields. */
const fieldMapEntry = z.union([
  z.string().min(1).max(128),
  z.strictObject({
    from: z.string().min(1).max(128).describe('dot path in the codec output'),
    scale: z.number().refine((n) => Number.isFinite(n) && n !== 0).optional(),
    equals: z.union([z.string(), z.number(), z.boolean()]).optional().describe('field = (value === equals)'),
    range: z.tuple([z.number(), z.number()]).optional(),
  }),
]);
export type FieldMapEntry = z.infer<typeof fieldMapEntry>;

const constant = z.union([z.string().max(64), z.number(), z.boolean()]);

const uplinkBase = {
  fPort: z.union([z.number().int().min(1).max(255), z.array(z.number().int().min(1).max(255)).min(1)]),
  standard: sensorStandardId,
  set: z.record(target, constant).optional().describe('constant fields, e.g. meterType'),
};

/** One of several payload formats on the same fPort, told apart by length and first byte. */
const frame = z.strictObject({
  when: z.strictObject({
    minLength: z.number().int().min(1),
    maxLength: z.number().int().min(1),
    firstByte: byte.optional(),
  }),
  layout,
});
export type Frame = z.infer<typeof frame>;

export const layoutUplink = z
  .strictObject({ ...uplinkBase, layout: layout.optional(), frames: z.array(frame).min(1).max(16).optional() })
  .refine((u) => (u.layout === undefined) !== (u.frames === undefined), 'needs exactly one of layout, frames');
export const codecUplink = z.strictObject({ ...uplinkBase, fields: z.record(target, fieldMapEntry) });

/** JSON published by a sensor over MQTT, mapped to a standard like a codec's output. */
export const jsonMapping = z.strictObject({
  standard: sensorStandardId,
  set: z.record(target, constant).optional(),
  fields: z.record(target, fieldMapEntry),
});
export type JsonMapping = z.infer<typeof jsonMapping>;

const vector = z
  .strictObject({
    fPort: z.number().int().min(0).max(255).optional(),
    hex: z.string().regex(/^([0-9a-fA-F]{2})*$/, 'must be hex bytes').optional(),
    json: z.unknown().optional().describe('a JSON payload, for a profile with a json mapping'),
    params: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
    receivedAt: z.iso.datetime().optional().describe('network server time of the uplink; defaults to now'),
    records: z.number().int().min(1).optional().describe('how many records the payload gives; expect describes the first'),
    expect: z.record(z.string(), z.unknown()).optional(),
    error: z.string().optional().describe('expected refusal: a substring of the reason'),
    note: z.string().optional(),
  })
  .refine((v) => (v.json !== undefined) !== (v.hex !== undefined && v.fPort !== undefined), 'needs fPort and hex, or json');
export type ProfileVector = z.infer<typeof vector>;

const profileBase = {
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)+$/, 'must be "<vendor>-<model>" in lower case'),
  vendor: z.string().min(1).max(64),
  model: z.string().min(1).max(64),
  firmware: z.string().min(1).max(200).describe('firmware versions the layout is known to match'),
  description: z.string().max(500).optional(),
  sources: z.array(z.string().max(300)).max(20).optional(),
  vectors: z.array(vector).min(1, 'a profile needs at least one test vector').max(200),
};

export const declarativeProfile = z
  .strictObject({ ...profileBase, uplinks: z.array(layoutUplink).max(32).default([]), json: jsonMapping.optional() })
  .refine((p) => p.uplinks.length > 0 || p.json !== undefined, { message: 'needs uplinks, a json mapping, or both', path: ['uplinks'] });
export const codecProfile = z.strictObject({
  ...profileBase,
  codec: z.strictObject({
    file: z.string().regex(/^[A-Za-z0-9._-]+\.js$/, 'must be a .js file name next to the profile'),
    api: z.enum(['ts013', 'ttn-v2', 'chirpstack-v3']).default('ts013'),
  }),
  uplinks: z.array(codecUplink).min(1).max(32),
});

/** A profile with a `codec` runs a JavaScript codec in the sandbox; any other is declarative. */
export function profileSchemaFor(raw: unknown) {
  return raw !== null && typeof raw === 'object' && 'codec' in raw ? codecProfile : declarativeProfile;
}
export type DeclarativeProfile = z.infer<typeof declarativeProfile>;
export type CodecProfile = z.infer<typeof codecProfile>;
export type Profile = DeclarativeProfile | CodecProfile;
export type LayoutUplink = z.infer<typeof layoutUplink>;
export type CodecUplink = z.infer<typeof codecUplink>;
