// Status reads reused while nothing changes (DUCKMIG_STATUS_CACHE_MS): pollers cost Redis
// at most one read per interval, yet every announced change (a worker's snapshot, a job
// event, a request to this API) shows in the very next answer, and a frozen Redis still
// ends in 503 rather than an old status served forever.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, StatusSummary } from '../contract/index.js';
import { sampleSnapshot, startApiHarness, type ApiHarness } from '../test/support/api-harness.js';

/** how many times Redis ran a command (INFO commandstats) */
async function callsOf(h: ApiHarness, command: string): Promise<number> {
  const info = await h.redis.info('commandstats');
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match ? Number(match[1]) : 0;
}

async function summary(h: ApiHarness): Promise<StatusSummary> {
  const res = await h.call(`${ADMIN_PREFIX}/status`, { role: 'viewer' });
  expect(res.status).toBe(200);
  return StatusSummary.parse(await res.json());
}

async function publishSnapshot(h: ApiHarness, publishedAt: Date): Promise<void> {
  await h.redis.set(h.keys.snapshot, JSON.stringify(sampleSnapshot(publishedAt)));
  await h.redis.publish(h.keys.stateChanged, publishedAt.toISOString());
}

/** Resolves once a second subscriber to the state-changed channel heard a message (the API's subscribed earlier). */
async function announced(h: ApiHarness, publish: () => Promise<void>): Promise<void> {
  const listener = h.redis.duplicate({ enableOfflineQueue: true });
  try {
    await listener.subscribe(h.keys.stateChanged);
    const heard = once(listener, 'message');
    await publish();
    await heard;
  } finally {
    listener.disconnect();
  }
}

describe('status reuse while nothing changes', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    // long enough that an answer not invalidated by an announcement would stay visibly old
    h = await startApiHarness({ statusCacheMs: 10_000, rateLimit: { limit: 1_000, windowMs: 60_000 } });
    await publishSnapshot(h, new Date(Date.now() - 60_000));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers a burst of polls from one Redis read', async () => {
    await summary(h);
    // the first reuse waits for Redis to answer the probe once
    await expect.poll(async () => {
      const before = await callsOf(h, 'mget');
      await summary(h);
      return (await callsOf(h, 'mget')) - before;
    }).toBe(0);
    const before = await callsOf(h, 'mget');
    for (let i = 0; i < 50; i++) await summary(h);
    expect((await callsOf(h, 'mget')) - before).toBe(0);
  });

  it('shows a snapshot the worker announced in the next answer', async () => {
    const first = await summary(h);
    const publishedAt = new Date();
    await announced(h, () => publishSnapshot(h, publishedAt));
    await expect.poll(async () => (await summary(h)).schema?.publishedAt, { timeout: 500, interval: 20 }).toBe(publishedAt.toISOString());
    expect(first.schema?.publishedAt).not.toBe(publishedAt.toISOString());
  });

  it('shows a run this API queued in its very next answer', async () => {
    expect((await summary(h)).activeJob).toBeNull();
    const res = await h.call(`${ADMIN_PREFIX}/run`, { method: 'POST', role: 'operator', json: { reason: 'reuse test' } });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    expect((await summary(h)).activeJob?.jobId).toBe(jobId);
    await h.drain();
  });

  it('shows a job another API instance queued once its event arrives', async () => {
    expect((await summary(h)).queue.waiting).toBe(0);
    const added = once(h.queueEvents, 'waiting');
    // another instance (or bull-board) adding a job: this API hears it only through QueueEvents
    await h.queue.add('dry-run', { kind: 'dry-run', rehearse: false, requestedBy: 'elsewhere' });
    await added;
    expect((await summary(h)).queue.waiting).toBe(1);
    await h.drain();
  });
});

describe('status reuse under steady polling', () => {
  const REUSE_MS = 2_000;
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ statusCacheMs: REUSE_MS, rateLimit: { limit: 1_000, windowMs: 60_000 } });
    await publishSnapshot(h, new Date(Date.now() - 60_000));
  });
  afterAll(async () => {
    await h?.close();
  });

  /** waits until `at` (Date.now() time): the reused read's age is what this test is about, and only time changes it */
  const until = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

  it('reads Redis again before the reused read runs out, so a poll after that time does not wait for Redis', async () => {
    // a read this test times from: it starts after the request is sent, so it is reusable until at least REUSE_MS after `sent`
    await expect.poll(async () => {
      const before = await callsOf(h, 'mget');
      await summary(h);
      return (await callsOf(h, 'mget')) - before;
    }).toBe(0);
    await announced(h, async () => void (await h.redis.publish(h.keys.stateChanged, 'test')));
    const sent = Date.now();
    const read = await callsOf(h, 'mget');
    await summary(h);
    expect(await callsOf(h, 'mget')).toBe(read + 1);
    const firstRead = Date.now();

    // past half that time: answered from the read, and the next read starts beside the answer
    await until(sent + REUSE_MS * 0.6);
    await summary(h);
    await expect.poll(() => callsOf(h, 'mget'), { timeout: 1_000, interval: 20 }).toBe(read + 2);

    // the first read has run out (it began before firstRead); the one started beside the answer has not
    await until(firstRead + REUSE_MS + 100);
    const before = await callsOf(h, 'mget');
    await summary(h);
    expect((await callsOf(h, 'mget')) - before, 'a poll after the first read ran out read Redis itself').toBe(0);
  });
});

describe('status reuse with a frozen Redis', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ statusCacheMs: 10_000 });
    await publishSnapshot(h, new Date());
  });
  afterAll(async () => {
    h?.server.thaw();
    await h?.close();
  });

  it('stops reusing within about a second and answers 503 within 2 s of each request', async () => {
    await summary(h);
    h.server.freeze();
    try {
      const frozenAt = Date.now();
      let last = 200;
      while (last === 200) {
        const asked = Date.now();
        const res = await h.call(`${ADMIN_PREFIX}/status`, { role: 'viewer' });
        last = res.status;
        expect(Date.now() - asked, 'an answer took longer than 2 s').toBeLessThan(2_000);
        if (last === 200) expect(Date.now() - frozenAt, 'an old status served after Redis stopped answering').toBeLessThan(1_300);
        else expect(last).toBe(503);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      h.server.thaw();
    }
  });
});
