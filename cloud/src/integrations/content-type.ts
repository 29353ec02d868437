/** JSON by its Content-Type (application/json, …+json); a body without one is taken as JSON, as the senders always set it. */
export function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}
