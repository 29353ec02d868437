import { z } from 'zod';
import { recordSchema, standardSchemas } from './index.js';

export interface JsonSchemaFile {
  name: string;
  text: string;
}

/** The JSON Schema files generated from the zod schemas, as checked in under standards/json-schema/. */
export function jsonSchemaFiles(): JsonSchemaFile[] {
  const files = Object.entries(standardSchemas).map(([id, schema]) => ({
    name: `${id.replace('/', '-v')}.schema.json`,
    schema: schema as z.ZodType,
  }));
  files.push({ name: 'record.schema.json', schema: recordSchema });
  return files.map(({ name, schema }) => ({
    name,
    text: `${JSON.stringify(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }), null, 2)}\n`,
  }));
}
