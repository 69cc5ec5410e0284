// End to end in Chromium (playwright-core, Debian's browser): how the admin UI reaches a
// browser. A signed-out visit logs no console error and no failed request (the session
// check answers 200), the bundle arrives brotli-compressed and cacheable with no source
// map to be had, and the queue page refused to a viewer or a signed-out visitor is a
// readable page with a way to sign in, not raw JSON.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt, launchChromium } from '../support/browser.js';
import { startSystem } from '../support/system.js';

type System = Awaited<ReturnType<typeof startSystem>>;

interface Observed {
  consoleErrors: string[];
  /** requests answered 4xx/5xx or never answered */
  failures: string[];
}

/** a fresh context (no cookies) and a page whose console errors and failed requests are recorded */
async function observedPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; seen: Observed }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const seen: Observed = { consoleErrors: [], failures: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') seen.consoleErrors.push(message.text());
  });
  page.on('pageerror', (err) => seen.consoleErrors.push(String(err)));
  page.on('response', (response) => {
    if (response.status() >= 400) seen.failures.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => seen.failures.push(`failed ${request.url()}`));
  return { context, page, seen };
}

describe('delivering the admin UI', () => {
  let system: System;
  let browser: Browser;

  beforeAll(async () => {
    ensureUiBuilt();
    [system, browser] = await Promise.all([startSystem(), launchChromium()]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('a signed-out visit shows the sign-in form and logs no console error or failed request', async () => {
    const { context, page, seen } = await observedPage(browser);
    try {
      const sessionCheck = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/session' && r.request().method() === 'GET');
      await page.goto(`${system.url}/`);
      await page.getByLabel('Access token').waitFor();
      expect((await sessionCheck).status()).toBe(200);
      await page.waitForLoadState('networkidle');
      expect(seen.consoleErrors).toEqual([]);
      expect(seen.failures).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('sends the bundle brotli-compressed and cacheable for good, index.html revalidated, and no source map', async () => {
    const { context, page } = await observedPage(browser);
    try {
      const assets: { url: string; headers: Record<string, string> }[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname.startsWith('/assets/')) assets.push({ url: response.url(), headers: response.headers() });
      });
      const document = await page.goto(`${system.url}/`);
      await page.getByLabel('Access token').waitFor();
      expect(document?.headers()['cache-control']).toBe('no-cache');
      expect(document?.headers()['etag']).toBeTruthy();

      // one stylesheet and one script; sorted by their extension, since their hashes sort either way
      const byExtension = (path: string) => path.slice(path.lastIndexOf('.'));
      const paths = assets.map((a) => new URL(a.url).pathname).sort((a, b) => byExtension(a).localeCompare(byExtension(b)));
      expect(paths).toEqual([expect.stringMatching(/^\/assets\/index-[\w-]+\.css$/), expect.stringMatching(/^\/assets\/index-[\w-]+\.js$/)]);
      for (const { url, headers } of assets) {
        expect(headers['content-encoding'], url).toBe('br');
        expect(headers['cache-control'], url).toBe('public, max-age=31536000, immutable');
        expect(headers['vary'], url).toMatch(/accept-encoding/i);
      }
      const script = assets.find((a) => a.url.endsWith('.js'))!.url;
      const source = await (await page.request.get(script)).text();
      expect(source).not.toMatch(/sourceMappingURL/);
      expect((await page.request.get(`${script}.map`)).status()).toBe(404);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('the queue page tells a signed-out visitor to sign in, and the link leads to the sign-in form', async () => {
    const { context, page } = await observedPage(browser);
    try {
      const response = await page.goto(`${system.url}/admin/queues`);
      expect(response?.status()).toBe(401);
      await page.getByRole('heading', { level: 1, name: 'Sign in to open the queue page' }).waitFor();
      await page.getByRole('link', { name: 'Sign in to duckmig' }).click();
      await page.getByLabel('Access token').waitFor();
    } finally {
      await context.close();
    }
  }, 60_000);

  it('the queue page tells a signed-in viewer that it needs the admin role', async () => {
    const { context, page } = await observedPage(browser);
    try {
      await page.goto(`${system.url}/`);
      await page.getByLabel('Access token').fill(system.tokens.viewer);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Migrations' }).waitFor();

      const response = await page.goto(`${system.url}/admin/queues`);
      expect(response?.status()).toBe(403);
      expect(response?.headers()['content-type']).toMatch(/^text\/html/);
      await page.getByRole('heading', { level: 1, name: 'The queue page needs the admin role' }).waitFor();
      expect(await page.getByRole('main').innerText()).toMatch(/signed in as viewer with the role viewer/);
      await page.getByRole('link', { name: 'Back to duckmig' }).click();
      await page.getByRole('heading', { level: 1, name: 'Migrations' }).waitFor();
    } finally {
      await context.close();
    }
  }, 60_000);
});
