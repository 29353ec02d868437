import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ingestResult } from '../../../standards/src/index.js';
import type { Auditor } from '../api/audit.js';
import { adminSecurity, errorBody } from '../api/admin/schemas.js';
import { requireRole } from '../api/auth/require-role.js';
import { routeSchema } from '../api/route-schema.js';
import { isJsonContentType } from './content-type.js';
import { type DeadLetterReplay, storeUnavailable } from './dead-letter-replay.js';
import type { IntegrationDeadLetter, IntegrationDeadLetters } from './dead-letters.js';
import { integrationKinds } from './integration-keys.js';

/** Seconds to wait after the store failed during a replay. */
const storeRetryAfterS = 5;
const storeUnavailableError = 'the store could not take the records; the dead letter is kept as it was, replay it later';

const filterFields = {
  code: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'a dead-letter code, e.g. unknown-device').optional(),
  deviceKey: z.string().min(1).max(128).toLowerCase().optional(),
  source: z.enum(integrationKinds).optional(),
};
const pageFields = {
  afterId: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};

const listQuery = z.object({ ...filterFields, ...pageFields });
const replayFilter = z
  .strictObject({ ...filterFields, ...pageFields })
  .meta({ description: 'Which dead letters (every field named must match; none, or no body: all), oldest first, at most limit of them after afterId.' });
/** Fastify hands a request without a body over as null. */
const replayBody = replayFilter.nullish().transform((body) => body ?? replayFilter.parse({}));
const deleteQuery = z
  .strictObject({ ...filterFields, all: z.literal('true').optional() })
  .refine((query) => query.all !== undefined || query.code !== undefined || query.deviceKey !== undefined || query.source !== undefined, {
    message: 'name code, deviceKey or source, or all=true to delete every dead letter of the kommune',
  });
const idParams = z.strictObject({ id: z.coerce.number().int().min(1) });

const deadLetterView = z.object({
  id: z.number(),
  at: z.string(),
  source: z.string(),
  keyId: z.string(),
  deviceKey: z.string().nullable(),
  code: z.string(),
  reason: z.string(),
  contentType: z.string().nullable(),
  raw: z.string(),
  rawEncoding: z.enum(['utf8', 'base64']),
});
const deadLettersView = z.object({ counts: z.record(z.string(), z.number()), deadLetters: z.array(deadLetterView) });
const replayResultView = z.discriminatedUnion('outcome', [
  z.object({ id: z.number(), outcome: z.literal('replayed'), deviceKey: z.string(), results: z.array(ingestResult) }),
  z.object({ id: z.number(), outcome: z.literal('failed'), code: z.string(), reason: z.string() }),
]);
const replayBatchView = z.object({
  replayed: z.number().int(),
  failed: z.number().int(),
  results: z.array(replayResultView),
  nextAfterId: z.number().int().nullable().meta({ description: 'Give it as afterId to go on; null when none of the filter is left.' }),
});
const replayBatchRefusal = replayBatchView.extend({ error: z.string() });

const utf8 = new TextDecoder('utf-8', { fatal: true });

function utf8Text(raw: Buffer): string | undefined {
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}

/** The raw body as text when it is JSON in valid UTF-8 (to read it as sent), else base64 (protobuf, broken bytes). */
function view(entry: IntegrationDeadLetter): z.infer<typeof deadLetterView> {
  const { raw, ...rest } = entry;
  const text = isJsonContentType(entry.contentType) ? utf8Text(raw) : undefined;
  return text === undefined ? { ...rest, raw: raw.toString('base64'), rawEncoding: 'base64' } : { ...rest, raw: text, rawEncoding: 'utf8' };
}

const readers = requireRole('admin', 'technician');
const tags = ['integrations'];

/**
 * The integrations' dead letters of the caller's kommune (admin and technician): list them with
 * the kommune's counters, replay them (one, or those of a filter) once the cause is fixed, delete
 * them. Replays and deletions are audited.
 */
export async function deadLetterRoutes(app: FastifyInstance, options: { deadLetters: IntegrationDeadLetters; replay: DeadLetterReplay; auditor: Auditor }): Promise<void> {
  const { deadLetters, replay, auditor } = options;

  app.get(
    '/api/v1/integrations/dead-letters',
    {
      preHandler: readers,
      ...routeSchema({
        summary: 'What the integrations pushed and could not be used (reason, raw body), oldest first, with the kommune\'s counters',
        tags,
        security: adminSecurity,
        querystring: listQuery,
        response: { 200: deadLettersView },
      }),
    },
    async (request) => {
      const kommune = request.principal!.kommune;
      const query = request.query as z.infer<typeof listQuery>;
      return { counts: deadLetters.counts(kommune), deadLetters: deadLetters.list(kommune, query).map(view) };
    },
  );

  app.post(
    '/api/v1/integrations/dead-letters/:id/replay',
    {
      preHandler: readers,
      ...routeSchema({
        summary: 'Replay one dead letter: its raw body through the push\'s decode path again, as the key that pushed it',
        description:
          'replayed: the records were stored (ids as the push would have given them, so a record stored before is a duplicate) and ' +
          'the dead letter is removed. failed: it is kept with the new code and reason. 503: the store failed; nothing changed.',
        tags,
        security: adminSecurity,
        params: idParams,
        response: { 200: replayResultView, 404: errorBody, 503: errorBody },
      }),
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof idParams>;
      const result = await replay.one(request.principal!.kommune, id);
      if (result === undefined) return reply.code(404).send({ error: `no dead letter ${id}` });
      if (result === storeUnavailable) return reply.code(503).header('retry-after', String(storeRetryAfterS)).send({ error: storeUnavailableError });
      const detail = result.outcome === 'replayed' ? { outcome: result.outcome, deviceKey: result.deviceKey, records: result.results.length } : { outcome: result.outcome, code: result.code };
      auditor.record(request, 'integration-dead-letter.replayed', { target: `integration-dead-letter:${id}`, detail });
      return result;
    },
  );

  app.post(
    '/api/v1/integrations/dead-letters/replay',
    {
      preHandler: readers,
      ...routeSchema({
        summary: 'Replay the dead letters of a filter (e.g. code unknown-device, or one deviceKey), oldest first, a page at a time',
        description:
          'Each as POST …/dead-letters/{id}/replay does. Go on with afterId = nextAfterId until it is null. 503: the store failed; ' +
          'the results so far stand, and nextAfterId says where to go on after Retry-After.',
        tags,
        security: adminSecurity,
        body: replayBody,
        response: { 200: replayBatchView, 400: errorBody, 503: replayBatchRefusal },
      }),
    },
    async (request, reply) => {
      const { afterId, limit, ...filter } = request.body as z.infer<typeof replayBody>;
      const batch = await replay.matching(request.principal!.kommune, filter, { afterId, limit });
      const replayedIds = batch.results.filter((result) => result.outcome === 'replayed').map((result) => result.id);
      const failedIds = batch.results.filter((result) => result.outcome === 'failed').map((result) => result.id);
      const answer = { replayed: replayedIds.length, failed: failedIds.length, results: batch.results, nextAfterId: batch.nextAfterId };
      if (batch.results.length > 0) {
        auditor.record(request, 'integration-dead-letters.replayed', {
          detail: { filter, replayedIds, failedIds, ...(batch.storeUnavailable && { stoppedBy: storeUnavailable }) },
        });
      }
      if (batch.storeUnavailable) return reply.code(503).header('retry-after', String(storeRetryAfterS)).send({ error: storeUnavailableError, ...answer });
      return answer;
    },
  );

  app.delete(
    '/api/v1/integrations/dead-letters/:id',
    {
      preHandler: readers,
      ...routeSchema({ summary: 'Delete a dead letter', tags, security: adminSecurity, params: idParams, response: { 404: errorBody } }),
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof idParams>;
      const kommune = request.principal!.kommune;
      const letter = deadLetters.get(kommune, id);
      if (!letter || !deadLetters.remove(kommune, id)) return reply.code(404).send({ error: `no dead letter ${id}` });
      deadLetters.increment(kommune, { 'dead-letters.deleted': 1 });
      auditor.record(request, 'integration-dead-letter.deleted', { target: `integration-dead-letter:${id}`, detail: { code: letter.code, deviceKey: letter.deviceKey } });
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/v1/integrations/dead-letters',
    {
      preHandler: readers,
      ...routeSchema({
        summary: 'Delete the dead letters of a filter (every field named must match); all=true deletes every one of the kommune',
        tags,
        security: adminSecurity,
        querystring: deleteQuery,
        response: { 200: z.object({ deleted: z.number().int() }), 400: errorBody },
      }),
    },
    async (request) => {
      const kommune = request.principal!.kommune;
      const { all: _all, ...filter } = request.query as z.infer<typeof deleteQuery>;
      const deleted = deadLetters.removeMatching(kommune, filter);
      deadLetters.increment(kommune, { 'dead-letters.deleted': deleted });
      auditor.record(request, 'integration-dead-letters.deleted', { detail: { filter, deleted } });
      return { deleted };
    },
  );
}
