// The UI's pages, addressed by the URL hash so the API can serve one static index.html:
// `#/` migrations, `#/history`, `#/history/<runId>` (history with that run opened), `#/schema`,
// `#/fleet`, `#/fleet/<targetId>` (the fleet with that target opened; its `/` sent as %2F),
// `#/webhooks` (the webhook delivery log, admins).
export type Route = { page: 'migrations' } | { page: 'history'; runId: string | null } | { page: 'schema' } | { page: 'fleet'; targetId: string | null } | { page: 'webhooks' };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '');
  const [first, second] = path.split('/');
  if (first === 'history') return { page: 'history', runId: second ? decodeURIComponent(second) : null };
  if (first === 'schema') return { page: 'schema' };
  if (first === 'fleet') return { page: 'fleet', targetId: second ? decodeURIComponent(second) : null };
  if (first === 'webhooks') return { page: 'webhooks' };
  return { page: 'migrations' };
}

export function hrefFor(route: Route): string {
  if (route.page === 'history') return route.runId ? `#/history/${encodeURIComponent(route.runId)}` : '#/history';
  if (route.page === 'schema') return '#/schema';
  if (route.page === 'fleet') return route.targetId ? `#/fleet/${encodeURIComponent(route.targetId)}` : '#/fleet';
  if (route.page === 'webhooks') return '#/webhooks';
  return '#/';
}
