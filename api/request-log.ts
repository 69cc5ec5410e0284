// pino request logging: every request gets a child logger carrying its request id
// (hono's requestId middleware, echoed in X-Request-Id) and one line when it ends.
// Successful reads log at debug so status polling does not flood the log; writes,
// client errors and failures log at info/warn/error. Refused credentials (401) and
// throttled clients (429) log at debug too: a guessing client must not write a line per
// guess; auth-throttle.ts and rate-limit.ts log those in summary.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';

export interface RequestLogOptions {
  logger: Logger;
}

export function requestLog({ logger }: RequestLogOptions): MiddlewareHandler {
  return async function requestLog(c, next) {
    const started = performance.now();
    const log = logger.child({ reqId: c.get('requestId') });
    c.set('logger', log);
    await next();
    const status = c.res.status;
    const line = {
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      user: c.get('principal')?.name,
    };
    if (status >= 500) log.error(line, 'request failed');
    else if (status === 401 || status === 429) log.debug(line, 'request rejected');
    else if (status >= 400) log.warn(line, 'request rejected');
    else if (c.req.method === 'GET' || c.req.method === 'HEAD') log.debug(line, 'request');
    else log.info(line, 'request');
  };
}
