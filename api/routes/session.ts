// /api/v1/whoami and the browser session: GET /api/v1/session tells whether the caller is
// signed in (200 signed out too), POST /api/v1/session trades a token (body
// or Authorization header) for the `duckmig_session` cookie (HttpOnly, SameSite=Strict,
// Path=/, Secure over https), DELETE revokes the session and clears the cookie. Sessions
// live in Redis (session.ts); failed sign-ins count towards the client's throttle.
// A sub-app mounted at SESSION_ROUTES_BASE.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { API_PREFIX } from '../../contract/index.js';
import type { AuthThrottle } from '../auth-throttle.js';
import { clientAddress } from '../client-address.js';
import { ApiError } from '../errors.js';
import { requestLogger } from '../request-log.js';
import { SESSION_COOKIE, type SessionStore } from '../session.js';
import type { TokenStore } from '../tokens.js';
import { sessionCheckRoute, signInRoute, signOutRoute, whoamiRoute } from './definitions.js';
import { relativeTo, routeGroup } from './group.js';
import { guards } from './guards.js';

export const SESSION_ROUTES_BASE = API_PREFIX;

export interface SessionRoutesDeps {
  tokens: TokenStore;
  sessions: SessionStore;
  throttle: AuthThrottle;
  trustProxy: boolean;
  sessionTtlMs: number;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('X-Forwarded-Proto') === 'https';
}

function cookieOptions(c: Context) {
  return { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) } as const;
}

export function sessionRoutes({ tokens, sessions, throttle, trustProxy, sessionTtlMs }: SessionRoutesDeps): OpenAPIHono {
  const app = routeGroup();
  app.openapi(relativeTo(SESSION_ROUTES_BASE, { ...whoamiRoute, middleware: guards(whoamiRoute) }), function whoami(c) {
    const { name, role } = c.get('principal');
    return c.json({ name, role }, 200);
  });

  // Optional in the auth middleware: signed out is an answer here, not an error.
  app.openapi(relativeTo(SESSION_ROUTES_BASE, sessionCheckRoute), function sessionCheck(c) {
    const principal = c.get('principal');
    if (!principal) return c.json({ signedIn: false as const }, 200);
    return c.json({ signedIn: true as const, name: principal.name, role: principal.role }, 200);
  });

  // Public in the auth middleware: the token it carries is the credential.
  app.openapi(relativeTo(SESSION_ROUTES_BASE, signInRoute), async function signIn(c) {
    const presented = c.req.valid('json').token ?? BEARER.exec(c.req.header('Authorization') ?? '')?.[1];
    const challenge = { 'WWW-Authenticate': 'Bearer realm="duckmig"' };
    if (!presented) {
      throw new ApiError(401, 'unauthorized', 'send {"token": "…"} or an Authorization: Bearer header', { headers: challenge });
    }
    const client = clientAddress(c, trustProxy);
    await throttle.assertAllowed(client);
    const entry = tokens.verify(presented);
    if (!entry) {
      await throttle.recordFailure(client, requestLogger(c), 'sign-in');
      throw new ApiError(401, 'invalid-token', 'the token is not valid', { headers: challenge });
    }
    setCookie(c, SESSION_COOKIE, await sessions.create(entry), {
      ...cookieOptions(c),
      maxAge: Math.floor(sessionTtlMs / 1000),
    });
    return c.json({ name: entry.name, role: entry.role }, 200);
  });

  app.openapi(relativeTo(SESSION_ROUTES_BASE, { ...signOutRoute, middleware: guards(signOutRoute) }), async function signOut(c) {
    const value = getCookie(c, SESSION_COOKIE);
    if (value !== undefined) await sessions.revoke(value);
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    return c.body(null, 204);
  });
  return app;
}
