// Failed authentication is throttled per client in Redis (so every API instance counts
// together): after the limit, further attempts get 429 with Retry-After, even with a
// valid token, until the window ends; other clients are not affected; and failures are
// logged in summary, not one line per guess.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, ErrorBody } from '../contract/index.js';
import { CLEAN_CLIENT_MS } from './auth-throttle.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';

let h: ApiHarness;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  h = await startApiHarness({
    logger: pino({ level: 'info' }, sink),
    authFailures: { limit: 10, windowMs: 60_000 },
    trustProxy: true,
  });
});
afterAll(async () => {
  await h?.close();
});

const from = (ip: string, headers: Record<string, string> = {}) => ({ 'X-Forwarded-For': `10.9.9.9, ${ip}`, ...headers });
const whoami = (headers: Record<string, string>) => h.call(`${API_PREFIX}/whoami`, { headers });
const signIn = (headers: Record<string, string>, token: string) => h.call(`${API_PREFIX}/session`, { method: 'POST', headers, json: { token } });

describe('failed authentication', () => {
  it('answers 429 with Retry-After after the limit of bad bearer tokens, even to a valid one, for that client only', async () => {
    for (let i = 0; i < 10; i++) expect((await whoami(from('10.0.0.1', { Authorization: `Bearer wrong-token-${i}-xxxxxxxx` }))).status).toBe(401);
    const blocked = await whoami(from('10.0.0.1', { Authorization: `Bearer wrong-token-again-xxxxxxxx` }));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(ErrorBody.parse(await blocked.json()).error.code).toBe('too-many-failures');
    expect((await whoami(from('10.0.0.1', h.auth('viewer')))).status).toBe(429);
    // another client is unaffected
    expect((await whoami(from('10.0.0.2', h.auth('viewer')))).status).toBe(200);
  });

  it('lets a client with no failures through without asking Redis at every request', async () => {
    const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await h.redis.info('commandstats'))?.[1] ?? 0);
    const before = await gets();
    for (let i = 0; i < 20; i++) expect((await whoami(from('10.0.0.5', h.auth('viewer')))).status).toBe(200);
    expect((await gets()) - before).toBeLessThan(20);
  });

  it('checks a client that keeps asking again before its clean time runs out, beside its requests', async () => {
    const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await h.redis.info('commandstats'))?.[1] ?? 0);
    const until = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    const client = from('10.0.0.7', h.auth('viewer'));
    const asked = Date.now();
    expect((await whoami(client)).status).toBe(200);
    const answered = Date.now();
    // past half its clean time: let through, and Redis asked again beside the request
    await until(asked + CLEAN_CLIENT_MS * 0.6);
    const before = await gets();
    expect((await whoami(client)).status).toBe(200);
    await expect.poll(gets, { timeout: 1_000, interval: 20 }).toBe(before + 1);
    // the first check's time is over; the renewed one's is not: no check in the request's way
    await until(answered + CLEAN_CLIENT_MS + 50);
    const later = await gets();
    expect((await whoami(client)).status).toBe(200);
    expect((await gets()) - later).toBe(0);
  });

  it('refuses a client that keeps asking within about CLEAN_CLIENT_MS of failures counted by another instance', async () => {
    const client = from('10.0.0.8', h.auth('viewer'));
    expect((await whoami(client)).status).toBe(200);
    // another API instance counted this client's failures up to the limit
    await h.redis.set(`duckmig:${h.queue.name}:authfail:10.0.0.8`, '10', 'PX', 60_000);
    const counted = Date.now();
    let status = 200;
    while (status === 200) {
      status = (await whoami(client)).status;
      if (status === 200) expect(Date.now() - counted, 'let through after the failures were counted').toBeLessThan(CLEAN_CLIENT_MS + 500);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(429);
  });

  it('throttles a client that was let through before as soon as it reaches the limit', async () => {
    expect((await whoami(from('10.0.0.6', h.auth('viewer')))).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await whoami(from('10.0.0.6', { Authorization: `Bearer wrong-token-${i}-xxxxxxxx` }))).status).toBe(401);
    expect((await whoami(from('10.0.0.6', h.auth('viewer')))).status).toBe(429);
  });

  it('counts failed sign-ins the same way', async () => {
    for (let i = 0; i < 10; i++) expect((await signIn(from('10.0.0.3'), `not-the-token-${i}-xxxxxxxx`)).status).toBe(401);
    const blocked = await signIn(from('10.0.0.3'), h.tokens.admin.token);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('Set-Cookie')).toBeNull();
  });

  it('logs a summary instead of one line per failure', async () => {
    logLines.length = 0;
    for (let i = 0; i < 200; i++) await whoami(from('10.0.0.4', { Authorization: `Bearer guess-${i}-xxxxxxxxxxxx` }));
    const lines = logLines.filter((line) => line.includes('10.0.0.4') || /"status":(401|429)/.test(line));
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines.join('\n')).not.toContain('guess-');
  });
});
