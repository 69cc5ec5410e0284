// Authentication and roles, route by route: the route walk fails whenever a route is
// added without protection, the matrix checks every route against every role.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, ErrorBody, WhoAmIResponse, type Role } from '../contract/index.js';
import { ROLES, startApiHarness, type ApiHarness } from '../test/support/api-harness.js';
import { createApp } from './app.js';
import { apiRoutes } from './routes/definitions.js';
import { fleetApiRoutes } from './routes/fleet-definitions.js';
import { createTokenStore } from './tokens.js';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } });
});
afterAll(async () => {
  await h?.close();
});

const OPEN = new Set(['/healthz', '/readyz']);
/** routes open for one method only: the UI's session check answers signed-out callers */
const OPEN_ROUTES = new Set([`GET ${API_PREFIX}/session`]);
const isOpen = (method: string, path: string) => OPEN.has(path) || OPEN_ROUTES.has(`${method} ${path}`);
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** A concrete URL for a registered route pattern. */
const concrete = (path: string) => path.replace(/\/:[^/]+/g, '/x').replace(/\*/g, 'x');
const openApiPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** The role each registered route needs; undefined means nobody classified it (a test failure). */
function requiredRole(method: string, path: string): Role | undefined {
  const documented = [...apiRoutes, ...fleetApiRoutes].find((r) => r.method.toUpperCase() === method && openApiPath(r.path) === path);
  if (documented) return documented['x-duckmig-role'];
  if (path === '/admin/queues' || path.startsWith('/admin/queues/')) return 'admin';
  if ([`${API_PREFIX}/openapi.json`, '/api/docs', '/api/docs/assets/:file', '/metrics'].includes(path)) return 'viewer';
  return undefined;
}

function handlerRoutes(app: ApiHarness['api']['app']) {
  const seen = new Set<string>();
  return app.routes.filter(({ method, path }) => {
    const key = `${method} ${path}`;
    if (method === 'ALL' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function settle(res: Response): Promise<Response> {
  await res.body?.cancel(); // SSE streams never end on their own
  return res;
}

describe('route walk: every registered route needs a token', () => {
  it('answers 401 JSON with WWW-Authenticate on every route but the probes', async () => {
    const walked: string[] = [];
    for (const { method, path } of h.api.app.routes) {
      const url = concrete(path);
      const res = await settle(await h.api.app.request(url, { method: method === 'ALL' ? 'GET' : method }));
      walked.push(`${method} ${path}`);
      if (isOpen(method, path)) {
        expect(res.status, `${method} ${path}`).not.toBe(401);
        continue;
      }
      expect(res.status, `${method} ${path} answered without a token`).toBe(401);
      expect(res.headers.get('WWW-Authenticate'), `${method} ${path}`).toMatch(/^Bearer realm="duckmig"/);
    }
    // the walk really covered the app
    expect(walked.length).toBeGreaterThan(20);
    expect(walked).toContain('POST /api/v1/admin/migrations/run');
    expect(walked).toContain('GET /admin/queues');
  });

  it('answers 401 invalid-token for a wrong or malformed bearer token', async () => {
    for (const header of [`Bearer ${h.tokens.admin.token}x`, 'Bearer', `Basic ${h.tokens.admin.token}`, h.tokens.admin.token]) {
      const res = await h.call(`${API_PREFIX}/whoami`, { headers: { Authorization: header } });
      expect(res.status).toBe(401);
      const body = ErrorBody.parse(await res.json());
      expect(body.error.code).toBe('invalid-token');
      expect(res.headers.get('WWW-Authenticate')).toContain('error="invalid_token"');
    }
  });

  it('leaves only the probes and the static UI open when a UI is served', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duckmig-ui-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>duckmig</title>');
    const withUi = createApp({ queue: h.queue, queueEvents: h.queueEvents, redis: h.redis, tokens: createTokenStore(Object.values(h.tokens)), uiDir: dir });
    try {
      for (const path of ['/', '/history', '/assets/app.js']) {
        const res = await withUi.app.request(path);
        expect(res.status, path).toBe(200);
        expect(await res.text()).toContain('<title>duckmig</title>');
      }
      for (const { method, path } of handlerRoutes(withUi.app)) {
        if (isOpen(method, path) || path === '/*') continue; // '/*' GET: the static UI itself
        const res = await settle(await withUi.app.request(concrete(path), { method }));
        expect(res.status, `${method} ${path}`).toBe(401);
      }
      expect((await withUi.app.request(`${API_PREFIX}/nope`)).status).toBe(401);
      expect((await withUi.app.request('/admin/queues')).status).toBe(401);
      expect((await withUi.app.request('/metrics')).status).toBe(401);
    } finally {
      withUi.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('roles', () => {
  it('classifies every registered route', () => {
    const unclassified = handlerRoutes(h.api.app)
      .filter(({ path }) => !OPEN.has(path))
      .filter(({ method, path }) => requiredRole(method, path) === undefined)
      .map(({ method, path }) => `${method} ${path}`);
    expect(unclassified).toEqual([]);
  });

  it('answers 403 below the required role and lets the required role and above through', async () => {
    for (const { method, path } of handlerRoutes(h.api.app)) {
      if (OPEN.has(path)) continue;
      const required = requiredRole(method, path)!;
      for (const role of ROLES) {
        const res = await settle(await h.api.app.request(concrete(path), { method, headers: h.auth(role) }));
        const label = `${role} ${method} ${path} (needs ${required})`;
        if (RANK[role] < RANK[required]) {
          expect(res.status, label).toBe(403);
          expect(res.headers.get('content-type'), label).toMatch(/application\/json/);
        } else {
          expect([401, 403], label).not.toContain(res.status);
          expect(res.status, label).toBeLessThan(500);
        }
      }
    }
  });

  it('explains a 403 with both roles', async () => {
    const res = await h.call(`${API_PREFIX}/admin/migrations/run`, { method: 'POST', role: 'viewer' });
    expect(res.status).toBe(403);
    expect(ErrorBody.parse(await res.json()).error).toMatchObject({ code: 'forbidden', details: { role: 'viewer', required: 'operator' } });
  });

  it('tells who is calling', async () => {
    for (const role of ROLES) {
      const res = await h.call(`${API_PREFIX}/whoami`, { role });
      expect(WhoAmIResponse.parse(await res.json())).toEqual({ name: h.tokens[role].name, role });
    }
  });
});

describe('browser session cookie', () => {
  const cookieOf = (res: Response) => res.headers.get('Set-Cookie') ?? '';

  it('signs in with a token in the body and sets an HttpOnly, SameSite=Strict cookie without the token', async () => {
    const res = await h.call(`${API_PREFIX}/session`, { method: 'POST', json: { token: h.tokens.admin.token } });
    expect(res.status).toBe(200);
    expect(WhoAmIResponse.parse(await res.json())).toEqual({ name: 'ada', role: 'admin' });
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/^duckmig_session=v2\./);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=43200/);
    expect(cookie).not.toMatch(/Secure/); // plain http here; set behind https
    expect(cookie).not.toContain(h.tokens.admin.token);
  });

  it('authenticates later requests, bull-board included, and signs out', async () => {
    const signIn = await h.call(`${API_PREFIX}/session`, { method: 'POST', headers: h.auth('admin') });
    const session = cookieOf(signIn).split(';')[0]!;
    const whoami = await h.call(`${API_PREFIX}/whoami`, { headers: { Cookie: session } });
    expect(await whoami.json()).toEqual({ name: 'ada', role: 'admin' });
    const board = await h.call('/admin/queues', { headers: { Cookie: session } });
    expect(board.status).toBe(200);
    expect(await board.text()).toMatch(/<html/i);
    const queues = await h.call('/admin/queues/api/queues', { headers: { Cookie: session } });
    expect(queues.status).toBe(200);

    const signOut = await h.call(`${API_PREFIX}/session`, { method: 'DELETE', headers: { Cookie: session, 'X-Duckmig-Request': '1' } });
    expect(signOut.status).toBe(204);
    expect(cookieOf(signOut)).toMatch(/^duckmig_session=; Max-Age=0/);
  });

  it('keeps a viewer session out of bull-board', async () => {
    const signIn = await h.call(`${API_PREFIX}/session`, { method: 'POST', json: { token: h.tokens.viewer.token } });
    const session = cookieOf(signIn).split(';')[0]!;
    expect((await h.call('/admin/queues', { headers: { Cookie: session } })).status).toBe(403);
    expect((await h.call(`${API_PREFIX}/admin/migrations/status`, { headers: { Cookie: session } })).status).toBe(200);
  });

  it('refuses sign-in without a valid token', async () => {
    expect((await h.call(`${API_PREFIX}/session`, { method: 'POST' })).status).toBe(401);
    expect((await h.call(`${API_PREFIX}/session`, { method: 'POST', json: { token: 'nope-nope-nope-nope' } })).status).toBe(401);
    expect((await h.call(`${API_PREFIX}/session`, { method: 'POST', json: { token: 1 } })).status).toBe(400);
    expect((await h.call(`${API_PREFIX}/session`, { method: 'POST', json: { token: h.tokens.admin.token, role: 'admin' } })).status).toBe(400);
  });

  it('answers 401 to a forged or stale cookie and clears it', async () => {
    const res = await h.call(`${API_PREFIX}/whoami`, { headers: { Cookie: 'duckmig_session=v1.YWRh.zzzz.AAAA' } });
    expect(res.status).toBe(401);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('invalid-token');
    expect(cookieOf(res)).toMatch(/^duckmig_session=; Max-Age=0/);
  });
});
