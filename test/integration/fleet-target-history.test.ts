// Specification (docs/fleet.md › Targets: "the fleet run's id is the run id of every target's
// run, so a target's own history says which fleet run changed it"; › Target jobs: BullMQ job
// ids `<runId>--<targetId>`) of what a fleet run leaves in each target's own ledger, read by
// opening the target files directly after real fleet runs (a real fleet worker process,
// Redis and DuckDB files):
// - every target a fleet run touched has a row in its run history (`schema_migration_runs`)
//   under the fleet run's id, with its job id, who requested the fleet run and why, and the
//   versions it went from and to; its ledger rows (`schema_migrations`) carry the same run
//   and job ids and the requester;
// - a target whose migration failed records the failure in its own history and ledger,
//   under that fleet run, with the error;
// - a later fleet run with nothing to apply on a target still leaves its history row
//   there (status `nothing-to-do`) and no ledger row; a target that fails again gets a
//   second failed row: each target's history lists every fleet run that touched it;
// - (docs/fleet.md › Fencing) each run that claimed the target's fence keeps the shard and the
//   owner's fencing token on its history row; a run with nothing to apply stores no token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardState, TargetOutcome, type FleetRun } from '../../contract/index.js';
import { queryFile } from '../support/duckdb-file.js';
import { FleetEvents, requestFleetRun } from '../support/fleet.js';
import { startTestFleet, type TestFleet } from '../support/fleet-workers.js';

const prefixes = { keyPrefix: 'duckmig', bullPrefix: 'bull' };
const TARGETS = ['eu/acme', 'eu/globex', 'us/initech', 'us/umbrella'];
const HEALTHY = ['eu/acme', 'eu/globex', 'us/initech'];

const MIGRATIONS = {
  '001_accounts.sql': 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);\n',
  // fails (and is rolled back) on us/umbrella only: DuckDB names a file's database after the file
  '002_audit.sql': "CREATE TABLE audit (happened_at TIMESTAMP, what VARCHAR);\nSELECT CASE WHEN current_database() = 'umbrella' THEN error('poisoned target') END;\n",
};

let fleet: TestFleet;
let events: FleetEvents;
/** the owner's fencing token, as it publishes it */
let token: number;

beforeAll(async () => {
  fleet = await startTestFleet({ targets: TARGETS, migrations: MIGRATIONS });
  events = await FleetEvents.open(fleet.redis.url, prefixes.keyPrefix);
  // scans only when it takes the lease: the test opens the files between fleet runs
  const worker = await fleet.startWorker('worker-a', { DUCKMIG_FLEET_SCAN_MS: '3600000' });
  await worker.waitForOutput('"event":"fleet:consuming"');
  token = ShardState.parse(JSON.parse((await fleet.client.hget(fleet.keys.shards, 'shard-a'))!)).token;
}, 60_000);

afterAll(async () => {
  events?.close();
  await fleet?.stop();
});

async function fleetRun(request: Parameters<typeof requestFleetRun>[2], requestedBy: string): Promise<{ run: FleetRun; outcomes: Map<string, TargetOutcome> }> {
  const runId = await requestFleetRun(fleet.client, prefixes, request, requestedBy);
  expect(runId).not.toBeNull();
  const run = await events.finished(runId!);
  const raw = await fleet.client.hgetall(fleet.keys.runTargets(runId!));
  return { run, outcomes: new Map(Object.entries(raw).map(([id, json]) => [id, TargetOutcome.parse(JSON.parse(json))])) };
}

/** The target's run history and ledger, read from its file as an operator would. */
async function history(id: string) {
  const [runs, ledger] = await queryFile(
    fleet.file(id),
    'SELECT run_id, job_id, mode, status, requested_by, reason, from_version, to_version, error, fence_shard, fence_token FROM schema_migration_runs ORDER BY started_at',
    'SELECT version, status, run_id, job_id, applied_by, error FROM schema_migrations ORDER BY applied_at, version',
  );
  return { runs: runs!, ledger: ledger! };
}

describe("a target's own history names the fleet runs that touched it", () => {
  let first: FleetRun;

  it('a fleet run: every target records it under the fleet run id, with its job id, requester and reason; a failure too', async () => {
    const { run, outcomes } = await fleetRun({ mode: 'run', reason: 'release 1.4', waves: [{ count: 1 }, {}], halt: { maxFailedPercent: 50 } }, 'alice');
    first = run;
    // the failure stayed within the allowed share: every target ran
    expect(run.status, JSON.stringify([...outcomes.values()])).toBe('failed');
    expect(outcomes.get('us/umbrella')).toMatchObject({ result: 'failed', errorCode: 'migration-failed', toVersion: 1 });

    for (const id of HEALTHY) {
      expect(outcomes.get(id), id).toMatchObject({ result: 'succeeded', toVersion: 2 });
      const jobId = `${run.id}--${id}`;
      const { runs, ledger } = await history(id);
      expect(runs, id).toEqual([
        { run_id: run.id, job_id: jobId, mode: 'apply', status: 'success', requested_by: 'alice', reason: 'release 1.4', from_version: 0, to_version: 2, error: null, fence_shard: 'shard-a', fence_token: token },
      ]);
      expect(ledger, id).toEqual([
        { version: 1, status: 'applied', run_id: run.id, job_id: jobId, applied_by: 'alice', error: null },
        { version: 2, status: 'applied', run_id: run.id, job_id: jobId, applied_by: 'alice', error: null },
      ]);
    }

    const jobId = `${run.id}--us/umbrella`;
    const { runs, ledger } = await history('us/umbrella');
    expect(runs).toEqual([
      { run_id: run.id, job_id: jobId, mode: 'apply', status: 'failed', requested_by: 'alice', reason: 'release 1.4', from_version: 0, to_version: 1, error: expect.stringContaining('poisoned target'), fence_shard: 'shard-a', fence_token: token },
    ]);
    expect(ledger).toEqual([
      { version: 1, status: 'applied', run_id: run.id, job_id: jobId, applied_by: 'alice', error: null },
      { version: 2, status: 'failed', run_id: run.id, job_id: jobId, applied_by: 'alice', error: expect.stringContaining('poisoned target') },
    ]);
  });

  it('a later fleet run: a target with nothing to apply records it too, with no ledger row; a failing one gets a second failed row', async () => {
    expect(first, 'the first case ran').toBeDefined();
    // one wave, so it is the canary: its failure halts the run, once every target of it ran
    const { run, outcomes } = await fleetRun({ mode: 'run', reason: 'weekly check', waves: [{}] }, 'bob');
    expect(run.status, JSON.stringify([...outcomes.values()])).toBe('halted');
    expect(run.counts).toMatchObject({ targets: 4, succeeded: 3, failed: 1, skipped: 0 });

    for (const id of HEALTHY) {
      expect(outcomes.get(id), id).toMatchObject({ result: 'nothing-to-do', fromVersion: 2, toVersion: 2, applied: 0 });
      const { runs, ledger } = await history(id);
      expect(runs.map((r) => [r.run_id, r.job_id, r.status, r.requested_by, r.reason, r.from_version, r.to_version, r.fence_token]), id).toEqual([
        [first.id, `${first.id}--${id}`, 'success', 'alice', 'release 1.4', 0, 2, token],
        [run.id, `${run.id}--${id}`, 'nothing-to-do', 'bob', 'weekly check', 2, 2, null],
      ]);
      expect(ledger.map((r) => [r.version, r.run_id]), id).toEqual([
        [1, first.id],
        [2, first.id],
      ]);
    }

    const { runs, ledger } = await history('us/umbrella');
    expect(runs.map((r) => [r.run_id, r.job_id, r.status, r.requested_by, r.reason, r.from_version, r.to_version, r.fence_token]), 'us/umbrella').toEqual([
      [first.id, `${first.id}--us/umbrella`, 'failed', 'alice', 'release 1.4', 0, 1, token],
      [run.id, `${run.id}--us/umbrella`, 'failed', 'bob', 'weekly check', 1, 1, token],
    ]);
    expect(ledger.map((r) => [r.version, r.status, r.run_id, r.applied_by]), 'us/umbrella').toEqual([
      [1, 'applied', first.id, 'alice'],
      [2, 'failed', first.id, 'alice'],
      [2, 'failed', run.id, 'bob'],
    ]);
  });
});
