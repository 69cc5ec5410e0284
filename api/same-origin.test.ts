// Cross-origin protection at the HTTP level (the browser version is
// test/e2e/csrf.e2e.test.ts): state-changing requests and WebSocket upgrades whose
// Origin / Sec-Fetch-Site name another origin are refused with 403 cross-origin, and a
// cookie-authenticated state change must carry X-Duckmig-Request or a JSON body (which
// a page of another origin cannot send without CORS). Bearer clients are unaffected.
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, API_PREFIX, ErrorBody } from '../contract/index.js';
import { useApiHarness } from '../test/support/api-harness.js';

const h = useApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 }, allowedOrigins: ['https://duckmig.example.com'] });
let cookie: string;

beforeAll(async () => {
  const res = await h.call(`${API_PREFIX}/session`, { method: 'POST', json: { token: h.tokens.operator.token } });
  cookie = (res.headers.get('Set-Cookie') ?? '').split(';')[0]!;
});

const run = (headers: Record<string, string>, body?: string) =>
  Promise.resolve(h.api.app.request(`http://127.0.0.1:8080${ADMIN_PREFIX}/run`, { method: 'POST', headers: { Host: '127.0.0.1:8080', ...headers }, body }));
const code = async (res: Response) => ErrorBody.parse(await res.json()).error.code;

describe('state-changing requests from a browser', () => {
  it('refuses an Origin of another port of the same host, or a Sec-Fetch-Site other than same-origin', async () => {
    const refused: Record<string, string>[] = [
      { Cookie: cookie, Origin: 'http://127.0.0.1:9999', 'X-Duckmig-Request': '1' },
      { Cookie: cookie, 'Sec-Fetch-Site': 'same-site', 'X-Duckmig-Request': '1' },
      { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example', 'X-Duckmig-Request': '1' },
      { Cookie: cookie, Origin: 'null', 'X-Duckmig-Request': '1' },
      // a bearer token does not make a foreign page's request acceptable either
      { ...h.auth('operator'), Origin: 'http://127.0.0.1:9999' },
    ];
    for (const headers of refused) {
      const res = await run(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await code(res)).toBe('cross-origin');
    }
    expect(await h.queue.count()).toBe(0);
  });

  it('refuses a cookie-authenticated change without X-Duckmig-Request or a JSON body', async () => {
    for (const [headers, body] of [
      [{ Cookie: cookie }, undefined],
      [{ Cookie: cookie, 'Content-Type': 'text/plain' }, '{}'],
      [{ Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=1'],
    ] as const) {
      const res = await run(headers, body);
      expect(res.status).toBe(403);
      expect(await code(res)).toBe('custom-header-required');
    }
    expect(await h.queue.count()).toBe(0);
  });

  it('accepts the same origin with the header or a JSON body, an allowed origin, and bearer clients without either', async () => {
    const accepted: Record<string, string>[] = [
      { Cookie: cookie, Origin: 'http://127.0.0.1:8080', 'Sec-Fetch-Site': 'same-origin', 'X-Duckmig-Request': '1' },
      { Cookie: cookie, Origin: 'https://duckmig.example.com', 'X-Duckmig-Request': '1' },
      { ...h.auth('operator') },
    ];
    for (const headers of accepted) {
      const res = await run(headers);
      expect(res.status, JSON.stringify(headers)).toBe(202);
      await h.drain();
    }
    const json = await run({ Cookie: cookie, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json' }, '{}');
    expect(json.status).toBe(202);
  });

  it('refuses a WebSocket upgrade from another origin, also to the cookie', async () => {
    const upgrade = (headers: Record<string, string>) =>
      Promise.resolve(
        h.api.app.request(`http://127.0.0.1:8080${ADMIN_PREFIX}/events`, {
          headers: { Host: '127.0.0.1:8080', Upgrade: 'websocket', Connection: 'Upgrade', Cookie: cookie, ...headers },
        }),
      );
    const foreign = await upgrade({ Origin: 'http://127.0.0.1:9999' });
    expect(foreign.status).toBe(403);
    expect(await code(foreign)).toBe('cross-origin');
  });
});
