import { z } from 'zod';
import { roles } from '../principal.js';

export const errorBody = z.object({ error: z.string() });
export const roleSchema = z.enum(roles as ['admin', 'technician', 'energi', 'affald']);
export const roleList = z.array(roleSchema).min(1).max(4);
/** Gateway ids as the registry writes them. */
export const gatewayIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits and . _ : - (at most 128)');
export const tokenIdParams = z.strictObject({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a token id (16 hex digits)') });
export const adminSecurity: Record<string, string[]>[] = [{ session: [] }, { apiToken: [] }];
