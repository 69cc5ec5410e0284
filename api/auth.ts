// Authentication and authorisation middleware. `authenticate` runs for every request
// (secure by default: only what `isPublic` names goes without a token) and accepts
// `Authorization: Bearer <token>` or the session cookie (a session kept in Redis);
// `requireRole` guards a route; the session check alone answers without credentials.
// Missing/invalid credentials → 401 with WWW-Authenticate;
// too low a role → 403; too many failures from one client → 429 (auth-throttle.ts).
// A state change authenticated by the cookie must also carry X-Duckmig-Request or a
// JSON body: a page of another origin cannot send either without CORS (same-origin.ts
// checks where the request comes from).
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import type { Role } from '../contract/index.js';
import type { AuthThrottle } from './auth-throttle.js';
import { clientAddress } from './client-address.js';
import type { Principal } from './context.js';
import { ApiError } from './errors.js';
import { requestHeader } from './node-request.js';
import { requestLogger } from './request-log.js';
import { changesState, isWebSocketUpgrade } from './same-origin.js';
import { SESSION_COOKIE, type SessionStore } from './session.js';
import type { TokenStore } from './tokens.js';

export interface AuthenticateOptions {
  tokens: TokenStore;
  sessions: SessionStore;
  throttle: AuthThrottle;
  /** take the client address from X-Forwarded-For (behind a trusted reverse proxy) */
  trustProxy?: boolean;
  /** requests that need no token (health probes, static UI files) */
  isPublic?: (c: Context) => boolean;
  /** paths whose cookie-authenticated changes need no custom header (bull-board's own UI) */
  headerExempt?: (c: Context) => boolean;
  /** requests that also answer the signed-out (the UI's session check): no credentials, or a stale cookie, leave no principal instead of a 401 */
  isOptional?: (c: Context) => boolean;
}

export const CUSTOM_HEADER = 'X-Duckmig-Request';
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token in an Authorization header ('' when it is not `Bearer <token>`). */
export function bearerToken(header: string): string {
  return BEARER.exec(header)?.[1] ?? '';
}

function unauthorized(message: string, tokenGiven: boolean): ApiError {
  const challenge = tokenGiven ? 'Bearer realm="duckmig", error="invalid_token"' : 'Bearer realm="duckmig"';
  return new ApiError(401, tokenGiven ? 'invalid-token' : 'unauthorized', message, {
    headers: { 'WWW-Authenticate': challenge },
  });
}

/** A request that a page of another origin could not have sent without CORS. */
function carriesCustomHeader(c: Context): boolean {
  if (c.req.header(CUSTOM_HEADER) !== undefined) return true;
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header('Content-Type') ?? '');
}

export function authenticate({
  tokens,
  sessions,
  throttle,
  trustProxy = false,
  isPublic = () => false,
  headerExempt = () => false,
  isOptional = () => false,
}: AuthenticateOptions): MiddlewareHandler {
  async function resolve(c: Context): Promise<Principal | null> {
    const header = requestHeader(c, 'Authorization');
    const cookie = header === undefined ? getCookie(c, SESSION_COOKIE) : undefined;
    if (header === undefined && cookie === undefined) return null;
    const client = clientAddress(c, trustProxy);
    if (header !== undefined) {
      await throttle.assertAllowed(client);
      const entry = tokens.verify(bearerToken(header));
      if (!entry) {
        await throttle.recordFailure(client, requestLogger(c), 'bearer token');
        throw unauthorized('the bearer token is not valid', true);
      }
      return { name: entry.name, role: entry.role, via: 'bearer' };
    }
    const [, entry] = await Promise.all([throttle.assertAllowed(client), sessions.verify(cookie!)]);
    if (!entry) {
      await throttle.recordFailure(client, requestLogger(c), 'session cookie');
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      if (isOptional(c)) return null;
      throw unauthorized('the session has expired or is no longer valid; sign in again', true);
    }
    return { name: entry.name, role: entry.role, via: 'cookie' };
  }

  return async function authenticate(c, next) {
    if (isPublic(c)) return next();
    const principal = await resolve(c);
    if (!principal && isOptional(c)) return next();
    if (!principal) throw unauthorized('a token is required (Authorization: Bearer <token>, or sign in)', false);
    if (principal.via === 'cookie' && changesState(c) && !isWebSocketUpgrade(c) && !headerExempt(c) && !carriesCustomHeader(c)) {
      throw new ApiError(403, 'custom-header-required', `a change made with the session cookie must send the ${CUSTOM_HEADER}: 1 header or a JSON body`);
    }
    c.set('principal', principal);
    await next();
  };
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` may do what `required` may. */
export function hasRole(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

export function requireRole(required: Role): MiddlewareHandler {
  return async function requireRole(c, next) {
    const principal = c.get('principal');
    if (!principal) throw unauthorized('a token is required', false);
    if (!hasRole(principal.role, required)) {
      throw new ApiError(403, 'forbidden', `"${principal.name}" has the role ${principal.role}; this needs ${required}`, {
        details: { role: principal.role, required },
      });
    }
    await next();
  };
}
