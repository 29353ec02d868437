/**
 * InfluxDB line protocol, written directly: the store's points have a fixed shape (a measurement
 * of safe characters, a few tags, float fields and one string field), so a line is a few string
 * concatenations. (The influx package's writePoints builds the same lines through per-point
 * objects, sorting and regular-expression escaping of every key and value: on the ingest path
 * that was the largest part of the store's own CPU time.)
 */

const needsTagEscape = /[,= ]/;
const tagEscapes = /[,= ]/g;

/** A tag key, tag value or field key: ',', '=' and ' ' escaped (the store's tag values carry no '\': see tagValue). */
export function escapeKey(value: string): string {
  return needsTagEscape.test(value) ? value.replace(tagEscapes, '\\$&') : value;
}

/**
 * A string field value of JSON text (the store's only string field), quoted, with '"' and '\'
 * escaped: JSON.stringify of JSON text escapes exactly these two, natively (JSON text has no
 * control characters or lone surrogates left to escape).
 */
export function quoteJson(json: string): string {
  return JSON.stringify(json);
}

/**
 * One line: `measurement,tag=v,… field=1.5,other="s" <time ns>`. Tags with empty values are left
 * out (InfluxDB has no empty tags); `fields` must hold at least one entry; numbers are floats,
 * strings JSON text.
 */
export function line(measurement: string, tags: readonly (readonly [string, string])[], fields: readonly (readonly [string, number | string])[], timeNs: string): string {
  let out = measurement;
  // InfluxDB sorts a point's tags by key; sent sorted, it need not
  const sorted = tags.length > 1 ? [...tags].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : tags;
  for (const [key, value] of sorted) if (value !== '') out += `,${escapeKey(key)}=${escapeKey(value)}`;
  let separator = ' ';
  for (const [key, value] of fields) {
    out += `${separator}${escapeKey(key)}=${typeof value === 'number' ? floatText(value) : quoteJson(value)}`;
    separator = ',';
  }
  return `${out} ${timeNs}`;
}

function floatText(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`line protocol has no float ${value}`);
  return String(value);
}
