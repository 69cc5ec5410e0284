// startApi(): a real listening server with WebSockets, the generated admin token,
// fail-fast Redis errors and an idempotent close().
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, API_PREFIX, EnqueuedResponse, LiveMessage, type JobDataWithOutcome } from '../contract/index.js';
import { sampleProgress, sampleResult } from '../test/support/api-harness.js';
import { openSocket } from '../test/support/live.js';
import { freeLoopbackPort } from '../cli/managed-redis.js';
import { startTestRedis, type TestRedis } from '../test/support/redis.js';
import { ConfigError, loadApiConfig } from './config.js';
import { startApi, type RunningApi } from './main.js';

const silent = pino({ level: 'silent' });
const TOKEN = 'op-token-0123456789abcdefghijklmnop';
let redis: TestRedis;
let dataDir: string;
const running: RunningApi[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((api) => api.close()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});
afterAll(async () => {
  await redis?.stop();
});

async function start(env: Record<string, string>, print?: (line: string) => void): Promise<RunningApi> {
  dataDir = await mkdtemp(join(tmpdir(), 'duckmig-api-'));
  const config = loadApiConfig({ PORT: '0', REDIS_URL: redis.url, DUCKMIG_DATA_DIR: dataDir, ...env });
  const api = await startApi(config, silent, { queueName: 'main-test', print: print ?? (() => undefined), app: { uiDir: null } });
  running.push(api);
  return api;
}

/** A GET with exactly these header lines (repeats kept), as node:http receives the answer. */
function rawGet(url: string, headerLines: [string, string][]): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: [['Host', new URL(url).host], ...headerLines].flat() }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startApi', () => {
  it('listens, serves the probes and closes idempotently', async () => {
    const api = await start({ DUCKMIG_TOKENS: `ci:operator:${TOKEN}` });
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.tokenFile).toBeNull();
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${api.url}${API_PREFIX}/whoami`)).status).toBe(401);
    const whoami = await fetch(`${api.url}${API_PREFIX}/whoami`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await whoami.json()).toEqual({ name: 'ci', role: 'operator' });

    await Promise.all([api.close(), api.close()]);
    await api.close();
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });

  it('answers a status poll over HTTP: the summary with its length, then 304 without a body or a length, each with a request id and the security headers', async () => {
    const api = await start({ DUCKMIG_TOKENS: `ci:operator:${TOKEN}` });
    const status = `${api.url}${ADMIN_PREFIX}/status`;
    const bearer: [string, string] = ['Authorization', `Bearer ${TOKEN}`];
    const first = await rawGet(status, [bearer]);
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('application/json');
    expect(Number(first.headers['content-length'])).toBe(Buffer.byteLength(first.body));
    expect(first.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(first.headers['x-content-type-options']).toBe('nosniff');
    const etag = first.headers.etag!;

    const again = await rawGet(status, [bearer, ['If-None-Match', etag], ['X-Request-Id', 'poll-42']]);
    expect(again).toMatchObject({ status: 304, body: '' });
    expect(again.headers).toMatchObject({ etag, 'cache-control': 'private, no-cache', 'x-request-id': 'poll-42', 'x-frame-options': 'DENY' });
    expect(again.headers['content-length']).toBeUndefined();
    // an id that could smuggle anything into a log line is replaced
    expect((await rawGet(status, [bearer, ['X-Request-Id', 'a b']])).headers['x-request-id']).not.toBe('a b');

    // the same token twice is one header value "Bearer …, Bearer …": not a token
    const twice = await rawGet(status, [bearer, bearer]);
    expect(twice.status).toBe(401);
    expect(JSON.parse(twice.body)).toMatchObject({ error: { code: 'invalid-token' } });
    expect((await rawGet(status, [['If-None-Match', etag]])).status).toBe(401);
  });

  it('generates the admin token on first start, prints it once, and reads it back later', async () => {
    const first: string[] = [];
    const api = await start({}, (line) => first.push(line));
    const file = api.tokenFile!;
    expect(file).toBe(join(dataDir, 'admin.token'));
    const token = first.find((line) => /^\s+\S{43}$/.test(line))!.trim();
    const whoami = await fetch(`${api.url}${API_PREFIX}/whoami`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await whoami.json()).toEqual({ name: 'admin', role: 'admin' });
    await api.close();

    const second: string[] = [];
    const config = loadApiConfig({ PORT: '0', REDIS_URL: redis.url, DUCKMIG_DATA_DIR: dataDir });
    const again = await startApi(config, silent, { queueName: 'main-test', print: (line) => second.push(line), app: { uiDir: null } });
    running.push(again);
    expect(second.join('\n')).not.toContain(token);
    expect(second.join('\n')).toContain(file);
    const ok = await fetch(`${again.url}${API_PREFIX}/whoami`, { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
  });

  it('fails fast, naming REDIS_URL, when Redis cannot be reached', async () => {
    const port = await freeLoopbackPort();
    const config = loadApiConfig({ PORT: '0', REDIS_URL: `redis://127.0.0.1:${port}`, DUCKMIG_TOKENS: `ci:operator:${TOKEN}` });
    await expect(startApi(config, silent)).rejects.toThrow(`cannot reach Redis at 127.0.0.1:${port} (REDIS_URL)`);
  });

  it('refuses to start without REDIS_URL', async () => {
    const config = loadApiConfig({ DUCKMIG_TOKENS: `ci:operator:${TOKEN}` });
    await expect(startApi(config, silent)).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('WebSocket live channel', () => {
  it('refuses an upgrade without a token', async () => {
    const api = await start({ DUCKMIG_TOKENS: `ci:operator:${TOKEN}` });
    await expect(openSocket(`${api.url}${ADMIN_PREFIX}/events`)).rejects.toMatchObject({ status: 401 });
  });

  it('sends status first, then the followed job\'s progress as JSON text frames', async () => {
    const api = await start({ DUCKMIG_TOKENS: `ci:operator:${TOKEN}` });
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const res = await fetch(`${api.url}${ADMIN_PREFIX}/run`, { method: 'POST', headers: auth });
    const { jobId, eventsUrl } = EnqueuedResponse.parse(await res.json());

    const socket = await openSocket(`${api.url}${eventsUrl}`, { headers: auth });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const progress = sampleProgress(3);
    const worker = new Worker<JobDataWithOutcome>(
      'main-test',
      async (job) => {
        await job.updateProgress(progress);
        // as the worker does: the outcome goes into the job's data before BullMQ hears of it
        const result = sampleResult('apply');
        await job.updateData({ ...job.data, outcome: { result, errorCode: null } });
        return result;
      },
      { connection },
    );
    try {
      const parse = (text: string) => LiveMessage.parse(JSON.parse(text));
      expect(parse(await socket.next(() => true)).type).toBe('status');
      const isType = (type: string) => (text: string) => parse(text).type === type;
      expect(parse(await socket.next(isType('progress')))).toEqual({ type: 'progress', jobId, progress });
      expect(parse(await socket.next(isType('completed')))).toMatchObject({ type: 'completed', jobId, result: { mode: 'apply' } });
    } finally {
      socket.close();
      await worker.close(true);
      connection.disconnect();
    }
  });
});
