// Who is calling, for per-client limits: the TCP peer's address, or, behind a reverse
// proxy that is trusted (DUCKMIG_TRUST_PROXY), the address that proxy appended last to
// X-Forwarded-For. Only the right-most entry is the proxy's own; anything left of it
// came from the client and could be made up.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('X-Forwarded-For')?.split(',').map((part) => part.trim()).filter(Boolean);
    const last = forwarded?.at(-1);
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // not served by @hono/node-server (app.request in tests)
  }
}
