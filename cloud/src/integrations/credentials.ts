const bearer = /^Bearer +(\S+) *$/i;
const basic = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const bare = /^(sbi_\S+)$/;

/**
 * The integration key in an Authorization header, in the forms the senders can be set up to send:
 * - `Bearer <key>`: ChirpStack's HTTP integration with a configured header, or OS2iot's
 *   "header-based authorization" field holding `Bearer <key>`;
 * - `<key>` alone: OS2iot sends its authorization field verbatim as the header;
 * - HTTP Basic with the key as password (any user name): OS2iot's basic-auth option.
 */
export function presentedKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const token = bearer.exec(header)?.[1] ?? bare.exec(header)?.[1];
  if (token !== undefined) return token;
  const credentials = basic.exec(header)?.[1];
  if (credentials === undefined) return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}
