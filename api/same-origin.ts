// Refuses state-changing requests and WebSocket upgrades that a browser sent from another
// origin: a page on another port of the same host, or a sibling subdomain, is the same
// *site* for the browser, so SameSite cookies alone do not stop it. The browser says
// where a request comes from in `Sec-Fetch-Site` and `Origin`; both must agree with
// duckmig's own origin, or the Origin must be one of the configured allowed origins (a
// UI or reverse proxy on another address). Clients that send neither (CLI, curl, deploy
// jobs) are not browsers and pass; reads (GET/HEAD) carry no state change and pass too.
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';
import { requestHeader } from './node-request.js';

export interface SameOriginOptions {
  /** extra origins allowed to make state-changing requests, e.g. https://duckmig.example.com */
  allowedOrigins?: readonly string[];
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isWebSocketUpgrade(c: Context): boolean {
  return requestHeader(c, 'Upgrade')?.toLowerCase() === 'websocket';
}

/** True for requests that may change state: every non-read method, and WebSocket upgrades. */
export function changesState(c: Context): boolean {
  return !SAFE_METHODS.has(c.req.method) || isWebSocketUpgrade(c);
}

/** The origin this request was addressed to, as the browser sees it (behind TLS-terminating proxies too). */
function ownOrigin(c: Context): string {
  const url = new URL(c.req.url);
  const proto = c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim();
  const scheme = proto === 'https' || proto === 'http' ? `${proto}:` : url.protocol;
  return `${scheme}//${c.req.header('Host') ?? url.host}`;
}

function refused(origin: string | undefined, site: string | undefined): ApiError {
  return new ApiError(
    403,
    'cross-origin',
    'requests that change state must come from duckmig\'s own pages; add the page\'s origin to DUCKMIG_ALLOWED_ORIGINS if it is yours',
    { details: { origin: origin ?? null, secFetchSite: site ?? null } },
  );
}

export function requireSameOrigin({ allowedOrigins = [] }: SameOriginOptions = {}): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return async function requireSameOrigin(c, next) {
    if (!changesState(c)) return next();
    const origin = c.req.header('Origin');
    const site = c.req.header('Sec-Fetch-Site');
    if (origin !== undefined && allowed.has(origin)) return next();
    // 'none': typed or bookmarked by the user (never a page's script)
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw refused(origin, site);
    if (origin !== undefined && origin !== ownOrigin(c)) throw refused(origin, site);
    return next();
  };
}
