import { z } from 'zod';

/** Danish municipality code (kommunekode), four digits, e.g. '0751' for Aarhus. */
export const kommuneCode = z
  .string()
  .regex(/^\d{4}$/, 'must be a 4-digit municipality code, e.g. "0751"')
  .meta({ description: 'Municipality code (kommunekode), 4 digits, e.g. 0751 for Aarhus.' });

/** ISO 8601 instant in UTC ('Z'), any sub-second precision. */
export const utcInstant = z.iso.datetime({ message: 'must be an ISO 8601 UTC timestamp ending in Z' });

const identifier = z.string().min(1).max(128);

export const qualityLevels = ['good', 'suspect', 'bad'] as const;
export const quality = z.enum(qualityLevels).meta({
  description: "'bad': no trustworthy measurement (sensor fault); 'suspect': value outside the physical range of the sensor.",
});

/** Health of the device that made the observation (FIWARE Device). */
export const deviceHealth = z.strictObject({
  batteryPercent: z.number().min(0).max(100).optional(),
  batteryV: z.number().min(0).max(60).optional(),
  rssiDbm: z.number().min(-200).max(50).optional(),
  snrDb: z.number().min(-50).max(50).optional(),
});

/** Payload parts a decoder could not interpret; kept so nothing the sensor sent is lost. */
export const undecodedBytes = z
  .array(z.strictObject({ offset: z.number().int().min(0), hex: z.string().regex(/^[0-9a-f]*$/).max(512) }))
  .max(16);

/** Fields every record carries, whatever its standard (DESIGN.md §2, Record). */
export const envelopeShape = {
  id: z.uuid({ version: 'v7', message: 'must be a UUIDv7' }),
  kommune: kommuneCode,
  deviceId: identifier,
  assetId: identifier.optional(),
  gatewayId: identifier,
  observedAt: utcInstant,
  receivedAt: utcInstant,
  quality,
  qualityFlags: z.array(z.string().regex(/^[a-z0-9-]+(:[A-Za-z0-9._-]+)?$/).max(80)).max(20).optional(),
  device: deviceHealth.optional(),
  undecoded: undecodedBytes.optional(),
};

export type DeviceHealth = z.infer<typeof deviceHealth>;
export type Quality = z.infer<typeof quality>;
