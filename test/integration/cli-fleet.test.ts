// `duckmig fleet` as a deploy job uses it against a running API: status, run and dry-run
// with waves, selection and halt rule, --wait with its exit code by how the fleet run
// ended (0 succeeded, 1 failed, 5 halted, 6 cancelled), cancel of the run in flight and
// retry-failed. The API is a real process; the coordinator is simulated by a real BullMQ
// Worker on the fleet queue that writes the run's records as the contract lays them out.
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_QUEUE, FleetEvent, FleetJobData, FleetRun, FleetStatusResponse, fleetKeys, type TargetOutcome } from '../../contract/index.js';
import { publishFleetEvent, readFleetRun, releaseActiveRun, saveFleetRun } from '../../fleet/records.js';
import { runCli } from '../support/cli.js';
import { outcome, publishFleet, recordOutcomes, shardState, targetState } from '../support/fleet.js';
import { startSystem, type RunningSystem } from '../support/system.js';

const keys = fleetKeys();
let sys: RunningSystem;
let redis: Redis;
let coordinator: { worker: Worker; connection: Redis } | null = null;

beforeAll(async () => {
  sys = await startSystem({ apiOnly: true });
  redis = new Redis(sys.redis.url, { maxRetriesPerRequest: null });
});
afterEach(async () => {
  await coordinator?.worker.close();
  coordinator?.connection.disconnect();
  coordinator = null;
});
afterAll(async () => {
  redis?.disconnect();
  await sys?.stop();
});

const fleet = (args: string[], token = sys.tokens.operator) => runCli(['fleet', ...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: token } });

/** How the simulated coordinator ends a run: which targets fail, and the final status. */
interface Ending {
  targets: string[];
  failed?: string[];
  status: FleetRun['status'];
  haltReason?: string;
  /** wait for a cancel request on the run's control list before ending */
  untilCancelled?: boolean;
}

/** Waits for a cancel control of the run: announced on the events channel, or already on its list. */
async function cancelRequested(runId: string): Promise<void> {
  const sub = new Redis(sys.redis.url);
  try {
    const heard = new Promise<void>((resolve) =>
      sub.on('message', (_channel, text: string) => {
        const event = FleetEvent.parse(JSON.parse(text));
        if (event.type === 'fleet:control' && event.runId === runId && event.control.action === 'cancel') resolve();
      }),
    );
    await sub.subscribe(keys.events);
    const listed = await redis.lrange(keys.control(runId), 0, -1);
    if (!listed.some((c) => (JSON.parse(c) as { action: string }).action === 'cancel')) await heard;
  } finally {
    sub.disconnect();
  }
}

/** A real BullMQ Worker on FLEET_QUEUE that plays the coordinator: records and events per the contract. */
function simulateCoordinator(end: (data: FleetJobData) => Ending, seen: FleetJobData[] = []): FleetJobData[] {
  const connection = new Redis(sys.redis.url, { maxRetriesPerRequest: null });
  const worker = new Worker(
    FLEET_QUEUE,
    async (job: Job) => {
      const data = FleetJobData.parse(job.data);
      seen.push(data);
      const ending = end(data);
      let run = (await readFleetRun(redis, keys, data.runId))!;
      const n = ending.targets.length;
      const wave = (index: number, name: string, targets: number) => ({ index, name, targets, status: 'pending' as const, succeeded: 0, failed: 0, skipped: 0 });
      run = FleetRun.parse({
        ...run,
        status: 'running',
        startedAt: new Date().toISOString(),
        waves: [{ ...wave(0, 'canary', 1), status: 'running' }, wave(1, 'rest', n - 1)],
        counts: { targets: n, succeeded: 0, failed: 0, skipped: 0, pending: n },
      });
      await saveFleetRun(redis, keys, run);
      if (ending.untilCancelled) await cancelRequested(data.runId);
      const outcomes: TargetOutcome[] = ending.targets.map((id, i) =>
        ending.untilCancelled ? outcome({ id, wave: i === 0 ? 0 : 1, result: 'skipped', applied: 0 }) : outcome({ id, wave: i === 0 ? 0 : 1, result: ending.failed?.includes(id) ? 'failed' : 'succeeded', ...(ending.failed?.includes(id) && { errorCode: 'migration-failed', error: 'boom' }) }),
      );
      for (const o of outcomes) {
        await recordOutcomes(redis, 'duckmig', data.runId, [o]);
        await publishFleetEvent(redis, keys, { type: 'fleet:target', runId: data.runId, outcome: o });
        const key = o.result === 'rehearsed' || o.result === 'nothing-to-do' ? 'succeeded' : o.result;
        run = FleetRun.parse({ ...run, counts: { ...run.counts, [key]: run.counts[key as 'succeeded'] + 1, pending: run.counts.pending - 1 } });
        await saveFleetRun(redis, keys, run);
      }
      run = FleetRun.parse({
        ...run,
        status: ending.status,
        finishedAt: new Date().toISOString(),
        waves: run.waves.map((w) => ({ ...w, status: 'done' })),
        ...(ending.haltReason && { haltReason: ending.haltReason }),
      });
      await saveFleetRun(redis, keys, run);
      await releaseActiveRun(redis, keys, data.runId);
    },
    { connection },
  );
  worker.on('error', () => undefined);
  coordinator = { worker, connection };
  return seen;
}

// several CLI processes per test, each a Node start-up, on a busy 2-core machine
describe('duckmig fleet (remote)', { timeout: 120_000 }, () => {
  it('status shows an empty fleet, then the targets, shards and versions the workers published', async () => {
    const empty = await fleet(['status'], sys.tokens.viewer);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('empty: no fleet worker has published a target yet');
    await publishFleet(redis, 'duckmig', [{ ...targetState('eu/acme', 'eu', { tier: 'gold' }), version: 3, pending: 0, health: 'ok' }, targetState('eu/beta', 'eu')], [shardState('eu')]);
    const [text, asJson] = await Promise.all([fleet(['status'], sys.tokens.viewer), fleet(['status', '--json'], sys.tokens.viewer)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/targets\s+2: 1 up to date, 1 pending/);
    expect(text.stdout).toMatch(/eu\s+worker-eu/);
    const json = FleetStatusResponse.parse(JSON.parse(asJson.stdout));
    expect(json.targets.byVersion).toEqual([
      { version: 3, targets: 1 },
      { version: 0, targets: 1 },
    ]);
  });

  it('run --wait sends the waves, selection and halt rule, shows the end, and exits 0 when the run succeeded', async () => {
    const seen = simulateCoordinator(() => ({ targets: ['a', 'b', 'c'], status: 'succeeded' }));
    const res = await fleet(['run', '--wait', '--waves', 'canary:1,10%,100%', '--select', 'tier=gold', '--select', 'region=eu', '--halt', '5%', '--reason', 'release 9']);
    expect(res.code, res.stderr).toBe(0);
    expect(seen[0]).toMatchObject({
      mode: 'run',
      reason: 'release 9',
      waves: [{ name: 'canary', count: 1 }, { percent: 10 }, { percent: 100 }],
      select: { labels: { tier: 'gold', region: 'eu' } },
      halt: { maxFailedPercent: 5 },
      requestedBy: 'operator',
    });
    expect(res.stdout).toMatch(/fleet run \S+: SUCCEEDED: 3 targets, 3 succeeded, 0 failed, 0 skipped/);
  });

  it('exits 5 when the run halted, 1 when it failed, and retry-failed --wait retries exactly the failed targets', async () => {
    const seen = simulateCoordinator((data) =>
      data.retryOf
        ? { targets: data.select?.ids ?? [], status: 'succeeded' }
        : data.reason === 'fails'
          ? { targets: ['a'], failed: ['a'], status: 'failed' }
          : { targets: ['a', 'b', 'c'], failed: ['a'], status: 'halted', haltReason: 'the canary failed' },
    );
    const halted = await fleet(['run', '--wait', '--json']);
    expect(halted.code).toBe(5);
    const run = FleetRun.parse(JSON.parse(halted.stdout));
    expect(run).toMatchObject({ status: 'halted', haltReason: 'the canary failed', counts: { failed: 1 } });

    const retry = await fleet(['retry-failed', run.id, '--wait']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(seen.at(-1)).toMatchObject({ retryOf: run.id, select: { ids: ['a'] } });

    const failed = await fleet(['dry-run', '--wait', '--reason', 'fails']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('FAILED');
    expect(failed.stdout).toContain('✗ a (wave 1) migration-failed: boom');
  });

  it('cancel (no id: the run in flight) makes run --wait exit 6; a second run meanwhile is refused with the run in flight', async () => {
    simulateCoordinator(() => ({ targets: ['a', 'b'], status: 'cancelled', haltReason: 'cancelled by operator', untilCancelled: true }));
    const events = new Redis(sys.redis.url);
    const running = new Promise<string>((resolve) => {
      events.on('message', (_channel, text: string) => {
        const event = FleetEvent.parse(JSON.parse(text));
        if (event.type === 'fleet:run' && event.run.status === 'running') resolve(event.run.id);
      });
    });
    await events.subscribe(keys.events);
    try {
      const waiting = fleet(['run', '--wait']);
      const runId = await running;
      const second = await fleet(['run']);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`in flight: fleet run ${runId}`);
      const cancel = await fleet(['cancel']);
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toContain(`asked the coordinator to cancel fleet run ${runId}`);
      const res = await waiting;
      expect(res.code).toBe(6);
      expect(res.stdout).toMatch(/CANCELLED: 2 targets, 0 succeeded, 0 failed, 2 skipped/);
    } finally {
      events.disconnect();
    }
  });

  it('exits 2 on a malformed --waves and 3 when a viewer tries to start a run', async () => {
    const [bad, viewer] = await Promise.all([fleet(['run', '--waves', 'canary:1,lots']), fleet(['run'], sys.tokens.viewer)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--waves');
    expect(viewer.code).toBe(3);
  });
});
