// Who is calling, for per-client limits: the TCP peer's address, or, behind a reverse
// proxy that is trusted (DUCKMIG_TRUST_PROXY), the address that proxy appended last to
// X-Forwarded-For. Only the right-most entry is the proxy's own; anything left of it
// came from the client and could be made up.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { rawHeader } from './node-request.js';

export function clientAddress(c: Context, trustProxy: boolean): string {
  const proxied = trustProxy ? proxiedClient(c.req.header('X-Forwarded-For')) : undefined;
  if (proxied) return proxied;
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // not served by @hono/node-server (app.request in tests)
  }
}

/** The client a node request comes from (what clientAddress() says of it on @hono/node-server). */
export function nodeClientAddress(incoming: IncomingMessage, trustProxy: boolean): string {
  return (trustProxy ? proxiedClient(rawHeader(incoming, 'x-forwarded-for')) : undefined) ?? incoming.socket.remoteAddress ?? 'unknown';
}

/** The entry the trusted proxy appended last to X-Forwarded-For. */
function proxiedClient(forwardedFor: string | undefined): string | undefined {
  return forwardedFor?.split(',').map((part) => part.trim()).filter(Boolean).at(-1);
}
