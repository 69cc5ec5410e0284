// Every answer carries X-Request-Id: the caller's own id when it sent a plausible one
// (word characters, '-' and '=', at most 255), else a fresh UUID; handlers, the log and
// error bodies find it as c.get('requestId'). Like hono/request-id, except that on
// @hono/node-server the header goes onto the node response (node-request.ts), so an
// answer that sets no other header is written without building a Headers object.
import type { MiddlewareHandler } from 'hono';
import { nodeResponse, requestHeader } from './node-request.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const MAX_LENGTH = 255;
const UNSAFE = /[^\w\-=]/;

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
  }
}

/** The id of a request that sent `given` as its X-Request-Id (or none). */
export function requestIdOf(given: string | undefined): string {
  return given && given.length <= MAX_LENGTH && !UNSAFE.test(given) ? given : crypto.randomUUID();
}

export function requestId(): MiddlewareHandler {
  return async function requestId(c, next) {
    const id = requestIdOf(requestHeader(c, REQUEST_ID_HEADER));
    c.set('requestId', id);
    const outgoing = nodeResponse(c);
    if (outgoing && !outgoing.headersSent) outgoing.setHeader(REQUEST_ID_HEADER, id);
    else c.header(REQUEST_ID_HEADER, id);
    await next();
  };
}
