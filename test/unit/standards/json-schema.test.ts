import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles } from '../../../standards/src/json-schema.js';

const dir = new URL('../../../standards/json-schema/', import.meta.url);

describe('generated JSON Schema files', () => {
  it('match the zod schemas (run `npm run generate:json-schema` after changing a standard)', () => {
    for (const file of jsonSchemaFiles()) {
      expect(readFileSync(new URL(file.name, dir), 'utf8'), file.name).toBe(file.text);
    }
  });

  it('has no stale files', () => {
    const expected = jsonSchemaFiles().map((file) => file.name).sort();
    expect(readdirSync(dir).sort()).toEqual(expected);
  });

  it('carries the measurement rule as if/else', () => {
    const fill = JSON.parse(readFileSync(new URL('fill-level-v1.schema.json', dir), 'utf8'));
    const def = fill.$defs['fill-level-v1'];
    expect(def.if).toEqual({ properties: { quality: { const: 'bad' } } });
    expect(def.else).toEqual({ anyOf: [{ required: ['distanceMm'] }] });
    expect(def.additionalProperties).toBe(false);
  });
});
