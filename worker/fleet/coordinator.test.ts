// Specification of the fleet-run coordinator against real Redis and BullMQ, with shard
// consumers in the test (real BullMQ Workers on the shard queues that return outcomes):
// waves one after another with the canary first, the halt rule, the migrations-id check,
// controls (pause, resume, cancel, skip), owner-offline shards, dry-runs, retries, a run's
// allowDrift handed to its target jobs, a coordinator taken over by another worker, and one
// that lost its job's lock leaving the run to the coordinator that takes the job up. Each
// test has its own key and BullMQ prefixes. A paused coordinator polls only every 30 s
// here: resume and cancel must wake it.
import { QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_QUEUE, fleetKeys, shardQueueName, TargetOutcome, type TargetJobData } from '../../contract/index.js';
import { control, FleetEvents, publishFleet, readRun, requestFleetRun, shardState, targetState, type FleetPrefixes } from '../../test/support/fleet.js';
import { startTestRedis, type TestRedis } from '../../test/support/redis.js';
import { startCoordinator, type CoordinatorHandle, type CoordinatorWorkerOptions } from './coordinator-worker.js';

const logger = pino({ level: process.env.DUCKMIG_TEST_LOG ?? 'silent' });
let redis: TestRedis;
let conn: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  conn = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  conn?.disconnect();
  await redis?.stop();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let n = 0;
interface Fleet extends FleetPrefixes {
  events: FleetEvents;
  /** every target job a consumer started, in order */
  touched: TargetJobData[];
  coordinator: CoordinatorHandle;
}

type Behaviour = (job: TargetJobData) => 'ok' | 'fail' | 'throw' | Promise<'ok' | 'fail' | 'throw'>;

/** A fleet of `size` targets t000… over shards a, b, c, each consumed by an in-test worker. */
async function fleet(
  size: number,
  behaviour: Behaviour = () => 'ok',
  opts: { shards?: string[]; consumers?: string[]; migrationsIds?: Record<string, string>; coordinator?: Pick<CoordinatorWorkerOptions, 'notify' | 'lockDurationMs' | 'stalledIntervalMs'> } = {},
): Promise<Fleet> {
  n += 1;
  const prefixes = { keyPrefix: `k${n}`, bullPrefix: `b${n}` };
  const shards = opts.shards ?? ['a', 'b', 'c'];
  const targets = Array.from({ length: size }, (_, i) => targetState(`t${String(i).padStart(3, '0')}`, shards[i % shards.length]!, { tier: i % 2 ? 'gold' : 'free' }));
  await publishFleet(conn, prefixes.keyPrefix, targets, shards.map((s) => shardState(s, opts.migrationsIds?.[s] ?? 'm1')));
  const touched: TargetJobData[] = [];
  for (const shard of opts.consumers ?? shards) {
    const worker = new Worker<TargetJobData, TargetOutcome>(
      shardQueueName(shard),
      async (job) => {
        touched.push(job.data);
        const how = await behaviour(job.data);
        if (how === 'throw') throw new Error(`target ${job.data.target} broke`);
        const result = how === 'fail' ? 'failed' : job.data.kind === 'target-dry-run' ? 'rehearsed' : 'succeeded';
        return TargetOutcome.parse({ id: job.data.target, wave: job.data.wave, result, fromVersion: 0, toVersion: how === 'fail' ? 0 : 1, applied: how === 'fail' ? 0 : 1, durationMs: 1, worker: `worker-${shard}`, ...(how === 'fail' && { errorCode: 'migration-failed', error: 'boom' }), finishedAt: new Date().toISOString() });
      },
      { connection: conn, prefix: prefixes.bullPrefix, concurrency: 4, maxStalledCount: 0 },
    );
    cleanups.push(() => worker.close());
  }
  const coordinator = await startCoordinator({ connection: conn, ...prefixes, offlineAfterMs: 1000, pausePollMs: 30_000, sweepMs: 100, logger, ...opts.coordinator });
  cleanups.push(() => coordinator.close());
  const events = await FleetEvents.open(redis.url, prefixes.keyPrefix);
  cleanups.push(() => events.close());
  return { ...prefixes, events, touched, coordinator };
}

async function outcomes(f: Fleet, runId: string): Promise<Map<string, TargetOutcome>> {
  const all = await conn.hgetall(fleetKeys(f.keyPrefix).runTargets(runId));
  return new Map(Object.entries(all).map(([id, raw]) => [id, TargetOutcome.parse(JSON.parse(raw))]));
}

const results = (m: Map<string, TargetOutcome>) => {
  const counts: Record<string, number> = {};
  for (const o of m.values()) counts[o.result] = (counts[o.result] ?? 0) + 1;
  return counts;
};

describe('the fleet-run coordinator', () => {
  it('runs the default waves in order, the canary alone first, and frees the fleet at the end', async () => {
    const f = await fleet(30);
    const runId = (await requestFleetRun(conn, f, { mode: 'run' }))!;
    const run = await f.events.finished(runId);
    expect(run.status).toBe('succeeded');
    expect(run.waves.map((w) => [w.name, w.targets, w.status, w.succeeded])).toEqual([
      ['canary', 1, 'done', 1],
      ['wave 2', 2, 'done', 2],
      ['wave 3', 27, 'done', 27],
    ]);
    expect(run.counts).toEqual({ targets: 30, succeeded: 30, failed: 0, skipped: 0, pending: 0 });
    // waves never overlap: every job of a wave starts after the previous wave's last one
    expect(f.touched.map((j) => j.wave)).toEqual([...f.touched.map((j) => j.wave)].sort());
    expect(f.touched[0]).toMatchObject({ kind: 'target-run', target: 't000', wave: 0, runId, migrationsId: 'm1' });
    expect(results(await outcomes(f, runId))).toEqual({ succeeded: 30 });
    expect(await conn.get(fleetKeys(f.keyPrefix).active)).toBeNull();
    expect(await readRun(conn, f.keyPrefix, runId)).toEqual(run);
  });

  it('halts everything when the canary fails: no other target is touched, the rest are recorded skipped', async () => {
    const f = await fleet(12, (job) => (job.target === 't000' ? 'fail' : 'ok'));
    const runId = (await requestFleetRun(conn, f, { mode: 'run' }))!;
    const run = await f.events.finished(runId);
    expect(run.status).toBe('halted');
    expect(run.haltReason).toMatch(/canary/);
    expect(f.touched.map((j) => j.target)).toEqual(['t000']);
    expect(run.counts).toEqual({ targets: 12, succeeded: 0, failed: 1, skipped: 11, pending: 0 });
    expect(run.waves.map((w) => w.status)).toEqual(['halted', 'skipped']);
    const recorded = await outcomes(f, runId);
    expect(recorded.get('t000')).toMatchObject({ result: 'failed', errorCode: 'migration-failed' });
    expect(results(recorded)).toEqual({ failed: 1, skipped: 11 });
    expect(await conn.get(fleetKeys(f.keyPrefix).active)).toBeNull();
  });

  it('halts after a later wave whose failures pass the threshold; a job that throws counts as failed', async () => {
    const failing = new Set(['t002', 't005']);
    const f = await fleet(20, (job) => (job.target === 't002' ? 'fail' : failing.has(job.target) ? 'throw' : 'ok'));
    const runId = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ count: 1 }, { count: 10 }, {}], halt: { maxFailedPercent: 10 } }))!;
    const run = await f.events.finished(runId);
    expect(run.status).toBe('halted');
    expect(run.haltReason).toMatch(/2 of 10 .*more than the 10 %/);
    expect(run.waves.map((w) => [w.status, w.succeeded, w.failed, w.skipped])).toEqual([
      ['done', 1, 0, 0],
      ['halted', 8, 2, 0],
      ['skipped', 0, 0, 9],
    ]);
    expect(f.touched.every((j) => j.wave < 2)).toBe(true);
    const recorded = await outcomes(f, runId);
    expect(recorded.get('t005')).toMatchObject({ result: 'failed', errorCode: 'internal', error: 'target t005 broke' });
    expect(recorded.get('t019')).toMatchObject({ result: 'skipped', wave: 2 });
  });

  it('goes on when a later wave stays within the threshold, and ends failed', async () => {
    const f = await fleet(20, (job) => (job.target === 't003' ? 'fail' : 'ok'));
    const runId = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ count: 1 }, { count: 10 }, {}], halt: { maxFailedPercent: 10 } }))!;
    const run = await f.events.finished(runId);
    expect(run.status).toBe('failed');
    expect(run.haltReason).toBeUndefined();
    expect(run.counts).toEqual({ targets: 20, succeeded: 19, failed: 1, skipped: 0, pending: 0 });
  });

  it('refuses a run before any target when the owners disagree on the migration files, or differ from the pinned id', async () => {
    const f = await fleet(6, () => 'ok', { migrationsIds: { a: 'm1', b: 'm1', c: 'm2' } });
    const runId = (await requestFleetRun(conn, f, { mode: 'run' }))!;
    const run = await f.events.finished(runId);
    expect(run.status).toBe('failed');
    expect(run.haltReason).toMatch(/different migration files.*m1 on a, b; m2 on c/);
    expect(f.touched).toEqual([]);
    expect(run.counts.skipped).toBe(6);

    const pinned = (await requestFleetRun(conn, f, { mode: 'run', select: { ids: ['t000', 't001'] }, migrationsId: 'm0' }))!;
    const refused = await f.events.finished(pinned);
    expect(refused.haltReason).toMatch(/pinned migrations m0 but the owners have m1 on a, b/);
    expect(f.touched).toEqual([]);
  });

  it('admits one run at a time: a second request while one is active is refused', async () => {
    const f = await fleet(3);
    const [first, second] = await Promise.all([requestFleetRun(conn, f, { mode: 'run' }), requestFleetRun(conn, f, { mode: 'run' })]);
    expect([first, second].filter((id) => id !== null)).toHaveLength(1);
    await f.events.finished((first ?? second)!);
    expect(await requestFleetRun(conn, f, { mode: 'run' })).not.toBeNull();
  });

  it('pauses before the next wave, resumes on request, and skips the ids a skip control names', async () => {
    let releaseCanary!: () => void;
    const canaryHeld = new Promise<void>((resolve) => (releaseCanary = resolve));
    const f = await fleet(9, async (job): Promise<'ok'> => {
      if (job.wave === 0) await canaryHeld;
      return 'ok';
    });
    const runId = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ count: 1 }, {}] }))!;
    await f.events.until((r) => r.id === runId && r.waves[0]?.status === 'running');
    await control(conn, f.keyPrefix, runId, 'pause');
    await control(conn, f.keyPrefix, runId, 'skip', ['t004', 't007']);
    releaseCanary();
    const paused = await f.events.until((r) => r.id === runId && r.status === 'paused');
    expect(paused.pausedBy).toBe('ops');
    expect(paused.waves.map((w) => w.status)).toEqual(['done', 'pending']);
    expect(f.touched).toHaveLength(1);

    await control(conn, f.keyPrefix, runId, 'resume');
    const run = await f.events.finished(runId);
    expect(run.status).toBe('succeeded');
    expect(run.pausedBy).toBeUndefined();
    expect(run.counts).toEqual({ targets: 9, succeeded: 7, failed: 0, skipped: 2, pending: 0 });
    expect(f.touched.map((j) => j.target).sort()).toEqual(['t000', 't001', 't002', 't003', 't005', 't006', 't008']);
  });

  it('cancels a paused run: no new wave starts, the remaining targets are skipped', async () => {
    const f = await fleet(6);
    const runId = (await requestFleetRun(conn, f, { mode: 'run' }))!;
    await control(conn, f.keyPrefix, runId, 'pause');
    await f.events.until((r) => r.id === runId && r.status === 'paused');
    await control(conn, f.keyPrefix, runId, 'cancel');
    const run = await f.events.finished(runId);
    expect(run.status).toBe('cancelled');
    expect(run.haltReason).toBe('cancelled by ops');
    expect(run.counts).toEqual({ targets: 6, succeeded: 0, failed: 0, skipped: 6, pending: 0 });
    expect(f.touched).toEqual([]);
    expect(await conn.get(fleetKeys(f.keyPrefix).active)).toBeNull();
  });

  it('fails the targets of a shard whose owner is offline, without waiting for it', async () => {
    // shard c's owner was last seen long ago and holds no lease: its targets fail at dispatch
    const f = await fleet(6, () => 'ok', { consumers: ['a', 'b'] });
    await conn.hset(fleetKeys(f.keyPrefix).shards, 'c', JSON.stringify(shardState('c', 'm1', new Date(Date.now() - 60_000).toISOString())));
    await conn.del(fleetKeys(f.keyPrefix).lease('c'));
    const runId = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ count: 2 }, {}], halt: { maxFailedPercent: 50 } }))!;
    const run = await f.events.finished(runId);
    expect(run.status).toBe('failed');
    const recorded = await outcomes(f, runId);
    expect([...recorded.values()].filter((o) => o.errorCode === 'owner-offline').map((o) => o.id).sort()).toEqual(['t002', 't005']);
    expect(f.touched.some((j) => j.target === 't002' || j.target === 't005')).toBe(false);
  });

  it('fails waiting targets as owner-offline once their shard has had no lease for the offline time', async () => {
    // shard c has a lease at dispatch but no consumer; the lease then lapses and is never renewed
    const f = await fleet(6, () => 'ok', { consumers: ['a', 'b'] });
    const runId = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ count: 1 }, {}], halt: { maxFailedPercent: 50 } }))!;
    await f.events.until((r) => r.id === runId && r.waves[1]?.status === 'running');
    await conn.del(fleetKeys(f.keyPrefix).lease('c'));
    await conn.hset(fleetKeys(f.keyPrefix).shards, 'c', JSON.stringify(shardState('c', 'm1', new Date().toISOString())));
    const run = await f.events.finished(runId, 20_000);
    expect(run.status).toBe('failed');
    expect(run.counts).toEqual({ targets: 6, succeeded: 4, failed: 2, skipped: 0, pending: 0 });
    const recorded = await outcomes(f, runId);
    expect(recorded.get('t002')).toMatchObject({ result: 'failed', errorCode: 'owner-offline' });
    // the jobs are gone: an owner coming back later cannot run them for this finished run
    expect(await conn.exists(`${f.bullPrefix}:${shardQueueName('c')}:${runId}--t002`)).toBe(0);
  });

  it('rehearses a sample in a dry-run and retries only the failed targets of an earlier run', async () => {
    const f = await fleet(30, (job) => (job.kind === 'target-run' && job.target === 't020' ? 'fail' : 'ok'));
    const dry = (await requestFleetRun(conn, f, { mode: 'dry-run', sample: 5 }))!;
    const rehearsed = await f.events.finished(dry);
    expect(rehearsed.status).toBe('succeeded');
    expect(f.touched.map((j) => [j.kind, j.target])).toEqual([
      ['target-dry-run', 't000'],
      ['target-dry-run', 't006'],
      ['target-dry-run', 't012'],
      ['target-dry-run', 't018'],
      ['target-dry-run', 't024'],
    ]);
    expect(results(await outcomes(f, dry))).toEqual({ rehearsed: 5 });

    const first = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ count: 1 }, {}], halt: { maxFailedPercent: 50 } }))!;
    expect((await f.events.finished(first)).counts.failed).toBe(1);
    f.touched.length = 0;
    const retry = (await requestFleetRun(conn, f, { mode: 'run', retryOf: first }))!;
    const retried = await f.events.finished(retry);
    expect(retried.retryOf).toBe(first);
    expect(f.touched.map((j) => j.target)).toEqual(['t020']);
  });

  it('hands allowDrift to every target job of a run that asks for it, and to none of a run that does not', async () => {
    const f = await fleet(6);
    const plain = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ percent: 100 }] }))!;
    expect((await f.events.finished(plain)).status).toBe('succeeded');
    expect(f.touched.map((j) => j.allowDrift)).toEqual(Array(6).fill(undefined));
    f.touched.length = 0;
    const anyway = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ percent: 100 }], allowDrift: true }))!;
    expect(await f.events.finished(anyway)).toMatchObject({ status: 'succeeded', allowDrift: true });
    expect(f.touched.map((j) => j.allowDrift)).toEqual(Array(6).fill(true));
  });

  it('is taken up by another coordinator when the one that started it stops mid-run', async () => {
    let releaseCanary!: () => void;
    const canaryHeld = new Promise<void>((resolve) => (releaseCanary = resolve));
    const f = await fleet(8, async (job): Promise<'ok'> => {
      if (job.wave === 0) await canaryHeld;
      return 'ok';
    });
    const runId = (await requestFleetRun(conn, f, { mode: 'run' }))!;
    await f.events.until((r) => r.id === runId && r.waves[0]?.status === 'running');
    await f.coordinator.close();
    const other = await startCoordinator({ connection: conn, ...f, offlineAfterMs: 1000, pausePollMs: 100, sweepMs: 100, logger });
    cleanups.push(() => other.close());
    releaseCanary();
    const run = await f.events.finished(runId);
    expect(run.status).toBe('succeeded');
    expect(run.counts.succeeded).toBe(8);
    expect(f.touched).toHaveLength(8);
  });

  it('leaves a run whose job lock it lost (Redis away longer than the lock) to the coordinator that takes the job up: the run ends only when every target has ended', async () => {
    let runId = '';
    let releaseWave!: () => void;
    const waveHeld = new Promise<void>((resolve) => (releaseWave = resolve));
    const f = await fleet(6, async (job): Promise<'ok'> => {
      if (job.wave === 1) await waveHeld;
      return 'ok';
    }, {
      coordinator: {
        lockDurationMs: 2000,
        stalledIntervalMs: 200,
        // as wave 2 starts, the lock expires as it would while Redis was away for longer than it
        notify: async (input) => {
          if (input.event === 'fleet.wave.started' && input.wave?.index === 1) await conn.del(`${bull}:${FLEET_QUEUE}:${runId}:lock`);
        },
      },
    });
    cleanups.push(() => releaseWave());
    const bull = f.bullPrefix;
    const coordinatorEvents = new QueueEvents(FLEET_QUEUE, { connection: { host: redis.host, port: redis.port, password: redis.password }, prefix: bull });
    cleanups.push(() => coordinatorEvents.close());
    await coordinatorEvents.waitUntilReady();
    // the job taken up again after its stall, and waiting for the wave's targets: only then do they end
    const retaken = new Promise<void>((resolve) => {
      let stalled = false;
      coordinatorEvents.on('stalled', ({ jobId }) => (stalled ||= jobId === runId));
      coordinatorEvents.on('waiting-children', ({ jobId }) => stalled && jobId === runId && resolve());
    });
    runId = (await requestFleetRun(conn, f, { mode: 'run', waves: [{ count: 1 }, {}] }))!;
    // the coordinator that lost its lock must not end the run while the wave is in flight
    const endedEarly = f.events.finished(runId).then((r) => expect.fail(`the run ended with its wave in flight: ${r.status}, ${r.haltReason}`));
    await Promise.race([retaken, endedEarly]);
    expect((await readRun(conn, f.keyPrefix, runId)).finishedAt).toBeUndefined();
    releaseWave();
    const run = await f.events.finished(runId);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toEqual({ targets: 6, succeeded: 6, failed: 0, skipped: 0, pending: 0 });
    expect(results(await outcomes(f, runId))).toEqual({ succeeded: 6 });
    // each target ran once
    expect(f.touched.map((j) => j.target).sort()).toEqual(['t000', 't001', 't002', 't003', 't004', 't005']);
  });
});
