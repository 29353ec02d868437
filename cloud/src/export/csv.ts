/**
 * CSV as RFC 4180 writes it: CRLF line ends, a field in double quotes when it holds the separator,
 * a quote, CR or LF, quotes inside doubled. Two dialects on top: the separator (',' or ';' — a
 * Danish Excel opens ';' files, since ',' is its decimal mark) and the decimal mark of numbers.
 */
export interface CsvDialect {
  separator: ',' | ';';
  decimalComma: boolean;
}

export const defaultDialect: CsvDialect = { separator: ',', decimalComma: false };

/** Excel reads UTF-8 (æ, ø, å) only when the file starts with this byte order mark. */
export const utf8Bom = '\uFEFF';

/**
 * Text a spreadsheet would run as a formula (=, +, @, tab, CR, or - not starting a number) gets a
 * leading apostrophe (OWASP "CSV injection"); device and asset names come from outside.
 */
const formulaStart = /^(?:[=+@\t\r]|-(?![\d.]))/;

export type CsvValue = string | number | boolean | null | undefined;

export function csvCell(value: CsvValue, dialect: CsvDialect): string {
  if (value === undefined || value === null) return '';
  let text: string;
  if (typeof value === 'number') text = dialect.decimalComma ? String(value).replace('.', ',') : String(value);
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else text = formulaStart.test(value) ? `'${value}` : value;
  const needsQuotes = text.includes(dialect.separator) || text.includes('"') || text.includes('\n') || text.includes('\r');
  return needsQuotes ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[], dialect: CsvDialect): string {
  return `${values.map((value) => csvCell(value, dialect)).join(dialect.separator)}\r\n`;
}
