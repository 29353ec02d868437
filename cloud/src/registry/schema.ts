import { z } from 'zod';
import { kommuneCode, meterTypes } from '../../../standards/src/index.js';

/** Registry entities (issue: kommuner, sites/buildings, assets, devices, gateways), validated at the API and CSV boundary. */

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits and . _ : - (at most 128)');
const name = z.string().trim().min(1).max(200);

export const siteInput = z.strictObject({
  id,
  name,
  address: z.string().trim().min(1).max(300).optional(),
  /** Heated floor area (opvarmet areal), m²: energy key figures (kWh/m²) need it. */
  heatedAreaM2: z.number().positive().max(10_000_000).optional(),
  latitude: z.number().min(54).max(58.5).optional(),
  longitude: z.number().min(7).max(16).optional(),
});
export type SiteInput = z.infer<typeof siteInput>;

/** Waste fractions as Danish municipalities sort them (affaldsbekendtgørelsen). */
export const wasteFractions = ['rest', 'mad', 'papir', 'pap', 'glas', 'metal', 'plast', 'mad-og-drikkekartoner', 'tekstil', 'farligt'] as const;

const assetBase = { id, name, siteId: id.optional(), latitude: z.number().min(54).max(58.5).optional(), longitude: z.number().min(7).max(16).optional() };

export const assetInput = z.discriminatedUnion('kind', [
  z.strictObject({ ...assetBase, kind: z.literal('waste-container'), fraction: z.enum(wasteFractions), volumeL: z.number().positive().max(100_000) }),
  z.strictObject({ ...assetBase, kind: z.literal('meter'), meterType: z.enum(meterTypes), unit: z.enum(['kWh', 'MWh', 'GJ', 'm3', 'pulses']) }),
  z.strictObject({
    ...assetBase,
    kind: z.literal('water-level-logger'),
    datum: z.string().min(1).max(32).default('DVR90'),
    /** Height of the probe or sensor face above the datum, m. */
    referenceLevelM: z.number().min(-1_000).max(10_000),
  }),
  z.strictObject({ ...assetBase, kind: z.literal('door'), lock: z.boolean().default(false) }),
]);
export type AssetInput = z.infer<typeof assetInput>;

export const deviceInput = z.strictObject({
  deviceKey: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/)
    .transform((key) => (/^[0-9A-Fa-f]{16}$/.test(key) ? key.toLowerCase() : key)),
  profile: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)+$/, 'a firmware profile id, e.g. milesight-em310-udl'),
  assetId: id.optional(),
  gatewayId: id.optional(),
  params: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
});
export type DeviceInput = z.infer<typeof deviceInput>;

export const gatewayInput = z.strictObject({ id, name, siteId: id.optional() });
export type GatewayInput = z.infer<typeof gatewayInput>;

export const kommuneScoped = { kommune: kommuneCode };

export type EntityKind = 'sites' | 'assets' | 'devices' | 'gateways';
