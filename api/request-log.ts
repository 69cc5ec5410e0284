// pino request logging: one line when a request ends, and the request's own logger (a
// child carrying its request id, from request-id.ts, echoed in X-Request-Id) for whatever
// a handler or middleware logs about it. The child is made the first time something logs
// through requestLogger(c), and the closing line is built only when its level is on:
// a status poll that logs nothing costs neither. Successful reads log at debug so status
// polling does not flood the log; writes, client errors and failures log at info/warn/error.
// Refused credentials (401) and throttled clients (429) log at debug too: a guessing client
// must not write a line per guess; auth-throttle.ts and rate-limit.ts log those in summary.
import type { Context, MiddlewareHandler } from 'hono';
import type { Level, Logger } from 'pino';

export interface RequestLogOptions {
  logger: Logger;
}

/** The request's logger, made on first use. */
class LazyRequestLogger {
  #child: Logger | undefined;
  constructor(
    readonly base: Logger,
    readonly requestId: string,
  ) {}

  get logger(): Logger {
    return (this.#child ??= this.base.child({ reqId: this.requestId }));
  }
}

declare module 'hono' {
  interface ContextVariableMap {
    requestLogger: LazyRequestLogger;
  }
}

/** The logger for this request (its lines carry its request id); undefined outside requestLog. */
export function requestLogger(c: Context): Logger | undefined {
  return c.get('requestLogger')?.logger;
}

function levelOf(method: string, status: number): Level {
  if (status >= 500) return 'error';
  if (status === 401 || status === 429) return 'debug';
  if (status >= 400) return 'warn';
  return method === 'GET' || method === 'HEAD' ? 'debug' : 'info';
}

const MESSAGES: Record<Level, string> = {
  fatal: 'request failed',
  error: 'request failed',
  warn: 'request rejected',
  info: 'request',
  debug: 'request',
  trace: 'request',
};

/** What the closing line says about a request. */
export interface RequestEnd {
  method: string;
  path: string;
  status: number;
  /** performance.now() when it arrived */
  started: number;
  /** the token's or session's name */
  user: string | undefined;
}

/** The request's closing line, at the level its method and status call for (built only when that level is on). */
export function logRequestEnd(base: Logger, requestLogger: () => Logger, { method, path, status, started, user }: RequestEnd): void {
  const level = levelOf(method, status);
  if (!base.isLevelEnabled(level)) return;
  const line = { method, path, status, durationMs: Math.round((performance.now() - started) * 100) / 100, user };
  requestLogger()[level](line, status === 401 || status === 429 ? 'request rejected' : MESSAGES[level]);
}

export function requestLog({ logger }: RequestLogOptions): MiddlewareHandler {
  return async function requestLog(c, next) {
    const started = performance.now();
    const lazy = new LazyRequestLogger(logger, c.get('requestId'));
    c.set('requestLogger', lazy);
    await next();
    logRequestEnd(logger, () => lazy.logger, { method: c.req.method, path: c.req.path, status: c.res.status, started, user: c.get('principal')?.name });
  };
}
