import type { EntityKind } from './schema.js';

/** A CSV file that cannot be read; the message names the line. */
export class CsvError extends Error {}

const maxRows = 100_000;

/**
 * RFC 4180 CSV as municipalities export it from spreadsheets: comma or semicolon (Danish Excel)
 * delimited, quoted fields with doubled quotes and line breaks, CRLF or LF, optional BOM.
 */
export function parseCsv(text: string): { delimiter: ',' | ';'; rows: string[][] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = body.slice(0, body.search(/\r?\n|$/));
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else { if (c === '\n') line++; field += c; }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((cell) => cell !== '')) rows.push(row);
      if (rows.length > maxRows) throw new CsvError(`more than ${maxRows} rows`);
      row = [];
      field = '';
      line++;
    } else field += c;
  }
  if (quoted) throw new CsvError(`line ${line}: a quoted field is not closed`);
  row.push(field);
  if (row.some((cell) => cell !== '')) rows.push(row);
  return { delimiter, rows };
}

const numericColumns: Record<EntityKind, ReadonlySet<string>> = {
  sites: new Set(['heatedAreaM2', 'latitude', 'longitude']),
  assets: new Set(['volumeL', 'referenceLevelM', 'latitude', 'longitude']),
  devices: new Set(),
  gateways: new Set(),
};
const booleanColumns = new Set(['lock']);

function toNumber(cell: string, decimalComma: boolean): number | string {
  const normalised = decimalComma ? cell.replace(/\./g, '').replace(',', '.') : cell;
  const value = Number(normalised.trim());
  return normalised.trim() !== '' && Number.isFinite(value) ? value : cell;
}

function toBoolean(cell: string): boolean | string {
  const value = cell.trim().toLowerCase();
  if (['ja', 'true', '1', 'yes'].includes(value)) return true;
  if (['nej', 'false', '0', 'no'].includes(value)) return false;
  return cell;
}

/**
 * Rows of a registry CSV (first row: column names as in the API, e.g. id;name;address;heatedAreaM2,
 * and `param.<name>` for device parameters) as API inputs. Empty cells are left out; numbers may
 * use a decimal comma in semicolon files. Validation is the registry's, per row.
 */
export function csvToInputs(kind: EntityKind, text: string): Record<string, unknown>[] {
  const { delimiter, rows } = parseCsv(text);
  const [header, ...data] = rows;
  if (!header) throw new CsvError('the file is empty');
  const columns = header.map((name) => name.trim());
  const duplicate = columns.find((name, index) => columns.indexOf(name) !== index);
  if (duplicate) throw new CsvError(`line 1: column ${duplicate} appears twice`);
  return data.map((cells, index) => {
    if (cells.length > columns.length) throw new CsvError(`line ${index + 2}: ${cells.length} cells, the header has ${columns.length}`);
    const input: Record<string, unknown> = {};
    const params: Record<string, number | string> = {};
    columns.forEach((column, position) => {
      const cell = cells[position] ?? '';
      if (cell.trim() === '') return;
      if (column.startsWith('param.')) params[column.slice('param.'.length)] = toNumber(cell, delimiter === ';');
      else if (numericColumns[kind].has(column)) input[column] = toNumber(cell, delimiter === ';');
      else if (booleanColumns.has(column)) input[column] = toBoolean(cell);
      else input[column] = cell.trim();
    });
    if (Object.keys(params).length > 0) input.params = params;
    return input;
  });
}
