// The live channel carries the system's state as it changes, not only job events: what
// the worker publishes (its snapshot, coming online, going offline) reaches a WebSocket
// client within a second, so do the queue's counts, and losing Redis is a `degraded`
// message, getting it back `recovered` and a fresh status. The safety-net re-read is set
// to a minute here, so every message awaited below was pushed, not found by polling.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, LiveMessage } from '../contract/index.js';
import { sampleSnapshot, useApiHarness } from '../test/support/api-harness.js';
import { openSocket, type LiveLog } from '../test/support/live.js';
import { publishSnapshot, startHeartbeat } from '../worker/snapshot.js';

const PUSHED_WITHIN_MS = 1_000;

const h = useApiHarness({ statusIntervalMs: 60_000, rateLimit: { limit: 1_000, windowMs: 60_000 } }, (h) => h.redis.del(h.keys.snapshot, h.keys.heartbeat));

let server: ServerType;
let eventsUrl: string;
/** the worker's side: its own connection, as the worker has */
let workerRedis: Redis;

beforeAll(async () => {
  server = serve({ fetch: h.api.app.fetch, port: 0, hostname: '127.0.0.1' });
  h.api.injectWebSocket(server);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  eventsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}${ADMIN_PREFIX}/events`;
  workerRedis = new Redis(h.server.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  workerRedis?.disconnect();
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    if (server && 'closeAllConnections' in server) server.closeAllConnections();
  });
});

async function connect(query = ''): Promise<LiveLog<LiveMessage>> {
  return openSocket<LiveMessage>(`${eventsUrl}${query}`, {
    headers: h.auth('viewer'),
    stamp: (text) => LiveMessage.parse(JSON.parse(text)),
    describe: (m) => m.type,
  });
}

const status = (m: LiveMessage) => (m.type === 'status' ? m : null);

describe('state on the live channel', () => {
  it('pushes a snapshot the worker publishes, whole, within a second', async () => {
    const socket = await connect();
    try {
      const first = status(await socket.next(() => true));
      expect(first?.snapshot).toBeNull();

      const snapshot = sampleSnapshot();
      const published = Date.now();
      await publishSnapshot(workerRedis, h.keys.snapshot, snapshot, h.keys.stateChanged);
      const pushed = status(await socket.next((m) => status(m)?.snapshot?.publishedAt === snapshot.publishedAt, PUSHED_WITHIN_MS));
      expect(Date.now() - published).toBeLessThan(PUSHED_WITHIN_MS);
      expect(pushed?.snapshot).toEqual(snapshot);
      expect(pushed?.queue).toMatchObject({ waiting: 0, active: 0, paused: false });
    } finally {
      socket.close();
    }
  });

  it('says within a second when the worker comes online and when it stops', async () => {
    const socket = await connect();
    try {
      expect(status(await socket.next(() => true))?.worker.online).toBe(false);
      const heartbeat = startHeartbeat({ redis: workerRedis, key: h.keys.heartbeat, workerId: 'w-1', busyWith: () => null, changedChannel: h.keys.stateChanged });
      await socket.next((m) => status(m)?.worker.online === true, PUSHED_WITHIN_MS);
      const before = socket.received.length;
      const stopped = Date.now();
      await heartbeat.stop();
      await socket.next((m) => socket.received.indexOf(m) >= before && status(m)?.worker.online === false, PUSHED_WITHIN_MS);
      expect(Date.now() - stopped).toBeLessThan(PUSHED_WITHIN_MS);
    } finally {
      socket.close();
    }
  });

  it('pushes the queue\'s counts and the waiting run when a job is queued', async () => {
    const socket = await connect();
    try {
      await socket.next(() => true);
      const res = await h.call(`${ADMIN_PREFIX}/run`, { method: 'POST', role: 'operator', json: {} });
      expect(res.status).toBe(202);
      const { jobId } = (await res.json()) as { jobId: string };
      const pushed = status(await socket.next((m) => status(m)?.queue?.waiting === 1, PUSHED_WITHIN_MS));
      expect(pushed?.activeJob).toMatchObject({ jobId, kind: 'run' });
    } finally {
      socket.close();
    }
  });

  it('gives clients that follow one job the worker\'s liveness only', async () => {
    await publishSnapshot(workerRedis, h.keys.snapshot, sampleSnapshot(), h.keys.stateChanged);
    const socket = await connect('?jobId=some-job');
    try {
      expect(await socket.next(() => true)).toEqual({ type: 'status', worker: expect.objectContaining({ online: false }) });
    } finally {
      socket.close();
    }
  });

  it('says degraded within 3 s of Redis stopping, then recovered and the status again once it is back', async () => {
    await publishSnapshot(workerRedis, h.keys.snapshot, sampleSnapshot(), h.keys.stateChanged);
    const socket = await connect();
    try {
      await socket.next((m) => status(m)?.snapshot != null);
      const stopped = Date.now();
      await h.server.down();
      const degraded = await socket.next((m) => m.type === 'degraded', 3_000);
      expect(Date.now() - stopped).toBeLessThan(3_000);
      expect(degraded).toMatchObject({ type: 'degraded', reason: 'redis-unavailable', message: expect.stringContaining('Redis') });

      await h.server.up();
      const recovered = socket.received.indexOf(await socket.next((m) => m.type === 'recovered', 10_000));
      const after = status(await socket.next((m) => socket.received.indexOf(m) > recovered && m.type === 'status', 5_000));
      expect(after?.snapshot).not.toBeNull();
    } finally {
      socket.close();
    }
  });
});
