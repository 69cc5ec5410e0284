// The status poll answered on the node request itself, before Hono: `GET …/status` with no
// query string and a bearer token, while a status read may still answer (status-state.ts).
// It is the one route pollers hit thousands of times a second, and there Hono's request
// and context objects, the router and the middleware chain cost more than the answer. The
// answer is the one the app gives (same body, status, ETag/304, headers in the same order,
// request id, metrics series, request log line), from the same pieces: the token store and
// failed-authentication throttle, the route's role, the summary cache, SECURITY_HEADERS,
// requestIdOf(), logRequestEnd(). Anything else (no bearer token, a token or client the
// checks would refuse or must ask Redis about, a WebSocket upgrade, a read due) is left
// to the app, untouched: nothing here has been written or counted when it declines.
// Rationale: docs/operations.md (What a poll costs the API).
import { createServer, type IncomingMessage, type RequestListener, type ServerOptions, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Role } from '../contract/index.js';
import type { AuthThrottle } from './auth-throttle.js';
import { bearerToken, hasRole } from './auth.js';
import { nodeClientAddress } from './client-address.js';
import type { RequestMetrics } from './metrics.js';
import { rawHeader } from './node-request.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { logRequestEnd } from './request-log.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { matchesIfNoneMatch, type SummaryCache } from './status-body.js';
import type { StatusStateReader } from './status-state.js';
import type { TokenStore } from './tokens.js';

export interface StatusPollOptions {
  /** the summary's path, e.g. /api/v1/admin/migrations/status */
  path: string;
  /** the role the route requires */
  role: Role;
  tokens: TokenStore;
  throttle: AuthThrottle;
  trustProxy: boolean;
  statusState: StatusStateReader;
  summaries: SummaryCache;
  metrics: RequestMetrics;
  logger: Logger;
}

/** Answers the request and returns true, or returns false having done nothing. */
export type StatusPoll = (incoming: IncomingMessage, outgoing: ServerResponse) => boolean;

export function statusPoll({ path, role, tokens, throttle, trustProxy, statusState, summaries, metrics, logger }: StatusPollOptions): StatusPoll {
  /** an answer's header list (without the request id's value), made once per answer */
  const headerLists = new WeakMap<Readonly<Record<string, string>>, string[]>();
  const headerList = (answerHeaders: Readonly<Record<string, string>>): string[] => {
    let list = headerLists.get(answerHeaders);
    if (!list) {
      // the app's order: the request id, the security headers, then the answer's own
      list = [REQUEST_ID_HEADER, '', ...SECURITY_HEADERS.flat(), ...Object.entries(answerHeaders).flat()];
      headerLists.set(answerHeaders, list);
    }
    return list;
  };

  return function serveStatusPoll(incoming, outgoing) {
    if (incoming.method !== 'GET' || incoming.url !== path) return false;
    const started = performance.now();
    // a WebSocket upgrade is a state change to the same-origin check: the app judges it
    if (rawHeader(incoming, 'upgrade') !== undefined) return false;
    const authorization = rawHeader(incoming, 'authorization');
    if (authorization === undefined) return false;
    // as authenticate(): the throttle first (a throttled client gets 429 whatever it presents), then the token
    if (!throttle.knownClean(nodeClientAddress(incoming, trustProxy))) return false;
    const entry = tokens.verify(bearerToken(authorization));
    if (!entry || !hasRole(entry.role, role)) return false;
    const state = statusState.fresh();
    if (!state) return false;

    const id = requestIdOf(rawHeader(incoming, 'x-request-id'));
    const summary = summaries.answer(state);
    const notModified = matchesIfNoneMatch(rawHeader(incoming, 'if-none-match'), summary.etag);
    const status = notModified ? 304 : 200;
    const headers = headerList(notModified ? summary.notModifiedHeaders : summary.headers).slice();
    headers[1] = id;
    outgoing.writeHead(status, headers);
    if (notModified) outgoing.end();
    else outgoing.end(summary.body);

    metrics.record('GET', path, status, (performance.now() - started) / 1000);
    logRequestEnd(logger, () => logger.child({ reqId: id }), { method: 'GET', path, status, started, user: entry.name });
    return true;
  };
}

/** node:http's createServer for @hono/node-server's serve(): each request is offered to `poll` before the app's listener. */
export function withStatusPoll(poll: StatusPoll): typeof createServer {
  return ((options: ServerOptions, listener: RequestListener) =>
    createServer(options, (incoming, outgoing) => {
      let answered: boolean;
      try {
        answered = poll(incoming, outgoing);
      } catch {
        // never expected; thrown out of a request listener it would end the process. The
        // app answers instead (and reports what fails there), unless the answer is out.
        answered = outgoing.headersSent;
      }
      if (!answered) listener(incoming, outgoing);
    })) as typeof createServer;
}
