// Job lookup and cancel. The "worker" here is a bare BullMQ Worker whose processor
// the test controls; the cancel channel is followed exactly as the real worker does:
// subscribe to the queue's cancel key and call worker.cancelJob(id).
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, CancelResponse, EnqueuedResponse, ErrorBody, JobView } from '../../contract/index.js';
import {
  recordQueueEvents,
  sampleProgress,
  sampleResult,
  startBareWorker,
  storeOutcome,
  useApiHarness,
} from '../../test/support/api-harness.js';
import { parseCancelMessage } from '../../worker/cancel.js';

const h = useApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } });

async function enqueue(path: '/run' | '/dry-run' = '/run'): Promise<string> {
  const res = await h.call(`${ADMIN_PREFIX}${path}`, { method: 'POST', role: 'operator', json: {} });
  expect(res.status).toBe(202);
  return EnqueuedResponse.parse(await res.json()).jobId;
}

const getJob = (id: string) => h.call(`${ADMIN_PREFIX}/jobs/${id}`, { role: 'viewer' });
const cancel = (id: string) => h.call(`${ADMIN_PREFIX}/jobs/${id}/cancel`, { method: 'POST', role: 'operator' });

describe('GET /jobs/:id', () => {
  it('answers 404 JSON for an unknown job', async () => {
    const res = await getJob('no-such-job');
    expect(res.status).toBe(404);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('job-not-found');
  });

  it('shows a waiting job with its data and logs', async () => {
    const id = await enqueue();
    await (await h.queue.getJob(id))!.log('queued by test');
    const view = JobView.parse(await (await getJob(id)).json());
    expect(view).toMatchObject({
      id,
      kind: 'run',
      state: 'waiting',
      data: { kind: 'run', requestedBy: 'otto' },
      progress: null,
      result: null,
      failedReason: null,
      logs: ['queued by test'],
      startedAt: null,
      finishedAt: null,
    });
  });

  it('shows progress while active and the result once completed', async () => {
    const progress = sampleProgress(7);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const bare = startBareWorker(h, async (job) => {
      await job.updateProgress(progress);
      await finished;
      await storeOutcome(job, sampleResult('apply'));
      return sampleResult('apply');
    });
    const events = recordQueueEvents(h.queueEvents);
    try {
      const id = await enqueue();
      await events.waitFor('progress', id);
      const active = JobView.parse(await (await getJob(id)).json());
      expect(active).toMatchObject({ state: 'active', progress });
      expect(active.startedAt).not.toBeNull();

      finish();
      await events.waitFor('completed', id);
      const done = JobView.parse(await (await getJob(id)).json());
      expect(done).toMatchObject({ state: 'completed', result: { status: 'success', mode: 'apply' }, errorCode: null });
    } finally {
      finish();
      events.stop();
      await bare.close();
    }
  });
});

describe('GET /jobs/:id of a failed run', () => {
  it('carries the RunResult and the error code the worker stored', async () => {
    const failedResult = { ...sampleResult('apply'), status: 'failed' as const, error: '005_broken.sql: Catalog Error' };
    const bare = startBareWorker(h, async (job) => {
      await job.updateProgress({
        seq: 9,
        percent: 100,
        at: new Date().toISOString(),
        event: { type: 'run:done', runId: 'run-2', mode: 'apply', status: 'failed', durationMs: 5, applied: 0, failed: 1 },
      });
      await storeOutcome(job, failedResult, 'migration-failed');
      throw new UnrecoverableError(failedResult.error);
    });
    const events = recordQueueEvents(h.queueEvents);
    try {
      const id = await enqueue();
      await events.waitFor('failed', id);
      const view = JobView.parse(await (await getJob(id)).json());
      expect(view).toMatchObject({ state: 'failed', failedReason: failedResult.error, result: { status: 'failed', error: failedResult.error }, errorCode: 'migration-failed' });
    } finally {
      events.stop();
      await bare.close();
    }
  });
});

describe('POST /jobs/:id/cancel', () => {
  it('removes a waiting job (200) and frees the run lock', async () => {
    const id = await enqueue();
    const res = await cancel(id);
    expect(res.status).toBe(200);
    expect(CancelResponse.parse(await res.json())).toEqual({ jobId: id, outcome: 'removed', workersNotified: 0 });
    expect((await getJob(id)).status).toBe(404);
    await enqueue(); // a new run is accepted again
  });

  it('asks the worker to cancel an active job over the cancel channel (202)', async () => {
    const bare = startBareWorker(h, async (job, _token, signal) => {
      await new Promise((_, reject) => {
        const stop = () => void storeOutcome(job, null, 'cancelled').then(() => reject(new UnrecoverableError('cancelled by request')));
        if (signal?.aborted) stop();
        signal?.addEventListener('abort', stop);
      });
    });
    // what the worker process does with the channel
    const subscriber = new Redis(h.server.url);
    await subscriber.subscribe(h.keys.cancel);
    subscriber.on('message', (_channel, message: string) => bare.worker.cancelJob(parseCancelMessage(message)!.jobId));
    const events = recordQueueEvents(h.queueEvents);
    try {
      const id = await enqueue();
      await events.waitFor('active', id);
      const res = await cancel(id);
      expect(res.status).toBe(202);
      expect(CancelResponse.parse(await res.json())).toEqual({ jobId: id, outcome: 'cancel-requested', workersNotified: 1 });
      await events.waitFor('failed', id);
      const view = JobView.parse(await (await getJob(id)).json());
      expect(view).toMatchObject({ state: 'failed', failedReason: 'cancelled by request', cancelledBy: 'otto', errorCode: 'cancelled' });
    } finally {
      events.stop();
      await subscriber.quit();
      await bare.close();
    }
  });

  it('answers 409 for a job that has finished, and 404 for an unknown one', async () => {
    const bare = startBareWorker(h, async () => sampleResult('rehearse'));
    try {
      const id = await enqueue('/dry-run');
      await (await h.queue.getJob(id))!.waitUntilFinished(h.queueEvents, 10_000);
      const res = await cancel(id);
      expect(res.status).toBe(409);
      expect(ErrorBody.parse(await res.json()).error).toMatchObject({ code: 'job-finished', details: { jobId: id, state: 'completed' } });
    } finally {
      await bare.close();
    }
    expect((await cancel('no-such-job')).status).toBe(404);
  });
});
