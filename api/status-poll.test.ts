// The status poll answered before the app (status-poll.ts), on a real node server: what a
// poller gets from it is what the app answers (docs/operations.md: the summary with its
// ETag and Cache-Control, 304 without a body or a length; every answer with X-Request-Id
// and the security headers; one log line per request with method, path, status, duration
// and the token's name, reads at debug; one metrics series per route pattern), and every
// request it must not judge alone reaches the app, which answers as it always did.
import { once } from 'node:events';
import { request, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_PREFIX } from '../contract/index.js';
import { sampleSnapshot, startApiHarness, type ApiHarness } from '../test/support/api-harness.js';
import { withStatusPoll } from './status-poll.js';

const STATUS = `${ADMIN_PREFIX}/status`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** the security headers every answer carries (docs/operations.md, Pages), by name */
const SECURITY = [
  'Content-Security-Policy',
  'Cross-Origin-Opener-Policy',
  'Cross-Origin-Resource-Policy',
  'Origin-Agent-Cluster',
  'Referrer-Policy',
  'Strict-Transport-Security',
  'X-Content-Type-Options',
  'X-DNS-Prefetch-Control',
  'X-Download-Options',
  'X-Frame-Options',
  'X-Permitted-Cross-Domain-Policies',
  'X-XSS-Protection',
];
/** node adds these to every answer on a keep-alive connection */
const NODE_HEADERS = ['Date', 'Connection', 'Keep-Alive'];

/** A real node server for the harness's app, the status poll offered each request first; `decisions`: what the poll said, in order. */
async function servePolled(harness: ApiHarness): Promise<{ url: string; decisions: boolean[]; close(): Promise<void> }> {
  const decisions: boolean[] = [];
  const createServer = withStatusPoll((incoming, outgoing) => {
    const answered = harness.api.pollStatus(incoming, outgoing);
    decisions.push(answered);
    return answered;
  });
  const server = serve({ fetch: harness.api.app.fetch, port: 0, hostname: '127.0.0.1', createServer });
  if (!server.listening) await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, decisions, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Answer {
  status: number;
  /** name → value, names as sent */
  headers: [string, string][];
  body: string;
  /** true when the status poll answered it, false when the app did */
  polled: boolean;
}

let h: ApiHarness;
let served: Awaited<ReturnType<typeof servePolled>> | undefined;
let base: string;
const lines: Record<string, unknown>[] = [];
/** what the status poll said about each request, in order */
let decisions: boolean[] = [];

beforeAll(async () => {
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  // a long reuse time, so a read answers every poll of a test; two failed authentications throttle a client
  h = await startApiHarness({ logger, statusCacheMs: 10_000, authFailures: { limit: 2, windowMs: 60_000 } });
  await h.redis.set(h.keys.snapshot, JSON.stringify(sampleSnapshot()));
  served = await servePolled(h);
  ({ url: base, decisions } = served);
  // reads are reused once the API hears Redis's announcements (status-freshness.ts)
  await vi.waitFor(async () => expect((await get(STATUS, viewer())).polled).toBe(true), { timeout: 5_000, interval: 20 });
});

afterAll(async () => {
  await served?.close();
  await h?.close();
});

function get(path: string, headers: OutgoingHttpHeaders = {}, method = 'GET'): Promise<Answer> {
  const decided = decisions.length;
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const raw = res.rawHeaders;
        const pairs: [string, string][] = [];
        for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
        resolve({ status: res.statusCode ?? 0, headers: pairs, body, polled: decisions[decided] === true });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const viewer = () => ({ Authorization: `Bearer ${h.tokens.viewer.token}` });
const names = (a: Answer) => a.headers.map(([name]) => name);
const header = (a: Answer, name: string) => a.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
/** the log line of the request with this id */
const lineOf = (reqId: string | undefined) => lines.find((line) => line.reqId === reqId && line.msg !== undefined && 'status' in line);

/**
 * A poll the status poll answers. The client is let through without Redis for 1 s after
 * the app checked it (auth-throttle.ts); on a machine slow enough to pass that between two
 * requests, the app answers one and the next is polled again.
 */
async function polled(headers: OutgoingHttpHeaders): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const answer = await get(STATUS, headers);
    if (answer.polled || attempt === 2) return answer;
  }
}

describe('status poll', () => {
  it('answers a bearer poll as the app does: the same status, body, headers in the same order, and the same kind of log line', async () => {
    // the query takes the app's route: the same summary (the default view)
    const viaApp = await get(`${STATUS}?view=summary`, { ...viewer(), 'X-Request-Id': 'app-1' });
    expect(viaApp.polled).toBe(false);
    const viaPoll = await polled({ ...viewer(), 'X-Request-Id': 'poll-1' });
    expect(viaPoll.polled).toBe(true);

    const expectedNames = ['X-Request-Id', ...SECURITY, 'ETag', 'Cache-Control', 'Content-Type', 'Content-Length', ...NODE_HEADERS];
    for (const answer of [viaApp, viaPoll]) {
      expect(answer.status).toBe(200);
      expect(names(answer)).toEqual(expectedNames);
      expect(header(answer, 'Content-Type')).toBe('application/json');
      expect(header(answer, 'Cache-Control')).toBe('private, no-cache');
      expect(Number(header(answer, 'Content-Length'))).toBe(Buffer.byteLength(answer.body));
      expect(header(answer, 'X-Frame-Options')).toBe('DENY');
      expect(header(answer, 'X-Content-Type-Options')).toBe('nosniff');
      expect(header(answer, 'Referrer-Policy')).toBe('no-referrer');
      expect(header(answer, 'Content-Security-Policy')).toContain("frame-ancestors 'none'");
    }
    expect(viaPoll.body).toBe(viaApp.body);
    expect(header(viaPoll, 'X-Request-Id')).toBe('poll-1');
    const differing = viaApp.headers.filter(([name, value], i) => viaPoll.headers[i]![1] !== value).map(([name]) => name);
    expect(differing.filter((name) => name !== 'Date')).toEqual(['X-Request-Id']);

    const appLine = lineOf('app-1');
    const pollLine = lineOf('poll-1');
    expect(pollLine).toMatchObject({ level: 20, msg: 'request', method: 'GET', path: STATUS, status: 200, user: h.tokens.viewer.name, durationMs: expect.any(Number) });
    expect(appLine).toMatchObject({ level: 20, msg: 'request', method: 'GET', path: STATUS, status: 200, user: h.tokens.viewer.name });
    expect(Object.keys(pollLine!).sort()).toEqual(Object.keys(appLine!).sort());
  });

  it('answers 304 without a body or a length when If-None-Match names the summary, as the app does', async () => {
    const first = await get(`${STATUS}?view=summary`, viewer());
    const etag = header(first, 'ETag')!;
    const viaApp = await get(`${STATUS}?view=summary`, { ...viewer(), 'If-None-Match': etag, 'X-Request-Id': 'app-304' });
    const viaPoll = await polled({ ...viewer(), 'If-None-Match': etag });
    expect(viaApp.polled).toBe(false);
    expect(viaPoll.polled).toBe(true);
    for (const answer of [viaApp, viaPoll]) {
      expect(answer).toMatchObject({ status: 304, body: '' });
      expect(header(answer, 'ETag')).toBe(etag);
      expect(header(answer, 'Cache-Control')).toBe('private, no-cache');
      // a cache refreshes the stored answer's headers with a 304's: the 200's type, no length
      expect(header(answer, 'Content-Type')).toBe('application/json');
      expect(header(answer, 'Content-Length')).toBeUndefined();
    }
    // the app writes a body-less answer's headers through a web Headers object (lower case,
    // sorted): the same fields with the same values, in another order
    const fields = (a: Answer) =>
      Object.fromEntries(a.headers.filter(([name]) => !['date', 'x-request-id'].includes(name.toLowerCase())).map(([name, value]) => [name.toLowerCase(), value]));
    expect(fields(viaPoll)).toEqual(fields(viaApp));
    expect(names(viaPoll).map((name) => name.toLowerCase()).sort()).toEqual(
      ['X-Request-Id', ...SECURITY, 'ETag', 'Cache-Control', 'Content-Type', ...NODE_HEADERS].map((name) => name.toLowerCase()).sort(),
    );
    // a fresh id when the client sent none, in the answer and in the log line
    const id = header(viaPoll, 'X-Request-Id');
    expect(id).toMatch(UUID);
    expect(lineOf(id)).toMatchObject({ level: 20, msg: 'request', path: STATUS, status: 304, user: h.tokens.viewer.name });
    expect(Object.keys(lineOf(id)!).sort()).toEqual(Object.keys(lineOf('app-304')!).sort());
    // an id that could smuggle anything into a log line is replaced
    expect(header(await polled({ ...viewer(), 'X-Request-Id': 'a b' }), 'X-Request-Id')).toMatch(UUID);
  });

  it('counts its answers in the route\'s metrics series, with the app\'s', async () => {
    const series = async () => {
      const text = (await get('/metrics', viewer())).body;
      const line = text.split('\n').find((l) => l.startsWith(`duckmig_http_requests_total{method="GET",route="${STATUS}",status="200"}`));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const before = await series();
    await get(`${STATUS}?view=summary`, viewer());
    expect((await polled(viewer())).polled).toBe(true);
    expect(await series()).toBe(before + 2);
  });

  it('leaves to the app what it must judge: no token, another method, a query, a WebSocket upgrade', async () => {
    const none = await get(STATUS);
    expect(none).toMatchObject({ status: 401, polled: false });
    expect(header(none, 'WWW-Authenticate')).toBe('Bearer realm="duckmig"');
    expect(await get(STATUS, viewer(), 'HEAD')).toMatchObject({ status: 200, polled: false });
    expect(await get(`${STATUS}?view=full`, viewer())).toMatchObject({ status: 200, polled: false });
    expect(await get(`${STATUS}/`, viewer())).toMatchObject({ status: 404, polled: false });
    expect((await get(STATUS, { ...viewer(), Upgrade: 'websocket', Connection: 'Upgrade' }).catch(() => ({ polled: false }))).polled).toBe(false);
  });

  it('leaves a wrong token to the app, and a throttled client too, even with a good token', async () => {
    const wrong = await get(STATUS, { Authorization: 'Bearer not-a-token-of-anyone-0123456789' });
    expect(wrong).toMatchObject({ status: 401, polled: false });
    expect(JSON.parse(wrong.body)).toMatchObject({ error: { code: 'invalid-token' } });
    expect(header(wrong, 'WWW-Authenticate')).toBe('Bearer realm="duckmig", error="invalid_token"');
    // the same token twice is one header value "Bearer …, Bearer …": not a token. This
    // second failure reaches the limit (2): the client is throttled for the window
    const twice = await get(STATUS, { Authorization: [viewer().Authorization, viewer().Authorization] });
    expect(twice).toMatchObject({ status: 401, polled: false });
    const throttled = await get(STATUS, viewer());
    expect(throttled).toMatchObject({ status: 429, polled: false });
    expect(header(throttled, 'Retry-After')).toMatch(/^\d+$/);
  });
});

describe('status poll without a reusable read', () => {
  it('leaves every poll to the app when reads are not reused (DUCKMIG_STATUS_CACHE_MS=0)', async () => {
    const uncached = await startApiHarness({ statusCacheMs: 0 });
    const s = await servePolled(uncached);
    const answered = s.decisions;
    try {
      const url = `${s.url}${STATUS}`;
      const auth = { Authorization: `Bearer ${uncached.tokens.viewer.token}` };
      for (let i = 0; i < 3; i++) expect((await fetch(url, { headers: auth })).status).toBe(200);
      // every answer comes from a read that began after the request arrived
      expect(answered).toEqual([false, false, false]);
    } finally {
      await s.close();
      await uncached.close();
    }
  });
});

describe('status poll behind a trusted proxy', () => {
  it('judges the client X-Forwarded-For names, as the app does: a throttled one reaches the app, another is polled', async () => {
    const proxied = await startApiHarness({ statusCacheMs: 10_000, trustProxy: true, authFailures: { limit: 1, windowMs: 60_000 } });
    const s = await servePolled(proxied);
    const answered = s.decisions;
    try {
      const url = `${s.url}${STATUS}`;
      const poll = async (client: string, token = proxied.tokens.viewer.token) => {
        const res = await fetch(url, { headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': `198.51.100.7, ${client}` } });
        return { status: res.status, polled: answered.at(-1) };
      };
      // reads are reused once the API hears Redis's announcements; the client is then known clean
      await vi.waitFor(async () => expect(await poll('203.0.113.1')).toEqual({ status: 200, polled: true }), { timeout: 5_000, interval: 20 });
      // one failure (the limit) throttles 203.0.113.2, not 203.0.113.1, though both come through the same proxy
      expect(await poll('203.0.113.2', 'not-a-token-of-anyone-0123456789')).toEqual({ status: 401, polled: false });
      expect(await poll('203.0.113.2')).toEqual({ status: 429, polled: false });
      const again = await poll('203.0.113.1');
      // the first client stays clean (polled, or answered by the app once its clean second ran out)
      expect(again.status).toBe(200);
    } finally {
      await s.close();
      await proxied.close();
    }
  });
});
