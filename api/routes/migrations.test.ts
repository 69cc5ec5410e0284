// run / dry-run / restore / status / history against a real Redis and BullMQ queue.
// No worker runs unless a test starts a bare BullMQ Worker: enqueued jobs just wait.
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_PREFIX,
  EnqueuedResponse,
  ErrorBody,
  HEARTBEAT_TTL_MS,
  HistoryResponse,
  JobView,
  StatusResponse,
} from '../../contract/index.js';
import { sampleResult, sampleSnapshot, startBareWorker, storeOutcome, useApiHarness } from '../../test/support/api-harness.js';
import { RUN_LOCK_ID } from '../jobs.js';

const h = useApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } }, (h) => h.redis.del(h.keys.snapshot, h.keys.heartbeat));

const post = (path: string, role: 'viewer' | 'operator' | 'admin', json?: unknown) =>
  h.call(`${ADMIN_PREFIX}${path}`, { method: 'POST', role, json });

describe('POST /run', () => {
  it('enqueues a run job for the caller and answers 202 with where to follow it', async () => {
    const res = await post('/run', 'operator', { target: 3, reason: 'release 42', allOrNothing: true });
    expect(res.status).toBe(202);
    const body = EnqueuedResponse.parse(await res.json());
    expect(body.statusUrl).toBe(`${ADMIN_PREFIX}/jobs/${body.jobId}`);
    expect(body.eventsUrl).toBe(`${ADMIN_PREFIX}/events?jobId=${body.jobId}`);

    const job = await h.queue.getJob(body.jobId);
    expect(job?.name).toBe('run');
    expect(job?.data).toEqual({ kind: 'run', requestedBy: 'otto', target: 3, reason: 'release 42', allOrNothing: true, notAfter: expect.any(String) });
    expect(job?.opts).toMatchObject({ attempts: 1, removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } });
    expect(await h.queue.getDeduplicationJobId(RUN_LOCK_ID)).toBe(body.jobId);
  });

  it('accepts a request without a body', async () => {
    const res = await h.call(`${ADMIN_PREFIX}/run`, { method: 'POST', role: 'operator' });
    expect(res.status).toBe(202);
  });

  it('answers 409 with the holder\'s id while a run waits', async () => {
    const first = EnqueuedResponse.parse(await (await post('/run', 'operator', {})).json());
    const second = await post('/run', 'admin', { reason: 'again' });
    expect(second.status).toBe(409);
    const body = ErrorBody.parse(await second.json());
    expect(body.error).toMatchObject({ code: 'run-in-progress', details: { jobId: first.jobId } });
    expect(await h.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('lets exactly one of 50 concurrent requests through', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => post('/run', 'operator', {})));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const accepted = EnqueuedResponse.parse(await responses[statuses.indexOf(202)]!.json());
    const holders = await Promise.all(
      responses.filter((r) => r.status === 409).map(async (r) => (ErrorBody.parse(await r.json()).error.details as { jobId: string }).jobId),
    );
    expect(new Set(holders)).toEqual(new Set([accepted.jobId]));
    expect(await h.queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 1, active: 0 });
  });

  it('accepts the next run once the holder has finished', async () => {
    const first = EnqueuedResponse.parse(await (await post('/run', 'operator', {})).json());
    const worker = startBareWorker(h, async () => sampleResult('apply'));
    try {
      const job = await h.queue.getJob(first.jobId);
      await job!.waitUntilFinished(h.queueEvents, 10_000);
    } finally {
      await worker.close();
    }
    expect((await post('/run', 'operator', {})).status).toBe(202);
  });
});

describe('POST /restore', () => {
  it('is admin only and shares the single-in-flight rule with runs', async () => {
    expect((await post('/restore', 'operator', { restorePointId: 'rp-1' })).status).toBe(403);
    const run = EnqueuedResponse.parse(await (await post('/run', 'operator', {})).json());
    const blocked = await post('/restore', 'admin', { restorePointId: 'rp-1' });
    expect(blocked.status).toBe(409);
    expect(ErrorBody.parse(await blocked.json()).error.details).toMatchObject({ jobId: run.jobId });

    await h.drain();
    const restore = await post('/restore', 'admin', { restorePointId: 'rp-1', reason: 'bad deploy' });
    expect(restore.status).toBe(202);
    const { jobId } = EnqueuedResponse.parse(await restore.json());
    expect((await h.queue.getJob(jobId))?.data).toEqual({ kind: 'restore', requestedBy: 'ada', restorePointId: 'rp-1', reason: 'bad deploy', notAfter: expect.any(String) });
    expect((await post('/run', 'operator', {})).status).toBe(409);
  });

  it('requires a restore point', async () => {
    const res = await post('/restore', 'admin', {});
    expect(res.status).toBe(400);
  });
});

describe('POST /dry-run', () => {
  it('enqueues a dry run (rehearsal by default) without the single-in-flight rule', async () => {
    await post('/run', 'operator', {});
    const a = await post('/dry-run', 'operator');
    const b = await post('/dry-run', 'operator', { target: 2, rehearse: false });
    expect([a.status, b.status]).toEqual([202, 202]);
    const jobA = await h.queue.getJob(EnqueuedResponse.parse(await a.json()).jobId);
    const jobB = await h.queue.getJob(EnqueuedResponse.parse(await b.json()).jobId);
    expect(jobA?.data).toEqual({ kind: 'dry-run', requestedBy: 'otto', rehearse: true });
    expect(jobB?.data).toEqual({ kind: 'dry-run', requestedBy: 'otto', target: 2, rehearse: false });
  });

  it('with ?wait answers 200 and the finished job inline', async () => {
    const result = sampleResult('rehearse');
    const worker = startBareWorker(h, async (job) => {
      await job.log('rehearsed 1 migration');
      await storeOutcome(job, result);
      return result;
    });
    try {
      const res = await post('/dry-run?wait=10', 'operator', {});
      expect(res.status).toBe(200);
      const view = JobView.parse(await res.json());
      expect(view).toMatchObject({ kind: 'dry-run', state: 'completed', result, logs: ['rehearsed 1 migration'], failedReason: null });
      expect(view.finishedAt).not.toBeNull();
    } finally {
      await worker.close();
    }
  });

  it('with ?wait answers 202 when the job has not finished in time', async () => {
    const started = Date.now();
    const res = await post('/dry-run?wait=1', 'operator', {});
    expect(res.status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    EnqueuedResponse.parse(await res.json());
  });

  it('refuses ?wait beyond 60 seconds or not a number', async () => {
    for (const wait of ['61', 'soon', '-1', '1.5']) {
      const res = await post(`/dry-run?wait=${wait}`, 'operator', {});
      expect(res.status, wait).toBe(400);
      expect(ErrorBody.parse(await res.json()).error).toMatchObject({ code: 'invalid-request', details: { target: 'query' } });
    }
  });
});

describe('GET /status', () => {
  it('says offline, with no snapshot, before the worker ever published', async () => {
    const res = await h.call(`${ADMIN_PREFIX}/status?view=full`, { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(StatusResponse.parse(await res.json())).toEqual({
      snapshot: null,
      worker: { online: false, lastHeartbeatAt: null, snapshotAgeMs: null, busyWith: null },
      queue: { waiting: 0, active: 0, completed: 0, failed: 0, failedDryRuns: 0, delayed: 0, paused: false },
      activeJob: null,
    });
  });

  it('reads the worker\'s snapshot and heartbeat from Redis, with queue counts and the active run', async () => {
    const snapshot = sampleSnapshot(new Date(Date.now() - 5_000));
    const heartbeat = { workerId: 'worker-1', at: new Date().toISOString(), busyWith: null };
    await h.redis.set(h.keys.snapshot, JSON.stringify(snapshot));
    await h.redis.set(h.keys.heartbeat, JSON.stringify(heartbeat), 'PX', HEARTBEAT_TTL_MS);
    const run = EnqueuedResponse.parse(await (await post('/run', 'operator', {})).json());
    await post('/dry-run', 'operator', {});

    const status = StatusResponse.parse(await (await h.call(`${ADMIN_PREFIX}/status?view=full`, { role: 'viewer' })).json());
    expect(status.snapshot).toEqual(snapshot);
    expect(status.worker).toMatchObject({ online: true, lastHeartbeatAt: heartbeat.at, busyWith: null });
    expect(status.worker.snapshotAgeMs).toBeGreaterThanOrEqual(5_000);
    expect(status.worker.snapshotAgeMs).toBeLessThan(60_000);
    expect(status.queue).toEqual({ waiting: 2, active: 0, completed: 0, failed: 0, failedDryRuns: 0, delayed: 0, paused: false });
    expect(status.activeJob).toEqual({ jobId: run.jobId, kind: 'run', state: 'waiting' });
  });

  it('reports the worker offline, and the snapshot\'s age, once the heartbeat is gone', async () => {
    await h.redis.set(h.keys.snapshot, JSON.stringify(sampleSnapshot(new Date(Date.now() - 120_000))));
    const status = StatusResponse.parse(await (await h.call(`${ADMIN_PREFIX}/status?view=full`, { role: 'viewer' })).json());
    expect(status.worker.online).toBe(false);
    expect(status.worker.snapshotAgeMs).toBeGreaterThanOrEqual(120_000);
    expect(status.snapshot?.status.currentVersion).toBe(1);
  });

  it('counts failed dry-runs apart from failed runs', async () => {
    const bare = startBareWorker(h, async (job) => {
      throw new UnrecoverableError(`${job.name} failed on purpose`);
    });
    try {
      for (const path of ['/dry-run', '/dry-run', '/run']) {
        const { jobId } = EnqueuedResponse.parse(await (await post(path, 'operator', {})).json());
        await (await h.queue.getJob(jobId))!.waitUntilFinished(h.queueEvents, 10_000).catch(() => undefined);
      }
    } finally {
      await bare.close();
    }
    const status = StatusResponse.parse(await (await h.call(`${ADMIN_PREFIX}/status?view=full`, { role: 'viewer' })).json());
    expect(status.queue).toMatchObject({ failed: 3, failedDryRuns: 2 });
  });

  it('answers 502 JSON when the snapshot does not match the contract', async () => {
    await h.redis.set(h.keys.snapshot, JSON.stringify({ worker: 'someone else' }));
    const res = await h.call(`${ADMIN_PREFIX}/status`, { role: 'viewer' });
    expect(res.status).toBe(502);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('invalid-snapshot');
  });
});

describe('GET /history', () => {
  it('returns runs and ledger from the snapshot and queue jobs newest first', async () => {
    const snapshot = sampleSnapshot();
    await h.redis.set(h.keys.snapshot, JSON.stringify(snapshot));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post('/dry-run', 'operator', {});
      ids.push(EnqueuedResponse.parse(await res.json()).jobId);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const res = await h.call(`${ADMIN_PREFIX}/history`, { role: 'viewer' });
    expect(res.status).toBe(200);
    const history = HistoryResponse.parse(await res.json());
    expect(history.runs).toEqual(snapshot.runs);
    expect(history.ledger).toEqual(snapshot.status.ledger);
    expect(history.jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    const created = history.jobs.map((j) => j.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    expect(history.jobs[0]).toMatchObject({ kind: 'dry-run', state: 'waiting', data: { requestedBy: 'otto' } });
  });

  it('is empty but valid without a snapshot, and lists at most 50 jobs', async () => {
    await Promise.all(Array.from({ length: 55 }, () => post('/dry-run', 'operator', {})));
    const history = HistoryResponse.parse(await (await h.call(`${ADMIN_PREFIX}/history`, { role: 'viewer' })).json());
    expect(history.runs).toEqual([]);
    expect(history.ledger).toEqual([]);
    expect(history.jobs).toHaveLength(50);
  });
});

describe('GET /metrics', () => {
  it('exposes request counts, queue counts and worker liveness as Prometheus text', async () => {
    await post('/dry-run', 'operator', {});
    const res = await h.call('/metrics', { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await res.text();
    expect(text).toMatch(/^duckmig_http_requests_total\{method="POST",route="\/api\/v1\/admin\/migrations\/dry-run",status="202"\} \d+$/m);
    expect(text).toMatch(/^duckmig_queue_jobs\{state="waiting"\} 1$/m);
    expect(text).toMatch(/^duckmig_worker_online 0$/m);
    expect(text).toMatch(/^duckmig_live_clients 0$/m);
  });
});
