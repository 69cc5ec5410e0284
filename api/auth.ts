// Authentication and authorisation middleware. `authenticate` runs for every request
// (secure by default: only what `isPublic` names goes without a token) and accepts
// `Authorization: Bearer <token>` or the session cookie; `requireRole` guards a route.
// Missing/invalid credentials → 401 with WWW-Authenticate; too low a role → 403.
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import type { Role } from '../contract/index.js';
import type { Principal } from './context.js';
import { ApiError } from './errors.js';
import { SESSION_COOKIE, verifySession } from './session.js';
import type { TokenStore } from './tokens.js';

export interface AuthenticateOptions {
  tokens: TokenStore;
  /** requests that need no token (health probes, static UI files) */
  isPublic?: (c: Context) => boolean;
  now?: () => number;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

function unauthorized(message: string, tokenGiven: boolean): ApiError {
  const challenge = tokenGiven ? 'Bearer realm="duckmig", error="invalid_token"' : 'Bearer realm="duckmig"';
  return new ApiError(401, tokenGiven ? 'invalid-token' : 'unauthorized', message, {
    headers: { 'WWW-Authenticate': challenge },
  });
}

/** Resolves the caller from the Authorization header or the session cookie; null when neither is present. */
export function principalFrom(c: Context, tokens: TokenStore, now = Date.now()): Principal | null {
  const header = c.req.header('Authorization');
  if (header !== undefined) {
    const entry = tokens.verify(BEARER.exec(header)?.[1] ?? '');
    if (!entry) throw unauthorized('the bearer token is not valid', true);
    return { name: entry.name, role: entry.role, via: 'bearer' };
  }
  const session = getCookie(c, SESSION_COOKIE);
  if (session !== undefined) {
    const entry = verifySession(session, tokens, now);
    if (!entry) {
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      throw unauthorized('the session has expired or is no longer valid; sign in again', true);
    }
    return { name: entry.name, role: entry.role, via: 'cookie' };
  }
  return null;
}

export function authenticate({ tokens, isPublic = () => false, now = Date.now }: AuthenticateOptions): MiddlewareHandler {
  return async function authenticate(c, next) {
    if (isPublic(c)) return next();
    const principal = principalFrom(c, tokens, now());
    if (!principal) throw unauthorized('a token is required (Authorization: Bearer <token>, or sign in)', false);
    c.set('principal', principal);
    await next();
  };
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function requireRole(required: Role): MiddlewareHandler {
  return async function requireRole(c, next) {
    const principal = c.get('principal');
    if (!principal) throw unauthorized('a token is required', false);
    if (RANK[principal.role] < RANK[required]) {
      throw new ApiError(403, 'forbidden', `"${principal.name}" has the role ${principal.role}; this needs ${required}`, {
        details: { role: principal.role, required },
      });
    }
    await next();
  };
}
