import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import type {} from '@fastify/swagger';
import { z } from 'zod';

/** The zod schemas of a route: they validate the request and are published (as JSON Schema) in the OpenAPI document. */
export interface RouteSchemas {
  summary?: string;
  description?: string;
  tags?: string[];
  /** OpenAPI security requirements, e.g. [{ session: [] }, { apiToken: [] }]. */
  security?: Record<string, string[]>[];
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  /** Documentation only: answers are built by typed handlers, serialized with JSON.stringify. */
  response?: Record<number, z.ZodType>;
  /** Documentation only (the ingest body is read and checked by the handler itself). */
  bodyDocs?: z.ZodType;
}

export interface RouteSchemaOptions {
  schema: FastifySchema;
  validatorCompiler: FastifySchemaCompiler<unknown>;
  serializerCompiler: FastifySerializerCompiler<unknown>;
}

/** zod → JSON Schema (2020-12, as OpenAPI 3.1 takes it) of what a client sends. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** `path: message; path: message`, the field named by its path within the part. */
export function describeZodError(error: z.ZodError, part?: string): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = [...(part && part !== 'body' ? [part] : []), ...issue.path.map(String)].join('.');
      return `${path || part || '(body)'}: ${issue.message}`;
    })
    .join('; ');
}

const partNames: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/**
 * Route options from zod schemas: validation by zod (the handler receives the parsed value; a
 * failure is a 400 naming the field), the JSON Schema for the OpenAPI document, and plain
 * JSON.stringify serialization.
 *
 *   app.post('/api/v1/login', { ...routeSchema({ body: loginBody }) }, handler)
 */
export function routeSchema(schemas: RouteSchemas): RouteSchemaOptions {
  const byPart: Record<string, z.ZodType | undefined> = { body: schemas.body, querystring: schemas.querystring, params: schemas.params };
  const schema: FastifySchema = {};
  if (schemas.summary) schema.summary = schemas.summary;
  if (schemas.description) schema.description = schemas.description;
  if (schemas.tags) schema.tags = schemas.tags;
  if (schemas.security) schema.security = schemas.security;
  const body = schemas.body ?? schemas.bodyDocs;
  if (body) schema.body = jsonSchemaOf(body);
  if (schemas.querystring) schema.querystring = jsonSchemaOf(schemas.querystring);
  if (schemas.params) schema.params = jsonSchemaOf(schemas.params);
  if (schemas.response) {
    schema.response = Object.fromEntries(Object.entries(schemas.response).map(([status, zod]) => [status, jsonSchemaOf(zod, 'output')]));
  }
  return {
    schema,
    validatorCompiler: ({ httpPart }) => {
      const zod = httpPart === undefined ? undefined : byPart[httpPart];
      if (!zod) return (value: unknown) => ({ value });
      const part = partNames[httpPart ?? ''] ?? httpPart;
      return (value: unknown) => {
        const result = zod.safeParse(value);
        if (result.success) return { value: result.data };
        return { error: new Error(describeZodError(result.error, part)) };
      };
    },
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
  };
}
