// The UI's pages, addressed by the URL hash so the API can serve one static index.html:
// `#/` migrations, `#/history`, `#/history/<runId>` (history with that run opened).
export type Route = { page: 'migrations' } | { page: 'history'; runId: string | null };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '');
  const [first, second] = path.split('/');
  if (first === 'history') return { page: 'history', runId: second ? decodeURIComponent(second) : null };
  return { page: 'migrations' };
}

export function hrefFor(route: Route): string {
  if (route.page === 'history') return route.runId ? `#/history/${encodeURIComponent(route.runId)}` : '#/history';
  return '#/';
}
