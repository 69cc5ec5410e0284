// Swagger UI for the OpenAPI document at /api/docs, served from the swagger-ui-dist package
// on this machine (no CDN: duckmig runs on networks without internet access).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Env, Hono, MiddlewareHandler } from 'hono';
import { API_PREFIX } from '../contract/index.js';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

function page(): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>duckmig API</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/assets/init.js"></script>
</body>
</html>`;
}

// "Try it out" signs its requests like the UI does, so changes made with the session cookie pass
const INIT = `window.ui = SwaggerUIBundle({ url: '${API_PREFIX}/openapi.json', dom_id: '#swagger-ui', withCredentials: true, requestInterceptor: (req) => { req.headers['X-Duckmig-Request'] = '1'; return req; } });\n`;

export function registerDocsUi(app: Hono<Env>, guard: MiddlewareHandler): void {
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, string>();
  app.get('/api/docs', guard, function apiDocsPage(c) {
    return c.html(page());
  });
  app.get('/api/docs/assets/:file', guard, async function apiDocsAsset(c) {
    const file = c.req.param('file');
    if (file === 'init.js') return c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' });
    const type = ASSETS[file];
    if (!type) return c.json({ error: { code: 'not-found', message: `no such asset: ${file}` } }, 404);
    let body = cache.get(file);
    if (body === undefined) {
      body = await readFile(join(dist, file), 'utf8');
      cache.set(file, body);
    }
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}
