// The live channel over SSE, fed the real way: a bare BullMQ Worker picks the job
// and calls job.updateProgress(); QueueEvents carries it to the API's LiveHub.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, EnqueuedResponse, LiveMessage } from '../contract/index.js';
import { sampleProgress, sampleResult, startApiHarness, startBareWorker, type ApiHarness } from '../test/support/api-harness.js';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } });
});
afterEach(async () => {
  await h.drain();
});
afterAll(async () => {
  await h?.close();
});

/** Reads `data:` lines of an SSE response as LiveMessages. */
function sse(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const pending: LiveMessage[] = [];
  return {
    async next(match: (m: LiveMessage) => boolean = () => true): Promise<LiveMessage> {
      for (;;) {
        const index = pending.findIndex(match);
        if (index >= 0) return pending.splice(index, 1)[0]!;
        const { value, done } = await reader.read();
        if (done) throw new Error('event stream ended');
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of frame.split('\n')) {
            if (line.startsWith('data: ')) pending.push(LiveMessage.parse(JSON.parse(line.slice(6))));
          }
        }
      }
    },
    /** every message received so far that nobody asked for */
    unread: () => [...pending],
    close: () => reader.cancel(),
  };
}

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
    const stream = sse(res);

    const status = await stream.next();
    expect(status).toEqual({ type: 'status', worker: { online: false, lastHeartbeatAt: null, snapshotAgeMs: null, busyWith: null } });
    expect(h.api.hub.clients).toBe(1);

    const progress = sampleProgress(1);
    const result = sampleResult('rehearse');
    const bare = startBareWorker(h, async (job) => {
      await job.updateProgress(progress);
      return result;
    });
    try {
      const ofFollowed = (m: LiveMessage) => m.type !== 'waiting' && m.type !== 'status';
      expect(await stream.next(ofFollowed)).toEqual({ type: 'active', jobId: followed });
      expect(await stream.next(ofFollowed)).toEqual({ type: 'progress', jobId: followed, progress });
      expect(await stream.next(ofFollowed)).toEqual({ type: 'completed', jobId: followed, result });
      expect(stream.unread().filter((m) => 'jobId' in m && m.jobId === other)).toEqual([]);
    } finally {
      await stream.close();
      await bare.close();
    }
    await expect.poll(() => h.api.hub.clients).toBe(0);
  });

  it('streams every job without a filter, failures included', async () => {
    const res = await h.call(`${ADMIN_PREFIX}/events/sse`, { role: 'viewer' });
    const stream = sse(res);
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
      });
    } finally {
      await stream.close();
      await bare.close();
    }
  });
});
