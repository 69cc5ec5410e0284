// The one error shape of the API: `{ error: { code, message, details } }`. Handlers
// throw ApiError (or Hono's HTTPException); `onApiError` maps every error, including
// Redis being away (503 redis-unavailable) and unexpected ones (500, logged), to it.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorBody } from '../contract/index.js';
import { requestLogger } from './request-log.js';

export interface ApiErrorOptions {
  details?: unknown;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class ApiError extends HTTPException {
  override readonly name = 'ApiError';
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, code: string, message: string, options: ApiErrorOptions = {}) {
    super(status, { message, cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

const CODE_BY_STATUS: Partial<Record<number, string>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
  503: 'unavailable',
};

const REDIS_DOWN = /Command timed out|enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|max retries per request/i;

/** True when the error (or one of its causes) says Redis cannot be reached right now. */
export function isRedisUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'MaxRetriesPerRequestError' || REDIS_DOWN.test(e.message)) return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (code && REDIS_DOWN.test(code)) return true;
  }
  return false;
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

function respond(c: Context, status: ContentfulStatusCode, body: ErrorBody, headers: Record<string, string> = {}) {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json(body, status);
}

/** app.onError: every thrown error becomes the one JSON shape; only real faults are 5xx. */
export const onApiError: ErrorHandler = function onApiError(err, c) {
  const requestId = c.get('requestId');
  if (err instanceof ApiError) {
    return respond(c, err.status as ContentfulStatusCode, errorBody(err.code, err.message, err.details), err.headers);
  }
  if (err instanceof HTTPException) {
    // Hono's own (malformed JSON, body limit, media type, …): never echo a prepared `res`.
    const status = err.status as ContentfulStatusCode;
    return respond(c, status, errorBody(CODE_BY_STATUS[status] ?? 'http-error', err.message || 'request failed'));
  }
  if (isRedisUnavailable(err)) {
    requestLogger(c)?.warn({ err, requestId }, 'redis unavailable');
    return respond(c, 503, errorBody('redis-unavailable', 'Redis cannot be reached; try again shortly'), { 'Retry-After': '5' });
  }
  requestLogger(c)?.error({ err, requestId }, 'unhandled error');
  return respond(c, 500, errorBody('internal', 'internal error', { requestId }));
};

/** The 400 for input that fails its zod schema; details carry the issues (never the input). */
export function invalidRequest(target: string, issues: readonly unknown[]): ApiError {
  return new ApiError(400, 'invalid-request', `the request ${target} does not match the schema`, {
    details: { target, issues },
  });
}

/** defaultHook for OpenAPIHono: a failed validation throws, so onApiError shapes it. */
export function throwOnInvalid(result: { success: boolean; target: string; error?: unknown }): void {
  if (!result.success) {
    const issues = (result.error as { issues?: unknown[] } | undefined)?.issues ?? [];
    throw invalidRequest(result.target === 'json' ? 'body' : result.target, issues);
  }
}

export const onNotFound: NotFoundHandler = function onNotFound(c) {
  return c.json(errorBody('not-found', `no route for ${c.req.method} ${c.req.path}`), 404);
};
