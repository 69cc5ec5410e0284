// Browser sessions live in Redis: the cookie holds only a random id, so signing out
// revokes it for good (a copied cookie value is refused afterwards), and a session
// ends as soon as its token is removed from DUCKMIG_TOKENS or rotated, at the next
// request, on any API instance sharing that Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, ErrorBody, SessionCheckResponse } from '../contract/index.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';
import { createApp } from './app.js';
import type { TokenEntry } from '../config/token-list.js';
import { createSessionStore, SESSION_CACHE_MS } from './session.js';
import { createTokenStore, generateToken } from './tokens.js';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } });
});
afterAll(async () => {
  await h?.close();
});

const session = (res: Response) => (res.headers.get('Set-Cookie') ?? '').split(';')[0]!;
const signIn = async (app: { request: ApiHarness['api']['app']['request'] }, token: string) => {
  const res = await app.request(`${API_PREFIX}/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
  expect(res.status).toBe(200);
  return session(res);
};
const whoami = (app: { request: ApiHarness['api']['app']['request'] }, cookie: string) =>
  Promise.resolve(app.request(`${API_PREFIX}/whoami`, { headers: { Cookie: cookie } }));

/** another API instance on the same Redis and queue, with its own DUCKMIG_TOKENS */
function instance(entries: TokenEntry[]) {
  return createApp({ queue: h.queue, queueEvents: h.queueEvents, redis: h.redis, tokens: createTokenStore(entries), uiDir: null });
}

describe('server-side sessions', () => {
  it('revokes the session on sign-out: the old cookie value then gets 401', async () => {
    const cookie = await signIn(h.api.app, h.tokens.operator.token);
    expect((await whoami(h.api.app, cookie)).status).toBe(200);
    const out = await h.call(`${API_PREFIX}/session`, { method: 'DELETE', headers: { Cookie: cookie, 'X-Duckmig-Request': '1' } });
    expect(out.status).toBe(204);
    const replay = await whoami(h.api.app, cookie);
    expect(replay.status).toBe(401);
    expect(ErrorBody.parse(await replay.json()).error.code).toBe('invalid-token');
  });

  it('is valid on every instance that shares the Redis, and keeps no secret in the cookie', async () => {
    const cookie = await signIn(h.api.app, h.tokens.admin.token);
    expect(cookie).not.toContain(h.tokens.admin.token);
    const other = instance(Object.values(h.tokens));
    try {
      expect(await (await whoami(other.app, cookie)).json()).toEqual({ name: 'ada', role: 'admin' });
    } finally {
      other.close();
    }
  });

  it('ends when its token is removed from DUCKMIG_TOKENS or rotated, at the next check', async () => {
    const cookie = await signIn(h.api.app, h.tokens.operator.token);
    const withoutOtto = instance([h.tokens.admin, h.tokens.viewer]);
    const rotated = instance([h.tokens.admin, h.tokens.viewer, { ...h.tokens.operator, token: generateToken() }]);
    try {
      expect((await whoami(withoutOtto.app, cookie)).status).toBe(401);
      expect((await whoami(rotated.app, cookie)).status).toBe(401);
    } finally {
      withoutOtto.close();
      rotated.close();
    }
  });

  it('refuses a made-up session id', async () => {
    const res = await whoami(h.api.app, `duckmig_session=v2.${'A'.repeat(43)}`);
    expect(res.status).toBe(401);
  });
});

describe('sessions remembered in-process', () => {
  it('end at once on the instance that signs out, and on the others within SESSION_CACHE_MS', async () => {
    let clock = 1_000_000;
    const options = { redis: h.redis, tokens: createTokenStore(Object.values(h.tokens)), keyPrefix: 'test:cached-session', ttlMs: 60_000, now: () => clock };
    const here = createSessionStore(options);
    const there = createSessionStore(options);
    const cookie = await here.create(h.tokens.viewer);
    expect(await there.verify(cookie)).toMatchObject({ name: 'vera', role: 'viewer' });
    await here.revoke(cookie);
    expect(await here.verify(cookie)).toBeNull();
    clock += SESSION_CACHE_MS;
    expect(await there.verify(cookie)).toBeNull();
  });
});

describe('the session check (GET /api/v1/session)', () => {
  const check = (headers: Record<string, string> = {}) => Promise.resolve(h.api.app.request(`${API_PREFIX}/session`, { headers }));

  it('answers 200 signedIn: false without a cookie, so a signed-out page load logs no error', async () => {
    const res = await check();
    expect(res.status).toBe(200);
    expect(SessionCheckResponse.parse(await res.json())).toEqual({ signedIn: false });
    expect(res.headers.get('Set-Cookie')).toBeNull();
  });

  it('says who is signed in with a valid cookie or bearer token', async () => {
    const cookie = await signIn(h.api.app, h.tokens.viewer.token);
    expect(await (await check({ Cookie: cookie })).json()).toEqual({ signedIn: true, name: 'vera', role: 'viewer' });
    expect(await (await check({ Authorization: `Bearer ${h.tokens.admin.token}` })).json()).toEqual({ signedIn: true, name: 'ada', role: 'admin' });
  });

  it('answers signedIn: false to an ended session and clears its cookie', async () => {
    const cookie = await signIn(h.api.app, h.tokens.operator.token);
    await h.call(`${API_PREFIX}/session`, { method: 'DELETE', headers: { Cookie: cookie, 'X-Duckmig-Request': '1' } });
    const res = await check({ Cookie: cookie });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ signedIn: false });
    expect(res.headers.get('Set-Cookie')).toMatch(/^duckmig_session=; Max-Age=0/);
  });

  it('still refuses an invalid bearer token (401), and every other route still needs a token', async () => {
    const res = await check({ Authorization: 'Bearer not-a-token-at-all' });
    expect(res.status).toBe(401);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('invalid-token');
    expect((await h.api.app.request(`${API_PREFIX}/whoami`)).status).toBe(401);
    expect((await h.api.app.request(`${API_PREFIX}/session`, { method: 'DELETE', headers: { 'X-Duckmig-Request': '1' } })).status).toBe(401);
  });
});
