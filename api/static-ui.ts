// The admin UI's static files (built into dist/ui), served without a token because
// they carry no data: the UI signs in through /api/v1/session. Any GET outside the
// API's own prefixes that matches no file gets index.html (SPA routing). Hashed assets
// are cached for good, index.html is revalidated (ETag, 304); the build's .br/.gz copies
// go out by Accept-Encoding; source maps are never served.
// Pre-compressed at build time rather than Hono's compress(): brotli at top quality costs nothing per request.
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Context, Env, Hono } from 'hono';
import { getMimeType } from 'hono/utils/mime';

const RESERVED = /^\/(api|admin|metrics|healthz|readyz)(\/|$)/;
/** Vite's output: /assets/<name>-<hash>.<ext>; the hash changes with the content */
const HASHED_ASSET = /^\/assets\/[^/]+-[\w-]{8,}\.\w+$/;
export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';
/** preferred first; each is a file the build wrote beside the original */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/** A request the static UI may answer (and that therefore needs no token). */
export function isStaticUiRequest(c: Context): boolean {
  return (c.req.method === 'GET' || c.req.method === 'HEAD') && !RESERVED.test(c.req.path);
}

export interface StaticUiOptions {
  /** the built UI directory, e.g. dist/ui */
  dir: string;
}

export function registerStaticUi(app: Hono<Env>, { dir }: StaticUiOptions): void {
  const root = resolve(dir);
  app.get('*', async function staticUi(c, next) {
    if (!isStaticUiRequest(c)) return next();
    const path = decodePath(c.req.path);
    if (path === null || path.endsWith('.map')) return c.notFound();
    const file = path.endsWith('/') ? null : await fileIn(root, path);
    if (file) return send(c, file, HASHED_ASSET.test(path) ? IMMUTABLE : REVALIDATE);
    const index = await fileIn(root, '/index.html');
    return index ? send(c, index, REVALIDATE) : next();
  });
}

/** the decoded request path, or null for one that could leave the folder */
function decodePath(raw: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return /(?:^|\/)\.\.?(?:\/|$)|\\|\0|\/\//.test(path) ? null : path;
}

async function fileIn(root: string, path: string): Promise<{ path: string; stats: Stats } | null> {
  const full = join(root, path);
  if (!full.startsWith(root + sep)) return null;
  const stats = await stat(full).catch(() => null);
  return stats?.isFile() ? { path: full, stats } : null;
}

/** encodings the client accepts (q > 0), from Accept-Encoding */
function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name && (q === undefined || Number(q) > 0)) accepted.add(name);
  }
  return accepted;
}

async function send(c: Context, file: { path: string; stats: Stats }, cacheControl: string): Promise<Response> {
  let { path, stats } = file;
  let encoding: string | null = null;
  let compressible = false;
  const accepted = acceptedEncodings(c.req.header('Accept-Encoding'));
  for (const candidate of ENCODINGS) {
    const variant = await stat(path + candidate.suffix).catch(() => null);
    if (!variant?.isFile()) continue;
    compressible = true;
    if (encoding === null && accepted.has(candidate.name)) {
      encoding = candidate.name;
      path += candidate.suffix;
      stats = variant;
    }
  }
  const etag = `"${stats.size.toString(36)}-${Math.floor(stats.mtimeMs).toString(36)}${encoding ? `-${encoding}` : ''}"`;
  c.header('Cache-Control', cacheControl);
  c.header('ETag', etag);
  if (compressible) c.header('Vary', 'Accept-Encoding');
  if (matches(c.req.header('If-None-Match'), etag)) return c.body(null, 304);
  c.header('Content-Type', getMimeType(file.path) ?? 'application/octet-stream');
  if (encoding) c.header('Content-Encoding', encoding);
  if (c.req.method === 'HEAD') {
    c.header('Content-Length', String(stats.size));
    return c.body(null, 200);
  }
  const body = await readFile(path); // the largest file is ~130 KB
  c.header('Content-Length', String(body.length));
  return c.body(body, 200);
}

/** If-None-Match names this ETag (weak comparison, as for GET) */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}
