// The page a browser gets instead of the JSON error when it opens the queue page
// (bull-board, admins only) signed out or with too low a role: what is needed and a
// link to sign in. Only for requests that ask for HTML; API clients keep the JSON error
// (same status, same WWW-Authenticate).
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

const DENIED_CODES = new Set(['unauthorized', 'invalid-token', 'forbidden']);

export interface QueuePageDeniedOptions {
  /** the queue page's mount point, e.g. /admin/queues */
  basePath: string;
}

/** Middleware placed before authentication: rewrites its 401/403 into the page for browsers. */
export function queuePageDenied({ basePath }: QueuePageDeniedOptions): MiddlewareHandler {
  return async function queuePageDenied(c, next) {
    await next();
    const err = c.error;
    if (!(err instanceof ApiError) || !DENIED_CODES.has(err.code)) return;
    if (!isQueuePage(c.req.path, basePath) || !wantsHtml(c)) return;
    const principal = c.get('principal') as { name: string; role: string } | undefined;
    const page = deniedPage(err.status === 403 && principal ? { name: principal.name, role: principal.role } : null);
    // the setter keeps the error's other headers (WWW-Authenticate, a cleared cookie)
    c.res = new Response(page, { status: err.status, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
    c.res.headers.delete('Content-Length');
    c.res.headers.set('Cache-Control', 'no-store');
  };
}

function isQueuePage(path: string, basePath: string): boolean {
  return path === basePath || path.startsWith(`${basePath}/`);
}

/** a browser navigation: text/html listed in Accept (bull-board's own fetches ask for JSON) */
function wantsHtml(c: Context): boolean {
  return /(?:^|,)\s*text\/html\s*(?:[;,]|$)/i.test(c.req.header('Accept') ?? '');
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function deniedPage(signedInAs: { name: string; role: string } | null): string {
  const [title, text] = signedInAs
    ? [
        'The queue page needs the admin role',
        `You are signed in as <strong>${escapeHtml(signedInAs.name)}</strong> with the role <strong>${escapeHtml(signedInAs.role)}</strong>. The queue page (bull-board) shows and changes every job, so only admins may open it. <a href="/">Back to duckmig</a>, or sign out there and sign in with an admin token.`,
      ]
    : [
        'Sign in to open the queue page',
        'The queue page (bull-board) is for admins. <a href="/">Sign in to duckmig</a> with an admin token, then open this page again.',
      ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · duckmig</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 3rem 1.5rem; color: #1f2328; background: #f6f8fa; }
  main { max-width: 34rem; margin: 0 auto; padding: 1.5rem 2rem; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; }
  h1 { font-size: 1.35rem; margin: 0 0 .75rem; }
  a { color: #0969da; }
</style>
</head>
<body>
<main>
<h1>${title}</h1>
<p>${text}</p>
</main>
</body>
</html>
`;
}
