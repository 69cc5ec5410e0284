// Specification of starting a fleet run against a real Redis: the record, the runs index
// and the coordinator job as the contract describes them; one run in flight at a time;
// the run announced before its job exists; a job that cannot be added leaves nothing behind.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FLEET_QUEUE, FleetJobData, FleetRun, fleetKeys } from '../contract/index.js';
import { startTestRedis, type TestRedis } from '../test/support/redis.js';
import { createFleetRun } from './create-run.js';
import { openFleetQueue, type FleetQueue } from './queue.js';

const keys = fleetKeys('{t}');
let server: TestRedis;
let redis: Redis;
let queue: FleetQueue;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  queue = openFleetQueue(redis, '{t}bull');
});
beforeEach(async () => {
  await redis.flushall();
});
afterAll(async () => {
  await queue?.close();
  await redis?.quit();
  await server?.stop();
});

describe('createFleetRun', () => {
  it('takes the active slot, writes the queued record, indexes it and adds the coordinator job under the run id', async () => {
    const now = new Date('2026-01-02T03:04:05.000Z');
    const answer = await createFleetRun(
      { redis, queue, keyPrefix: '{t}' },
      { mode: 'run', reason: 'release 7', select: { labels: { tier: 'gold' } }, halt: { maxFailedPercent: 5 } },
      { requestedBy: 'otto', now },
    );
    if (!answer.created) throw new Error('refused');
    const { run } = answer;
    expect(run).toMatchObject({ mode: 'run', status: 'queued', requestedBy: 'otto', reason: 'release 7', createdAt: now.toISOString(), halt: { maxFailedPercent: 5 }, waves: [] });
    expect(await redis.get(keys.active)).toBe(run.id);
    expect(FleetRun.parse(JSON.parse((await redis.get(keys.run(run.id)))!))).toEqual(run);
    expect(await redis.zscore(keys.runs, run.id)).toBe(String(now.getTime()));
    const job = await queue.getJob(run.id);
    expect(job?.queueName).toBe(FLEET_QUEUE);
    expect(job?.queueQualifiedName).toBe(`{t}bull:${FLEET_QUEUE}`);
    expect(FleetJobData.parse(job?.data)).toEqual({ mode: 'run', reason: 'release 7', select: { labels: { tier: 'gold' } }, halt: { maxFailedPercent: 5 }, runId: run.id, requestedBy: 'otto' });
  });

  it('announces the stored run before the coordinator can see its job, so the announcement comes first', async () => {
    const seen: { record: unknown; job: unknown }[] = [];
    const answer = await createFleetRun({ redis, queue, keyPrefix: '{t}' }, { mode: 'dry-run' }, {
      requestedBy: 'otto',
      announce: async (run) => {
        seen.push({ record: JSON.parse((await redis.get(keys.run(run.id)))!), job: (await queue.getJob(run.id)) ?? null });
      },
    });
    if (!answer.created) throw new Error('refused');
    expect(seen).toEqual([{ record: answer.run, job: null }]);
    expect(await queue.getJob(answer.run.id)).toBeDefined();
  });

  it('refuses a second run while one is active, naming it, and creates nothing for it', async () => {
    const first = await createFleetRun({ redis, queue, keyPrefix: '{t}' }, { mode: 'dry-run' }, { requestedBy: 'otto' });
    const second = await createFleetRun({ redis, queue, keyPrefix: '{t}' }, { mode: 'run' }, { requestedBy: 'ada' });
    expect(first.created && second).toEqual({ created: false, activeRunId: first.created ? first.run.id : '' });
    expect(await redis.zcard(keys.runs)).toBe(1);
    expect(await queue.count()).toBe(1);
  });

  it('undoes the record and frees the slot when the job cannot be added (the queue\'s Redis connection is gone)', async () => {
    const gone = new Redis(server.url, { maxRetriesPerRequest: null });
    await gone.quit();
    const unreachable = openFleetQueue(gone, '{t}bull');
    unreachable.on('error', () => undefined);
    try {
      await expect(createFleetRun({ redis, queue: unreachable, keyPrefix: '{t}' }, { mode: 'run' }, { requestedBy: 'otto' })).rejects.toThrow();
    } finally {
      await unreachable.close().catch(() => undefined);
      gone.disconnect();
    }
    expect(await redis.get(keys.active)).toBeNull();
    expect(await redis.zcard(keys.runs)).toBe(0);
    expect(await redis.keys('{t}:fleet:run:*')).toEqual([]);
  });
});
