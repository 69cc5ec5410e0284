// Test harness for the API: a real Redis (startTestRedis), the API's own connection
// setup, a queue per test file, a primed QueueEvents, createApp() and one token per
// role; useApiHarness() gives a test file one, drained between its tests.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Queue, QueueEvents, QueueEventsProducer, Worker, type Job, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { JobProgress, RunResult, WorkerSnapshot, redisKeys, type ErrorCode, type JobData, type JobDataWithOutcome, type Role } from '../../contract/index.js';
import { planIds } from '../../core/plan.js';
import { createApp, type ApiApp, type ApiDeps } from '../../api/app.js';
import { connectRedis, createCommandConnection, createEventsConnection } from '../../api/redis.js';
import { redisTopology, type RedisConnection } from '../../config/redis-connection.js';
import type { TokenEntry } from '../../config/token-list.js';
import { createTokenStore } from '../../api/tokens.js';
import { startTestRedis, type TestRedis } from './redis.js';

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export interface ApiHarness {
  server: TestRedis;
  redis: Redis;
  queue: Queue<JobData>;
  /** the Redis keys the worker publishes for this queue (snapshot, heartbeat, plans …) */
  keys: ReturnType<typeof redisKeys>;
  queueEvents: QueueEvents;
  api: ApiApp;
  tokens: Record<Role, TokenEntry>;
  /** Authorization header for a role */
  auth(role: Role): Record<string, string>;
  /** app.request with an optional role's token and a JSON body */
  call(path: string, init?: { method?: string; role?: Role; json?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** removes every job (between tests) */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<ApiDeps, 'queue' | 'queueEvents' | 'redis' | 'tokens'>> & { queueName?: string };

const token = () => randomBytes(24).toString('base64url');

/** Waits until QueueEvents really reads the stream (its XREAD starts at "$"). */
export async function primeQueueEvents(queueEvents: QueueEvents, redis: RedisConnection, queueName: string): Promise<void> {
  const producer = new QueueEventsProducer(queueName, { connection: redis });
  const primed = once(queueEvents, 'primed');
  let attempts = 0;
  const timer = setInterval(() => {
    if (++attempts > 200) return;
    void producer.publishEvent({ eventName: 'primed' });
  }, 25);
  try {
    await primed;
  } finally {
    clearInterval(timer);
    await producer.close();
  }
}

export async function startApiHarness(options: HarnessOptions = {}): Promise<ApiHarness> {
  const logger = options.logger ?? pino({ level: process.env.DUCKMIG_TEST_LOG ?? 'silent' });
  const queueName = options.queueName ?? `test-${randomBytes(4).toString('hex')}`;
  const server = await startTestRedis();
  const topology = redisTopology(server.url);
  const redis = createCommandConnection(topology, logger);
  // the harness's Redis is one server (startTestRedis), never a cluster
  if (!(redis instanceof Redis)) throw new Error('the API harness runs on one Redis');
  await connectRedis(redis, topology);
  const eventsBase = createEventsConnection(topology, logger);
  const queue = new Queue<JobData>(queueName, { connection: redis });
  const queueEvents = new QueueEvents(queueName, { connection: eventsBase });
  // as in main.ts: connection errors are expected when a test stops Redis
  queue.on('error', () => undefined);
  queueEvents.on('error', () => undefined);
  await queueEvents.waitUntilReady();
  await primeQueueEvents(queueEvents, redis, queueName);

  const tokens = {
    viewer: { name: 'vera', role: 'viewer', token: token() },
    operator: { name: 'otto', role: 'operator', token: token() },
    admin: { name: 'ada', role: 'admin', token: token() },
  } satisfies Record<Role, TokenEntry>;
  const api = createApp({
    uiDir: null,
    ...options,
    logger,
    queue,
    queueEvents,
    redis,
    tokens: createTokenStore(Object.values(tokens)),
  });
  const auth = (role: Role) => ({ Authorization: `Bearer ${tokens[role].token}` });

  return {
    server,
    redis,
    queue,
    keys: redisKeys(queueName),
    queueEvents,
    api,
    tokens,
    auth,
    call(path, init = {}) {
      const headers: Record<string, string> = { ...(init.role ? auth(init.role) : {}), ...init.headers };
      let body: string | undefined;
      if (init.json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(init.json);
      }
      return Promise.resolve(api.app.request(path, { method: init.method ?? 'GET', headers, body }));
    },
    async drain() {
      await queue.obliterate({ force: true });
    },
    async close() {
      api.close();
      // With Redis stopped, QueueEvents.close() never settles (it waits for an 'end' event).
      await Promise.race([queueEvents.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      await queue.close().catch(() => undefined);
      eventsBase.disconnect();
      await redis.quit().catch(() => redis.disconnect());
      await server.stop();
    },
  };
}

/**
 * One harness for the test file that calls this at its top level: started before its
 * tests, its queue drained after each test (then `afterEachTest`, e.g. to delete what a
 * test published), closed after all. Use the returned harness inside tests and hooks.
 */
export function useApiHarness(options: HarnessOptions = {}, afterEachTest?: (h: ApiHarness) => Promise<unknown>): ApiHarness {
  let current: ApiHarness | undefined;
  const started = (): ApiHarness => {
    if (!current) throw new Error('the API harness starts in beforeAll: use it inside tests and hooks');
    return current;
  };
  beforeAll(async () => {
    current = await startApiHarness(options);
  });
  afterEach(async () => {
    await started().drain();
    await afterEachTest?.(started());
  });
  afterAll(async () => {
    await current?.close();
  });
  return new Proxy({} as ApiHarness, { get: (_target, key) => started()[key as keyof ApiHarness] });
}

/**
 * A bare BullMQ Worker on the harness's queue (what the real worker does, minus the
 * runner): the processor decides what the job does. close() also ends its connection.
 */
export function startBareWorker(h: ApiHarness, processor: Processor<JobData>): { worker: Worker<JobData>; close(): Promise<void> } {
  const connection = new Redis(h.server.url, { maxRetriesPerRequest: null });
  const worker = new Worker<JobData>(h.queue.name, processor, { connection, concurrency: 1 });
  worker.on('error', () => undefined);
  return {
    worker,
    async close() {
      await worker.close(true);
      connection.disconnect();
    },
  };
}

/** What the real worker does before a job settles, whatever its end: it stores the outcome in the job's data. */
export async function storeOutcome(job: Job<JobData>, result: RunResult | null, errorCode: ErrorCode | null = null): Promise<void> {
  const data: JobDataWithOutcome = { ...job.data, outcome: { result, errorCode } };
  await job.updateData(data);
}

/**
 * Records QueueEvents from now on, so a test can enqueue first and then wait for an
 * event of that job without racing the event stream.
 */
export function recordQueueEvents(queueEvents: QueueEvents, events = ['active', 'progress', 'completed', 'failed'] as const) {
  const seen = new Set<string>();
  const waiters = new Map<string, () => void>();
  const listeners = events.map((event) => {
    const listener = ({ jobId }: { jobId: string }) => {
      const key = `${event}:${jobId}`;
      seen.add(key);
      waiters.get(key)?.();
    };
    queueEvents.on(event, listener);
    return () => queueEvents.off(event, listener);
  });
  return {
    waitFor(event: (typeof events)[number], jobId: string): Promise<void> {
      const key = `${event}:${jobId}`;
      if (seen.has(key)) return Promise.resolve();
      return new Promise((resolve) => waiters.set(key, resolve));
    },
    stop() {
      for (const off of listeners) off();
    },
  };
}

// Contract-shaped samples, validated by the contract's own schemas so a contract
// change breaks the fixtures loudly rather than the assertions quietly.

export function sampleSnapshot(publishedAt = new Date()): WorkerSnapshot {
  const at = publishedAt.toISOString();
  const ledger = {
    version: 1,
    name: 'initial_schema',
    checksum: 'a'.repeat(64),
    status: 'applied' as const,
    appliedAt: at,
    durationMs: 12,
    appliedBy: 'ada',
    runId: 'run-1',
    jobId: 'job-1',
    error: null,
  };
  return WorkerSnapshot.parse({
    worker: { id: 'worker-1', pid: 4242, host: 'test', startedAt: at, version: '0.1.0' },
    publishedAt: at,
    status: {
      database: { path: 'data/metadata.duckdb', sizeBytes: 12288, duckdbVersion: 'v1.5.6' },
      migrationsDir: 'migrations/duckdb',
      currentVersion: 1,
      latestVersion: 2,
      applied: [ledger],
      ledger: [ledger],
      pending: [
        {
          version: 2,
          name: 'add_owner',
          file: '002_add_owner.sql',
          checksum: 'b'.repeat(64),
          statementCount: 1,
          sizeBytes: 47,
          planId: planIds([{ version: 2, checksum: 'b'.repeat(64) }])[0],
        },
      ],
      problems: [],
      legacy: null,
      generatedAt: at,
    },
    runs: [
      {
        runId: 'run-1',
        jobId: 'job-1',
        mode: 'apply',
        status: 'success',
        requestedBy: 'ada',
        reason: 'first deploy',
        startedAt: at,
        finishedAt: at,
        durationMs: 12,
        fromVersion: 0,
        toVersion: 1,
        error: null,
        migrations: [{ version: 1, name: 'initial_schema', file: '001_initial_schema.sql', checksum: 'a'.repeat(64), status: 'applied', statements: 3, durationMs: 12 }],
      },
    ],
  });
}

export function sampleProgress(seq = 1): JobProgress {
  return JobProgress.parse({
    seq,
    percent: 50,
    at: new Date().toISOString(),
    event: { type: 'migration:start', runId: 'run-2', version: 2, name: 'add_owner', index: 0, total: 1, statements: 1 },
  });
}

export function sampleResult(mode: RunResult['mode'] = 'rehearse'): RunResult {
  const at = new Date().toISOString();
  return RunResult.parse({
    runId: 'run-2',
    mode,
    status: 'success',
    startedAt: at,
    finishedAt: at,
    durationMs: 5,
    fromVersion: 1,
    toVersion: 2,
    migrations: [],
    problems: [],
  });
}
