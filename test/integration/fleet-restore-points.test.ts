// Specification (docs/fleet.md › Target jobs and their outcomes, docs/deployment.md › Backups
// and restore points) of restore points in a fleet, with a real fleet worker process, Redis
// and DuckDB files:
// - with DUCKMIG_RESTORE_POINTS on, a fleet run that applies migrations to a target first
//   takes a restore point of that target, in `.duckmig/restore-points/<target id>/` below the
//   shard root; the target's outcome in the run (`restorePoint`) and the target's own run
//   history (`schema_migration_runs.restore_point`) name it, and `duckmig backup --list`
//   lists it. A dry-run, a target with nothing to do and a fleet run that asks for none get none;
// - restoring that point on the target file (`duckmig restore <id> --db <file> --yes`, local
//   mode, with the worker stopped) brings the target's schema, data and ledger back to where
//   they were before the fleet run, keeps its run history, and leaves the other targets as
//   they are; the restarted worker publishes the target as pending again, never takes the
//   restore points' dot directory for targets, and the next fleet run applies again;
// - with it off, no restore point is taken anywhere, unless the fleet run asks for them
//   (`restorePoints: true`), which then land in `<DUCKMIG_RESTORE_DIR>/<target id>/`.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TargetOutcome, TargetState, type FleetRun } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { queryFile, TABLES_SQL } from '../support/duckdb-file.js';
import { FleetEvents, requestFleetRun } from '../support/fleet.js';
import { startTestFleet, type TestFleet } from '../support/fleet-workers.js';

const prefixes = { keyPrefix: 'duckmig', bullPrefix: 'bull' };

const MIGRATIONS = {
  '001_customers.sql': "CREATE TABLE customers (id INTEGER, name VARCHAR);\nINSERT INTO customers VALUES (1, 'ada');\n",
};
/** written while the worker is stopped: changes the schema and the data 001 left */
const MIGRATION_002 = ['002_customers_tier.sql', "ALTER TABLE customers ADD COLUMN tier VARCHAR;\nUPDATE customers SET name = upper(name), tier = 'gold';\n"] as const;

/** scans only when the worker takes the lease: the test reads files between runs */
const WORKER_ENV = { DUCKMIG_FLEET_SCAN_MS: '3600000' };

let fleet: TestFleet | undefined;
let events: FleetEvents | undefined;
afterEach(async () => {
  events?.close();
  events = undefined;
  await fleet?.stop();
  fleet = undefined;
});

async function finishedRun(f: TestFleet, request: Parameters<typeof requestFleetRun>[2], requestedBy = 'alice'): Promise<{ run: FleetRun; outcomes: Map<string, TargetOutcome> }> {
  const runId = await requestFleetRun(f.client, prefixes, request, requestedBy);
  expect(runId, 'another fleet run is in flight').not.toBeNull();
  const run = await events!.finished(runId!);
  const raw = await f.client.hgetall(f.keys.runTargets(runId!));
  const outcomes = new Map(Object.entries(raw).map(([id, json]) => [id, TargetOutcome.parse(JSON.parse(json))]));
  return { run, outcomes };
}

/** What an operator sees opening the target's file: its own tables, applied versions, customers, run history. */
async function targetFile(file: string) {
  const [tables, ledger, runs] = await queryFile(
    file,
    TABLES_SQL,
    "SELECT version FROM schema_migrations WHERE status = 'applied' ORDER BY version",
    'SELECT run_id, mode, status, restore_point FROM schema_migration_runs ORDER BY started_at',
  );
  const [customers] = await queryFile(file, 'SELECT * FROM customers ORDER BY id');
  const own = tables!.map((t) => String(t.table_name)).filter((t) => !t.startsWith('schema_') && t !== 'duckmig_fence');
  return {
    tables: own,
    applied: ledger!.map((r) => Number(r.version)),
    customers,
    runs: runs!.map((r) => ({ runId: String(r.run_id), mode: String(r.mode), status: String(r.status), restorePoint: r.restore_point === null ? null : (JSON.parse(String(r.restore_point)) as { id: string; version: number }) })),
  };
}

/** The restore point files (`<id>.duckdb`, `<id>.json`) in a directory; none when it does not exist. */
const pointFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('rp-')).sort() : []);

describe('restore points in a fleet run', () => {
  it('with restore points on: each applying target gets one below the shard root, named by its outcome and its history; restoring it brings the target back', async () => {
    const targets = ['eu/acme', 'eu/globex', 'us/hooli', 'us/initech'];
    fleet = await startTestFleet({ targets, migrations: MIGRATIONS });
    const f = fleet;
    const pointsOf = (id: string) => join(f.tenantsDir, '.duckmig', 'restore-points', id);
    const owner = () => f.startWorker('worker-a', { ...WORKER_ENV, DUCKMIG_RESTORE_POINTS: 'on' });
    events = await FleetEvents.open(f.redis.url, prefixes.keyPrefix);
    let worker = await owner();
    await worker.waitForOutput('"event":"fleet:consuming"');

    // a dry-run changes nothing, so it takes no restore point
    const rehearsal = await finishedRun(f, { mode: 'dry-run', waves: [{}] });
    expect([...rehearsal.outcomes.values()].map((o) => [o.result, o.restorePoint])).toEqual(targets.map(() => ['rehearsed', undefined]));
    for (const id of targets) expect(pointFiles(pointsOf(id)), id).toEqual([]);

    // release 1: 001 on three targets, each after a restore point of its empty file
    const applying = ['eu/acme', 'eu/globex', 'us/initech'];
    const first = await finishedRun(f, { mode: 'run', reason: 'release 1', select: { ids: applying }, waves: [{}] });
    expect(first.run.status, JSON.stringify([...first.outcomes.values()])).toBe('succeeded');
    const atZero = new Map<string, string>();
    for (const id of applying) {
      const o = first.outcomes.get(id)!;
      expect(o, id).toMatchObject({ result: 'succeeded', fromVersion: 0, toVersion: 1, applied: 1 });
      expect(o.restorePoint, `${id}: its outcome names its restore point`).toMatch(/^rp-/);
      atZero.set(id, o.restorePoint!);
      // <shard root>/.duckmig/restore-points/<target id>/<rp>.duckdb + .json
      expect(pointFiles(pointsOf(id)), id).toEqual([`${o.restorePoint}.duckdb`, `${o.restorePoint}.json`]);
      // the target's own history names it, at the version it holds
      const file = await targetFile(f.file(id));
      expect(file.runs, id).toEqual([{ runId: first.run.id, mode: 'apply', status: 'success', restorePoint: expect.objectContaining({ id: o.restorePoint, version: 0 }) }]);
      expect(file).toMatchObject({ tables: ['customers'], applied: [1], customers: [{ id: 1, name: 'ada' }] });
    }

    // a fleet run that asks for no restore point gets none, whatever the worker's setting
    const without = await finishedRun(f, { mode: 'run', select: { ids: ['us/hooli'] }, waves: [{}], restorePoints: false });
    expect(without.outcomes.get('us/hooli')).toMatchObject({ result: 'succeeded', applied: 1 });
    expect(without.outcomes.get('us/hooli')!.restorePoint).toBeUndefined();
    expect(pointFiles(pointsOf('us/hooli'))).toEqual([]);
    expect((await targetFile(f.file('us/hooli'))).runs.map((r) => r.restorePoint)).toEqual([null]);

    // release 2 (a new migration file while the worker is stopped): every target gets a restore point at version 1 first
    await worker.kill('SIGTERM');
    writeFileSync(join(f.migrationsDir, MIGRATION_002[0]), MIGRATION_002[1]);
    worker = await owner();
    await worker.waitForOutput('"event":"fleet:consuming"');
    const second = await finishedRun(f, { mode: 'run', reason: 'release 2', waves: [{}] }, 'bob');
    expect(second.run.status, JSON.stringify([...second.outcomes.values()])).toBe('succeeded');
    const atOne = new Map<string, string>();
    for (const id of targets) {
      const o = second.outcomes.get(id)!;
      expect(o, id).toMatchObject({ result: 'succeeded', fromVersion: 1, toVersion: 2, applied: 1 });
      expect(o.restorePoint, id).toMatch(/^rp-/);
      atOne.set(id, o.restorePoint!);
      expect(pointFiles(pointsOf(id)), id).toContain(`${o.restorePoint}.duckdb`);
      expect((await targetFile(f.file(id))).runs.at(-1), id).toEqual({ runId: second.run.id, mode: 'apply', status: 'success', restorePoint: expect.objectContaining({ id: o.restorePoint, version: 1 }) });
    }
    expect(await targetFile(f.file('eu/acme'))).toMatchObject({ tables: ['customers'], applied: [1, 2], customers: [{ id: 1, name: 'ADA', tier: 'gold' }] });

    // the CLI lists the target's restore points from its directory, newest first (without opening the file)
    const listed = await runCli(['backup', '--list', '--json', '--db', f.file('eu/acme')], { env: { DUCKMIG_RESTORE_DIR: pointsOf('eu/acme') } });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string; version: number }[]).map((p) => [p.id, p.version])).toEqual([
      [atOne.get('eu/acme'), 1],
      [atZero.get('eu/acme'), 0],
    ]);

    // restoring a target is a local-mode restore of its file, with the worker stopped
    await worker.kill('SIGTERM');
    const restored = await runCli(['restore', atOne.get('eu/acme')!, '--yes', '--db', f.file('eu/acme'), '--reason', 'undo release 2'], { env: { DUCKMIG_RESTORE_DIR: pointsOf('eu/acme') } });
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const acme = await targetFile(f.file('eu/acme'));
    // schema, data and ledger as before release 2; the history keeps both fleet runs and adds the restore
    expect(acme).toMatchObject({ tables: ['customers'], applied: [1], customers: [{ id: 1, name: 'ada' }] });
    expect(acme.runs.map((r) => [r.runId, r.mode, r.status])).toEqual([
      [first.run.id, 'apply', 'success'],
      [second.run.id, 'apply', 'success'],
      [expect.any(String), 'restore', 'success'],
    ]);
    // the other targets are untouched
    for (const id of ['eu/globex', 'us/hooli', 'us/initech']) expect(await targetFile(f.file(id)), id).toMatchObject({ applied: [1, 2], customers: [{ id: 1, name: 'ADA', tier: 'gold' }] });

    // the restarted owner sees the restored target pending again, and no restore point as a target
    worker = await owner();
    await worker.waitForOutput('"event":"fleet:consuming"');
    const published = Object.fromEntries(Object.entries(await f.client.hgetall(f.keys.targets)).map(([id, json]) => [id, TargetState.parse(JSON.parse(json))]));
    expect(Object.keys(published).sort()).toEqual(targets);
    expect(published['eu/acme']).toMatchObject({ version: 1, pending: 1 });
    expect(published['eu/globex']).toMatchObject({ version: 2, pending: 0 });

    // the next fleet run applies to it again, after a new restore point; the targets with nothing to do get none
    const pointsBefore = new Map(targets.map((id) => [id, pointFiles(pointsOf(id))]));
    const third = await finishedRun(f, { mode: 'run', reason: 'release 2, again', waves: [{}] }, 'carol');
    expect(third.run.status, JSON.stringify([...third.outcomes.values()])).toBe('succeeded');
    const reapplied = third.outcomes.get('eu/acme')!;
    expect(reapplied).toMatchObject({ result: 'succeeded', fromVersion: 1, toVersion: 2, applied: 1 });
    expect(reapplied.restorePoint).toMatch(/^rp-/);
    expect(pointsBefore.get('eu/acme')).not.toContain(`${reapplied.restorePoint}.duckdb`);
    expect(pointFiles(pointsOf('eu/acme'))).toContain(`${reapplied.restorePoint}.duckdb`);
    for (const id of ['eu/globex', 'us/hooli', 'us/initech']) {
      const o = third.outcomes.get(id)!;
      expect(o, id).toMatchObject({ result: 'nothing-to-do', applied: 0 });
      expect(o.restorePoint, id).toBeUndefined();
      expect(pointFiles(pointsOf(id)), id).toEqual(pointsBefore.get(id));
    }
    await worker.kill('SIGTERM');
    expect(await targetFile(f.file('eu/acme'))).toMatchObject({ tables: ['customers'], applied: [1, 2], customers: [{ id: 1, name: 'ADA', tier: 'gold' }] });
  }, 60_000);

  it('with restore points off: none is taken, unless the fleet run asks for them (then in DUCKMIG_RESTORE_DIR/<target id>/)', async () => {
    fleet = await startTestFleet({ targets: ['eu/acme', 'eu/globex', 'us/initech'], migrations: MIGRATIONS });
    const f = fleet;
    const restoreDir = join(f.dir, 'backups');
    events = await FleetEvents.open(f.redis.url, prefixes.keyPrefix);
    const worker = await f.startWorker('worker-a', { ...WORKER_ENV, DUCKMIG_RESTORE_POINTS: 'off', DUCKMIG_RESTORE_DIR: restoreDir });
    await worker.waitForOutput('"event":"fleet:consuming"');

    const off = await finishedRun(f, { mode: 'run', select: { ids: ['eu/acme', 'eu/globex'] }, waves: [{}] });
    expect(off.run.status, JSON.stringify([...off.outcomes.values()])).toBe('succeeded');
    for (const id of ['eu/acme', 'eu/globex']) {
      const o = off.outcomes.get(id)!;
      expect(o, id).toMatchObject({ result: 'succeeded', applied: 1 });
      expect(o.restorePoint, id).toBeUndefined();
      expect((await targetFile(f.file(id))).runs, id).toEqual([{ runId: off.run.id, mode: 'apply', status: 'success', restorePoint: null }]);
    }
    expect(existsSync(restoreDir), 'no restore point directory').toBe(false);
    expect(existsSync(join(f.tenantsDir, '.duckmig')), 'no restore point below the shard root').toBe(false);

    const asked = await finishedRun(f, { mode: 'run', select: { ids: ['us/initech'] }, waves: [{}], restorePoints: true });
    const o = asked.outcomes.get('us/initech')!;
    expect(o).toMatchObject({ result: 'succeeded', applied: 1 });
    expect(o.restorePoint).toMatch(/^rp-/);
    expect(pointFiles(join(restoreDir, 'us/initech'))).toEqual([`${o.restorePoint}.duckdb`, `${o.restorePoint}.json`]);
    expect(readdirSync(restoreDir)).toEqual(['us']);
    expect(existsSync(join(f.tenantsDir, '.duckmig'))).toBe(false);
    expect((await targetFile(f.file('us/initech'))).runs.map((r) => r.restorePoint?.id)).toEqual([o.restorePoint]);
  }, 60_000);
});
