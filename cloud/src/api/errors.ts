import type { FastifyError, FastifyInstance } from 'fastify';

/** An answer other than 2xx a handler chooses; the message is shown to the client. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The error body of every answer: `{ error }`, nothing else (no stack, no internals). */
export interface ErrorBody {
  error: string;
}

const fixedMessages: Record<number, string> = {
  401: 'unauthorized',
  413: 'body too large',
  429: 'too many requests',
};

/**
 * One error handler for the cloud: client errors say what is wrong (validation names the field);
 * server errors are logged and answered without detail.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({ error: 'internal error' } satisfies ErrorBody);
    }
    let message = fixedMessages[status] ?? error.message;
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) message = 'body is not JSON';
    else if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') message = 'body is missing';
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = 'unsupported content-type';
    return reply.code(status).send({ error: message } satisfies ErrorBody);
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' } satisfies ErrorBody));
}
