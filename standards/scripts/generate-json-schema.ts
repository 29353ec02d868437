import { writeFileSync } from 'node:fs';
import { jsonSchemaFiles } from '../src/json-schema.js';

// Regenerates standards/json-schema/*.json from the zod schemas (the source of truth).
for (const file of jsonSchemaFiles()) {
  writeFileSync(new URL(`../json-schema/${file.name}`, import.meta.url), file.text);
  console.log(`wrote standards/json-schema/${file.name}`);
}
