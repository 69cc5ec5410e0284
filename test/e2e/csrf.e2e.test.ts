// A neighbouring site must not act with an operator's session. In Debian's Chromium, a
// browser signed in as operator (the session cookie) visits a page served on ANOTHER
// PORT of the same host: same site for the browser, so the SameSite=Strict cookie goes
// along. That page's no-cors POST to /run and to /jobs/:id/cancel must change nothing,
// and its WebSocket to the live channel must be refused. A page of duckmig's own origin,
// with the same cookie, still can (the control); Swagger UI and bull-board still work
// under the strict Content-Security-Policy.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, API_PREFIX, EnqueuedResponse, JobView, StatusResponse } from '../../contract/index.js';
import { launchChromium } from '../support/browser.js';
import { startSystem } from '../support/system.js';

type System = Awaited<ReturnType<typeof startSystem>>;

let system: System;
let browser: Browser;
let neighbour: Server;
let neighbourUrl: string;
let context: BrowserContext;
let page: Page;

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function status(): Promise<StatusResponse> {
  const res = await fetch(`${system.url}${ADMIN_PREFIX}/status?view=full`, { headers: bearer(system.tokens.viewer) });
  return StatusResponse.parse(await res.json());
}

beforeAll(async () => {
  [system, browser] = await Promise.all([startSystem(), launchChromium()]);
  // no worker: an accepted run would stay waiting, where the test can see it
  await system.worker.kill('SIGTERM');
  neighbour = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>neighbour</title><p>hello'));
  neighbour.listen(0, '127.0.0.1');
  await once(neighbour, 'listening');
  neighbourUrl = `http://127.0.0.1:${(neighbour.address() as AddressInfo).port}`;

  context = await browser.newContext();
  // signed in as operator: the session cookie lands in this browser context's jar
  const signIn = await context.request.post(`${system.url}${API_PREFIX}/session`, { data: { token: system.tokens.operator } });
  expect(signIn.status()).toBe(200);
  page = await context.newPage();
  await page.goto(`${neighbourUrl}/`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  neighbour?.close();
  await system?.stop();
});

describe('a page on another port of the same host, with an operator signed in', () => {
  it('is on the same site, so the browser does send the session cookie', async () => {
    const cookies = await context.cookies(system.url);
    expect(cookies.find((c) => c.name === 'duckmig_session')).toBeDefined();
    expect(new URL(neighbourUrl).hostname).toBe(new URL(system.url).hostname);
    expect(new URL(neighbourUrl).port).not.toBe(new URL(system.url).port);
  });

  it('cannot start a run with a no-cors POST', async () => {
    await page.evaluate(async (url) => {
      // the browser may turn the opaque answer into a network error (ORB): the request went out all the same
      await fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include' }).catch(() => undefined);
      await fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => undefined);
    }, `${system.url}${ADMIN_PREFIX}/run`);
    expect((await status()).activeJob).toBeNull();
    expect((await status()).queue.waiting).toBe(0);
  });

  it('cannot cancel a waiting run with a no-cors POST', async () => {
    const res = await fetch(`${system.url}${ADMIN_PREFIX}/run`, {
      method: 'POST',
      headers: { ...bearer(system.tokens.operator), 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'deploy' }),
    });
    expect(res.status).toBe(202);
    const { jobId } = EnqueuedResponse.parse(await res.json());
    await page.evaluate(async (url) => {
      await fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include' }).catch(() => undefined);
    }, `${system.url}${ADMIN_PREFIX}/jobs/${jobId}/cancel`);
    const job = await fetch(`${system.url}${ADMIN_PREFIX}/jobs/${jobId}`, { headers: bearer(system.tokens.viewer) });
    expect(job.status).toBe(200);
    expect(JobView.parse(await job.json()).state).toBe('waiting');
    expect((await status()).activeJob?.jobId).toBe(jobId);
  });

  it('cannot open the live channel', async () => {
    const outcome = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onmessage = (event) => resolve(`message: ${String(event.data).slice(0, 40)}`);
          ws.onclose = () => resolve('closed');
        }),
      `${system.url.replace(/^http/, 'ws')}${ADMIN_PREFIX}/events`,
    );
    expect(outcome).toBe('closed');
  });

  it('while a page of duckmig\'s own origin, with the same cookie, can cancel and open the live channel', async () => {
    const own = await context.newPage();
    await own.goto(`${system.url}/healthz`);
    const { activeJob } = await status();
    expect(activeJob).not.toBeNull();
    const answer = await own.evaluate(async (url) => {
      const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'X-Duckmig-Request': '1' } });
      return res.status;
    }, `${system.url}${ADMIN_PREFIX}/jobs/${activeJob!.jobId}/cancel`);
    expect(answer).toBe(200);
    expect((await status()).activeJob).toBeNull();
    const first = await own.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onmessage = (event) => resolve(JSON.parse(String(event.data)).type as string);
          ws.onclose = () => resolve('closed');
        }),
      `${system.url.replace(/^http/, 'ws')}${ADMIN_PREFIX}/events`,
    );
    expect(first).toBe('status');
    await own.close();
  });
});

describe('pages under the Content-Security-Policy', () => {
  it('Swagger UI and bull-board still render, with no CSP violation', async () => {
    const admin = await browser.newContext();
    try {
      expect((await admin.request.post(`${system.url}${API_PREFIX}/session`, { data: { token: system.tokens.admin } })).status()).toBe(200);
      const docs = await admin.newPage();
      const violations: string[] = [];
      docs.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await docs.goto(`${system.url}/api/docs`);
      await docs.locator('.opblock').nth(5).waitFor({ timeout: 30_000 });
      const board = await admin.newPage();
      board.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await board.goto(`${system.url}/admin/queues`);
      await board.getByText('migrations').first().waitFor({ timeout: 30_000 });
      // bull-board links a web font from Google: blocking third-party loads is the point (and harmless offline)
      expect(violations.filter((text) => !text.includes('https://fonts.googleapis.com/'))).toEqual([]);
    } finally {
      await admin.close();
    }
  });
});
