// The live channel over SSE, fed the real way: a bare BullMQ Worker picks the job
// and calls job.updateProgress(); QueueEvents carries it to the API's LiveHub.
import { describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, EnqueuedResponse, LiveMessage } from '../contract/index.js';
import { sampleProgress, sampleResult, startBareWorker, storeOutcome, useApiHarness } from '../test/support/api-harness.js';
import { readLive } from '../test/support/live.js';

const h = useApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } });

async function dryRun(): Promise<string> {
  const res = await h.call(`${ADMIN_PREFIX}/dry-run`, { method: 'POST', role: 'operator', json: {} });
  return EnqueuedResponse.parse(await res.json()).jobId;
}

describe('GET /events/sse', () => {
  it('streams status first, then active, progress and completed of the job it follows', async () => {
    const other = await dryRun(); // processed first: must not show up in the filtered stream
    const followed = await dryRun();
    const res = await h.call(`${ADMIN_PREFIX}/events/sse?jobId=${followed}`, { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const stream = readLive(res);

    const status = await stream.next(() => true);
    expect(status).toEqual({ type: 'status', worker: { online: false, lastHeartbeatAt: null, snapshotAgeMs: null, busyWith: null } });
    expect(h.api.hub.clients).toBe(1);

    const progress = sampleProgress(1);
    const result = sampleResult('rehearse');
    const bare = startBareWorker(h, async (job) => {
      await job.updateProgress(progress);
      await storeOutcome(job, result);
      return result;
    });
    try {
      const ofFollowed = (m: LiveMessage) => m.type !== 'waiting' && m.type !== 'status';
      await stream.next((m) => m.type === 'completed');
      expect(stream.received.filter(ofFollowed)).toEqual([
        { type: 'active', jobId: followed },
        { type: 'progress', jobId: followed, progress },
        { type: 'completed', jobId: followed, result, errorCode: null },
      ]);
      expect(stream.received.filter((m) => 'jobId' in m && m.jobId === other)).toEqual([]);
      expect(stream.skipped).toEqual([]);
    } finally {
      stream.close();
      await bare.close();
    }
    await expect.poll(() => h.api.hub.clients).toBe(0);
  });

  it('streams every job without a filter, failures included', async () => {
    const res = await h.call(`${ADMIN_PREFIX}/events/sse`, { role: 'viewer' });
    const stream = readLive(res);
    await stream.next((m) => m.type === 'status');
    const bare = startBareWorker(h, async () => {
      throw new Error('rehearsal failed: table projects has an index');
    });
    try {
      const id = await dryRun();
      expect(await stream.next((m) => m.type === 'failed')).toEqual({
        type: 'failed',
        jobId: id,
        failedReason: 'rehearsal failed: table projects has an index',
        // it ended without storing an outcome, as a worker that died would
        result: null,
        errorCode: 'crashed',
      });
      expect(stream.skipped).toEqual([]);
    } finally {
      stream.close();
      await bare.close();
    }
  });
});
