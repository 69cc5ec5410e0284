// The security headers every answer carries (the UI, Swagger UI, bull-board and the API
// alike): a strict Content-Security-Policy (scripts from this origin only, no inline
// script, no eval; inline styles for Svelte transitions and Swagger UI; nothing from
// other hosts, bull-board's web font included; no framing; the live channel is
// same-origin), nosniff, no referrer, no framing. The values are fixed, so they are
// computed once; on @hono/node-server they go straight onto the node response, which
// merges them with the answer's own headers when it writes them, instead of being set
// one by one on the answer's Headers object after the handler (a few microseconds of
// header validation per header and request, on every status poll).
import type { MiddlewareHandler } from 'hono';
import { nodeResponse } from './node-request.js';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'", // bull-board's page sets <base href="/admin/queues/">
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** name → value, in the order they are set */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['Content-Security-Policy', CSP],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'DENY'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];

/** Sets SECURITY_HEADERS on every answer; an answer that sets one of them itself keeps its own. */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    const outgoing = nodeResponse(c);
    if (outgoing && !outgoing.headersSent) {
      // writeHead() lets the answer's own headers replace these
      for (const [name, value] of SECURITY_HEADERS) outgoing.setHeader(name, value);
      return next();
    }
    await next();
    const headers = c.res.headers;
    for (const [name, value] of SECURITY_HEADERS) if (!headers.has(name)) headers.set(name, value);
  };
}
