import { envelopeShape, type SensorRecord, type StandardId, standardSchemas } from '../../../standards/src/index.js';
import type { CsvValue } from './csv.js';

/**
 * The CSV columns of a standard, always in this order (documented in README.md):
 * the envelope (id … quality), qualityFlags joined with '|', the device health as device.*, the
 * standard's own fields in the order of its schema, and undecoded payload parts as offset:hex
 * joined with '|'. A column without a value in a record is empty.
 */
const envelopeColumns = ['id', 'standard', 'kommune', 'deviceId', 'assetId', 'gatewayId', 'observedAt', 'receivedAt', 'quality', 'qualityFlags'] as const;
const deviceColumns = ['device.batteryPercent', 'device.batteryV', 'device.rssiDbm', 'device.snrDb'] as const;
const envelopeKeys = new Set<string>([...Object.keys(envelopeShape), 'standard']);

/** The standard's own fields, in the order its schema declares them. */
export function standardFields(standard: StandardId): string[] {
  return Object.keys(standardSchemas[standard].shape).filter((key) => !envelopeKeys.has(key));
}

export function recordColumns(standard: StandardId): string[] {
  return [...envelopeColumns, ...deviceColumns, ...standardFields(standard), 'undecoded'];
}

/** The cells of one record for `recordColumns(record.standard)`. */
export function recordCells(record: SensorRecord, columns: readonly string[]): CsvValue[] {
  const values = record as unknown as Record<string, unknown>;
  return columns.map((column) => {
    if (column === 'qualityFlags') return record.qualityFlags?.join('|');
    if (column === 'undecoded') return record.undecoded?.map((part) => `${part.offset}:${part.hex}`).join('|');
    if (column.startsWith('device.')) return record.device?.[column.slice('device.'.length) as keyof NonNullable<SensorRecord['device']>];
    return values[column] as CsvValue;
  });
}
