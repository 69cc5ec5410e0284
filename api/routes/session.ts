// /api/v1/whoami and the browser session: POST /api/v1/session trades a token (body
// or Authorization header) for the `duckmig_session` cookie (HttpOnly, SameSite=Strict,
// Path=/, Secure over https), DELETE clears it. The cookie format is in session.ts.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { ApiError } from '../errors.js';
import { SESSION_COOKIE, signSession } from '../session.js';
import type { TokenStore } from '../tokens.js';
import { signInRoute, signOutRoute, whoamiRoute } from './definitions.js';
import { guards } from './guards.js';

export interface SessionRoutesDeps {
  tokens: TokenStore;
  sessionTtlMs: number;
  now?: () => number;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('X-Forwarded-Proto') === 'https';
}

function cookieOptions(c: Context) {
  return { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) } as const;
}

export function registerSessionRoutes(app: OpenAPIHono, { tokens, sessionTtlMs, now = Date.now }: SessionRoutesDeps): void {
  app.openapi({ ...whoamiRoute, middleware: guards(whoamiRoute) }, function whoami(c) {
    const { name, role } = c.get('principal');
    return c.json({ name, role }, 200);
  });

  // Public in the auth middleware: the token it carries is the credential.
  app.openapi(signInRoute, function signIn(c) {
    const presented = c.req.valid('json').token ?? BEARER.exec(c.req.header('Authorization') ?? '')?.[1];
    const challenge = { 'WWW-Authenticate': 'Bearer realm="duckmig"' };
    if (!presented) {
      throw new ApiError(401, 'unauthorized', 'send {"token": "…"} or an Authorization: Bearer header', { headers: challenge });
    }
    const entry = tokens.verify(presented);
    if (!entry) throw new ApiError(401, 'invalid-token', 'the token is not valid', { headers: challenge });
    setCookie(c, SESSION_COOKIE, signSession(entry, now() + sessionTtlMs), {
      ...cookieOptions(c),
      maxAge: Math.floor(sessionTtlMs / 1000),
    });
    return c.json({ name: entry.name, role: entry.role }, 200);
  });

  app.openapi({ ...signOutRoute, middleware: guards(signOutRoute) }, function signOut(c) {
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
    return c.body(null, 204);
  });
}
