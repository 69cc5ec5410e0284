// The admin UI's static files (built into dist/ui), served without a token because
// they carry no data: the UI signs in through /api/v1/session. Any GET outside the
// API's own prefixes that matches no file gets index.html (SPA routing).
import { relative, join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Context, Env, Hono } from 'hono';

const RESERVED = /^\/(api|admin|metrics|healthz|readyz)(\/|$)/;

/** A request the static UI may answer (and that therefore needs no token). */
export function isStaticUiRequest(c: Context): boolean {
  return (c.req.method === 'GET' || c.req.method === 'HEAD') && !RESERVED.test(c.req.path);
}

export interface StaticUiOptions {
  /** the built UI directory, e.g. dist/ui */
  dir: string;
}

export function registerStaticUi(app: Hono<Env>, { dir }: StaticUiOptions): void {
  // serveStatic wants a root relative to the working directory.
  const root = relative(process.cwd(), dir) || '.';
  const files = serveStatic({ root });
  const indexHtml = serveStatic({ path: join(root, 'index.html') });
  app.get('*', function staticUiFile(c, next) {
    return isStaticUiRequest(c) ? files(c, next) : next();
  });
  app.get('*', function spaFallback(c, next) {
    return isStaticUiRequest(c) ? indexHtml(c, next) : next();
  });
}
