// The queue page (bull-board) is for admins. A browser that opens it signed out, or
// signed in with a lower role, gets a readable page saying what is needed, with a link
// to sign in; API clients asking for JSON keep the JSON error. Status codes stay 401/403.
import { describe, expect, it } from 'vitest';
import { API_PREFIX, ErrorBody } from '../contract/index.js';
import { useApiHarness } from '../test/support/api-harness.js';

const h = useApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } });

/** what Chromium sends when the address bar opens a page */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

async function sessionOf(token: string): Promise<string> {
  const res = await h.call(`${API_PREFIX}/session`, { method: 'POST', json: { token } });
  return (res.headers.get('Set-Cookie') ?? '').split(';')[0]!;
}

describe('the queue page refused to a browser', () => {
  it('asks a signed-out browser to sign in, with a link to the sign-in page', async () => {
    const res = await h.call('/admin/queues', { headers: { Accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(401);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="duckmig"/);
    expect(res.headers.get('Content-Security-Policy')).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toMatch(/<h1>Sign in to open the queue page<\/h1>/);
    expect(page).toMatch(/<a href="\/">Sign in to duckmig<\/a>/);
    expect(page).toContain('admin');
  });

  it('tells a signed-in viewer that the page needs the admin role, naming theirs', async () => {
    const cookie = await sessionOf(h.tokens.viewer.token);
    for (const path of ['/admin/queues', '/admin/queues/queue/some-queue']) {
      const res = await h.call(path, { headers: { Cookie: cookie, Accept: BROWSER_ACCEPT } });
      expect(res.status, path).toBe(403);
      expect(res.headers.get('Content-Type'), path).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page, path).toMatch(/<h1>The queue page needs the admin role<\/h1>/);
      expect(page, path).toMatch(/signed in as <strong>vera<\/strong> with the role <strong>viewer<\/strong>/);
      expect(page, path).toContain('href="/"');
    }
  });

  it('says the same to an operator', async () => {
    const res = await h.call('/admin/queues', { role: 'operator', headers: { Accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/<strong>otto<\/strong> with the role <strong>operator<\/strong>/);
  });

  it('opens bull-board itself for an admin', async () => {
    const cookie = await sessionOf(h.tokens.admin.token);
    const res = await h.call('/admin/queues', { headers: { Cookie: cookie, Accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('needs the admin role');
  });
});

describe('the queue page refused to an API client', () => {
  it('keeps the JSON error when HTML is not asked for', async () => {
    const cookie = await sessionOf(h.tokens.viewer.token);
    const variants: Record<string, string>[] = [{}, { Accept: 'application/json' }, { Cookie: cookie }, { Cookie: cookie, Accept: 'application/json' }];
    for (const headers of variants) {
      const res = await h.call('/admin/queues/api/queues', { headers });
      const label = JSON.stringify(headers);
      expect([401, 403], label).toContain(res.status);
      expect(res.headers.get('Content-Type'), label).toMatch(/^application\/json/);
      expect(ErrorBody.parse(await res.json()).error.code, label).toMatch(/^(unauthorized|forbidden)$/);
    }
  });

  it('leaves the other routes\' errors as JSON, even for a browser', async () => {
    const res = await h.call(`${API_PREFIX}/admin/migrations/run`, { method: 'POST', role: 'viewer', headers: { Accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(403);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
  });
});
