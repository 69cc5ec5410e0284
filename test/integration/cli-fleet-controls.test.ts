// Specification (docs/fleet.md › The CLI, › Controls) of `duckmig fleet pause` and
// `duckmig fleet resume` (no run id: the fleet run in flight) against a real fleet run: the
// API as a real process, a real fleet worker process (which also coordinates) on DuckDB
// files, one Redis. While `duckmig fleet run --wait` follows a run of several waves:
// - `pause` exits 0 and the run pauses at its next decision point: the wave in flight
//   finishes, its status says `paused` (pausedBy: the token's name; `fleet status` shows it),
//   and no further target starts, not even once the paused coordinator has looked again
//   (its job comes back from BullMQ's delayed set and goes back there); the following CLI
//   keeps waiting;
// - `resume` exits 0 and the run goes on to the end: `run --wait` exits 0 and every target
//   was migrated, each once;
// - once the run has ended, `pause RUN_ID` is refused (the API's 409: exit 1).
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_QUEUE, FleetStatusResponse, TargetOutcome, type FleetEvent } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { queryFile } from '../support/duckdb-file.js';
import { FleetEvents } from '../support/fleet.js';
import { startTestFleet, type TestFleet } from '../support/fleet-workers.js';
import { startSystem, type RunningSystem } from '../support/system.js';

const TARGETS = ['t1', 't2', 't3', 't4', 't5', 't6'];
const MIGRATIONS = {
  // about a second of DuckDB work per target, so the CLI's pause lands while waves remain
  '001_digest.sql': "CREATE TABLE digest AS SELECT count(*) AS hits FROM range(4000000) WHERE md5(CAST(range AS VARCHAR)) LIKE 'ff%';\n",
};

let fleet: TestFleet;
let sys: RunningSystem;
let events: FleetEvents;
/** the fleet queue's events: when a (paused) coordinator job moves to the delayed set */
let queueEvents: QueueEvents;
const delayed: string[] = [];
const delayWaiters: (() => void)[] = [];

beforeAll(async () => {
  fleet = await startTestFleet({ targets: TARGETS, migrations: MIGRATIONS });
  // the API on the fleet's Redis
  sys = await startSystem({ apiOnly: true, redis: fleet.redis });
  events = await FleetEvents.open(fleet.redis.url, 'duckmig');
  queueEvents = new QueueEvents(FLEET_QUEUE, { connection: { url: fleet.redis.url } });
  queueEvents.on('delayed', ({ jobId }) => {
    delayed.push(jobId);
    for (const wake of delayWaiters.splice(0)) wake();
  });
  await queueEvents.waitUntilReady();
  const worker = await fleet.startWorker('worker-a', { DUCKMIG_FLEET_SCAN_MS: '3600000' });
  await worker.waitForOutput('"event":"fleet:consuming"');
}, 90_000);

afterAll(async () => {
  events?.close();
  await queueEvents?.close();
  // the workers first (while Redis is up), then the API, then Redis and the files
  await fleet?.stop();
  await sys?.stop();
});

const cli = (args: string[]) => runCli(['fleet', ...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: sys.tokens.operator } });
/** Resolves once the job has moved to the delayed set `times` times in all. */
async function delayedTimes(jobId: string, times: number): Promise<void> {
  while (delayed.filter((id) => id === jobId).length < times) await new Promise<void>((wake) => delayWaiters.push(wake));
}
const startsOf = (runId: string) => events.events.filter((e): e is Extract<FleetEvent, { type: 'fleet:target-start' }> => e.type === 'fleet:target-start' && e.runId === runId).map((e) => e.id);

describe('duckmig fleet pause / resume on a real fleet run', { timeout: 60_000 }, () => {
  it('pause stops new targets at the next decision point, resume finishes the run; run --wait follows it to the end', async () => {
    let followerEnded = false;
    const follower = cli(['run', '--wait', '--waves', 'canary:1,1,1,1,100%', '--reason', 'release 7']).finally(() => (followerEnded = true));
    const canary = (await events.next((e) => e.type === 'fleet:target-start')) as Extract<FleetEvent, { type: 'fleet:target-start' }>;
    const runId = canary.runId;

    const pause = await cli(['pause']);
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toContain(`asked the coordinator to pause fleet run ${runId}`);
    const paused = await events.until((r) => r.id === runId && r.status === 'paused');
    expect(paused.pausedBy).toBe('operator');
    // the wave in flight finished; later waves wait
    expect(paused.waves.some((w) => w.status === 'pending')).toBe(true);
    expect(paused.waves.every((w) => w.status === 'done' || w.status === 'pending')).toBe(true);
    const startedBeforePause = startsOf(runId);
    expect(startedBeforePause.length).toBeGreaterThanOrEqual(1);
    expect(startedBeforePause.length).toBeLessThan(TARGETS.length);
    expect(await fleet.client.hlen(fleet.keys.runTargets(runId))).toBe(startedBeforePause.length);
    expect(paused.counts).toMatchObject({ targets: TARGETS.length, succeeded: startedBeforePause.length, pending: TARGETS.length - startedBeforePause.length });

    // the paused coordinator waits in the delayed set, looks again (every 5 s) and stays paused
    await delayedTimes(runId, 2);
    // the fleet's status says so; meanwhile no target started and the follower still waits
    const status = await cli(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(FleetStatusResponse.parse(JSON.parse(status.stdout)).activeRun).toMatchObject({ id: runId, status: 'paused' });
    expect(startsOf(runId)).toEqual(startedBeforePause);
    expect(followerEnded).toBe(false);

    const resume = await cli(['resume']);
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stdout).toContain(`asked the coordinator to resume fleet run ${runId}`);
    const followed = await follower;
    expect(followed.code, followed.stdout + followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(new RegExp(`fleet run ${runId}: SUCCEEDED: 6 targets, 6 succeeded, 0 failed, 0 skipped`));

    // every target ran once, the ones before the pause included, and its file holds the migration
    expect(startsOf(runId).sort()).toEqual(TARGETS);
    const outcomes = Object.values(await fleet.client.hgetall(fleet.keys.runTargets(runId))).map((json) => TargetOutcome.parse(JSON.parse(json)));
    expect(outcomes.map((o) => [o.id, o.result, o.applied]).sort()).toEqual(TARGETS.map((id) => [id, 'succeeded', 1]));
    for (const id of TARGETS) {
      const [ledger] = await queryFile(fleet.file(id), "SELECT version, run_id FROM schema_migrations WHERE status = 'applied'");
      expect(ledger, id).toEqual([{ version: 1, run_id: runId }]);
    }

    // the run has ended: a control on it is refused (409 → exit 1)
    const late = await cli(['pause', runId]);
    expect(late.code).toBe(1);
  });
});
