// A Redis that stops answering without closing its connections (SIGSTOP: a frozen VM, a
// swapped-out host) must not hang the API: reads and writes answer 503 within 2 s, and
// a run whose enqueue reaches Redis only after the API gave up on it (on SIGCONT) is
// refused by the worker: the client was told 503, so nothing may be applied later.
import { once } from 'node:events';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, ErrorBody, JobView, WorkerSnapshot, redisKeys } from '../contract/index.js';
import { startApiHarness, type ApiHarness } from '../test/support/api-harness.js';
import { sandbox, type Sandbox } from '../test/support/db.js';
import { loadWorkerConfig } from '../worker/config.js';
import { startWorker, type WorkerHandle } from '../worker/main.js';

let h: ApiHarness;
let box: Sandbox;
let worker: WorkerHandle;

beforeAll(async () => {
  h = await startApiHarness({ runDeadlineMs: 3_000 });
  box = sandbox();
  worker = await startWorker(config(), pino({ level: 'silent' }), { queueName: h.queue.name });
});
afterAll(async () => {
  h?.server.thaw();
  await worker?.close();
  await h?.close();
  box?.cleanup();
});

const config = () => loadWorkerConfig({ DUCKMIG_DB: box.dbPath, DUCKMIG_MIGRATIONS: box.migrationsDir, REDIS_URL: h.server.url });

async function snapshot(): Promise<WorkerSnapshot> {
  return WorkerSnapshot.parse(JSON.parse((await h.redis.get(redisKeys(h.queue.name).snapshot))!));
}

describe('Redis frozen (SIGSTOP)', () => {
  it('answers status, history and run with 503 redis-unavailable within 2 s', async () => {
    h.server.freeze();
    try {
      for (const [method, path, role] of [
        ['GET', `${ADMIN_PREFIX}/status`, 'viewer'],
        ['GET', `${ADMIN_PREFIX}/history`, 'viewer'],
        ['POST', `${ADMIN_PREFIX}/run`, 'operator'],
      ] as const) {
        const started = Date.now();
        const res = await Promise.race([
          h.call(path, { method, role, json: method === 'POST' ? {} : undefined }),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_500).unref()),
        ]);
        expect(res, `${method} ${path} still hanging after 2.5 s`).not.toBeNull();
        expect(res!.status, `${method} ${path}`).toBe(503);
        expect(ErrorBody.parse(await res!.json()).error.code).toBe('redis-unavailable');
        expect(Date.now() - started, `${method} ${path}`).toBeLessThan(2_000);
      }
    } finally {
      h.server.thaw();
    }
  });

  it('never applies a run whose enqueue reached Redis after the API answered 503', async () => {
    expect((await snapshot()).status.currentVersion).toBe(0);
    // freeze exactly between the checks before the enqueue and the enqueue itself,
    // so the add is written to the socket and executed only on SIGCONT
    const add = h.queue.add.bind(h.queue);
    h.queue.add = ((...args: Parameters<typeof add>) => {
      h.queue.add = add;
      h.server.freeze();
      return add(...args);
    }) as typeof add;
    const failed = once(h.queueEvents, 'failed') as Promise<[{ jobId: string; failedReason: string }]>;
    const completed = once(h.queueEvents, 'completed').then(() => 'completed');
    let res: Response;
    try {
      res = await h.call(`${ADMIN_PREFIX}/run`, { method: 'POST', role: 'operator', json: { reason: 'frozen' } });
    } finally {
      h.server.thaw();
    }
    expect(res.status).toBe(503);
    // the late job does reach the queue and the worker, which refuses it
    const [{ jobId, failedReason }] = await failed;
    expect(failedReason).toMatch(/expired/);
    const job = await h.queue.getJob(jobId);
    expect(job?.data.kind).toBe('run');
    const view = JobView.parse(await (await h.call(`${ADMIN_PREFIX}/jobs/${jobId}`, { role: 'viewer' })).json());
    expect(view).toMatchObject({ state: 'failed', errorCode: 'deadline-passed', result: null });
    expect(await Promise.race([completed, Promise.resolve('not completed')])).toBe('not completed');
    expect((await snapshot()).status.currentVersion).toBe(0);
  }, 60_000);

  it('still runs a run the API accepted, even when the worker takes it after the deadline', async () => {
    // no worker for a while, so the accepted run waits past its deadline
    await worker.close();
    const completed = once(h.queueEvents, 'completed') as Promise<[{ jobId: string }]>;
    const res = await h.call(`${ADMIN_PREFIX}/run`, { method: 'POST', role: 'operator', json: { reason: 'accepted' } });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await h.queue.getJob(jobId);
    const deadline = Date.parse((job?.data as { notAfter?: string }).notAfter ?? '');
    expect(deadline).toBeGreaterThan(Date.now());
    // waiting is the point here: the deadline must pass while the job waits
    await new Promise((resolve) => setTimeout(resolve, deadline - Date.now() + 200));
    worker = await startWorker(config(), pino({ level: 'silent' }), { queueName: h.queue.name });
    const [done] = await completed;
    expect(done.jobId).toBe(jobId);
    expect((await snapshot()).status.currentVersion).toBe(4);
  }, 60_000);
});
