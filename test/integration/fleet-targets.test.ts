// Specification of a fleet worker's target jobs, with real processes, Redis and DuckDB
// files: every target's outcome is its own (a locked, corrupt or missing file, or a run
// pinned to other migration files, fails that target only, and the others are migrated),
// outcomes and target states are published, a target whose schema was changed by hand is
// published as drifted and refused (nothing applied) unless the fleet run allows drift, and
// a worker killed mid-target leaves a file that opens directly, with a ledger that matches
// its schema, and a job recorded as crashed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryFile } from '../support/duckdb-file.js';
import { afterEach, describe, expect, it } from 'vitest';
import { TargetOutcome, TargetState } from '../../contract/index.js';
import { Database } from '../../core/index.js';
import { startTestFleet, targetJob, type TestFleet } from '../support/fleet-workers.js';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

const MIGRATIONS = {
  '001_accounts.sql': 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);',
  '002_invoices.sql': 'CREATE TABLE invoices (id INTEGER, account_id INTEGER, total DECIMAL(12, 2));',
};

async function tablesOf(file: string): Promise<string[]> {
  const db = await Database.open(file, { attempts: 1 });
  try {
    const reader = await db.connection.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name");
    return reader.getRows().map((r) => String(r[0]));
  } finally {
    await db.close();
  }
}

async function appliedVersions(file: string): Promise<number[]> {
  const db = await Database.open(file, { attempts: 1 });
  try {
    const reader = await db.connection.runAndReadAll("SELECT version FROM schema_migrations WHERE status = 'applied' ORDER BY version");
    return reader.getRows().map((r) => Number(r[0]));
  } finally {
    await db.close();
  }
}

/** SQL on a target's file with a plain DuckDB connection, as someone with a DuckDB shell would. */
const byHand = (file: string, sql: string) => queryFile(file, sql);

/** The run history of a file: run id and status, oldest first. */
async function runsOf(file: string): Promise<string[][]> {
  const db = await Database.open(file, { attempts: 1 });
  try {
    const reader = await db.connection.runAndReadAll('SELECT run_id, status FROM schema_migration_runs ORDER BY started_at');
    return reader.getRows().map((r) => r.map(String));
  } finally {
    await db.close();
  }
}

async function stateOf(f: TestFleet, id: string): Promise<TargetState> {
  return TargetState.parse(JSON.parse((await f.client.hget(f.keys.targets, id))!));
}

describe('fleet target jobs', () => {
  it('fail a locked, a corrupt and a missing target each on its own while the others are migrated', async () => {
    const healthy = ['eu/acme', 'eu/globex', 'us/initech', 'us/umbrella'];
    fleet = await startTestFleet({ targets: [...healthy, 'locked'], migrations: MIGRATIONS });
    writeFileSync(fleet.file('corrupt'), Buffer.alloc(64 * 1024, 0x5a));
    // another process (this test) holds the file
    const holder = await Database.open(fleet.file('locked'), { attempts: 1 });
    try {
      const worker = await fleet.startWorker('worker-a');
      await worker.waitForOutput('"event":"fleet:consuming"');
      const ids = [...healthy, 'locked', 'corrupt', 'gone'];
      const { outcomes } = await fleet.runTargets('shard-a', ids.map((id) => targetJob('run-1', id)));
      const byId = new Map((await outcomes).map((o) => [o.id, TargetOutcome.parse(o)]));

      for (const id of healthy) {
        expect(byId.get(id)).toMatchObject({ result: 'succeeded', fromVersion: 0, toVersion: 2, applied: 2, worker: 'worker-a' });
        expect(await tablesOf(fleet.file(id))).toEqual(expect.arrayContaining(['accounts', 'invoices', 'schema_migrations']));
      }
      expect(byId.get('locked')).toMatchObject({ result: 'failed', errorCode: 'target-locked' });
      expect(byId.get('corrupt')).toMatchObject({ result: 'failed', errorCode: 'target-unreadable' });
      expect(byId.get('gone')).toMatchObject({ result: 'failed', errorCode: 'target-missing' });

      // the run's outcomes and the targets' states are in Redis for the coordinator and the API
      const stored = await fleet.client.hgetall(fleet.keys.runTargets('run-1'));
      expect(Object.keys(stored).sort()).toEqual([...ids].sort());
      expect(TargetOutcome.parse(JSON.parse(stored['locked']!)).errorCode).toBe('target-locked');
      const states = Object.fromEntries(Object.entries(await fleet.client.hgetall(fleet.keys.targets)).map(([id, json]) => [id, TargetState.parse(JSON.parse(json))]));
      expect(states['eu/acme']).toMatchObject({ shard: 'shard-a', path: 'eu/acme.duckdb', version: 2, pending: 0, health: 'ok', owner: 'worker-a', lastRun: { runId: 'run-1', outcome: 'succeeded' } });
      expect(states['locked']).toMatchObject({ health: 'locked', version: null });
      expect(states['corrupt']).toMatchObject({ health: 'unreadable', version: null });
    } finally {
      await holder.close();
    }
    // the locked file was never touched
    expect(await tablesOf(fleet.file('locked'))).toEqual([]);
  }, 120_000);

  it('refuse a run pinned to other migration files, applying nothing', async () => {
    fleet = await startTestFleet({ targets: ['acme'], migrations: MIGRATIONS });
    const worker = await fleet.startWorker('worker-a');
    await worker.waitForOutput('"event":"fleet:consuming"');
    const shard = JSON.parse((await fleet.client.hget(fleet.keys.shards, 'shard-a'))!) as { migrationsId: string; owner: string; token: number };
    expect(shard).toMatchObject({ owner: 'worker-a', token: 1 });
    expect(shard.migrationsId).toMatch(/^[0-9a-f]{64}$/);

    const pinnedElsewhere = await fleet.runTargets('shard-a', [targetJob('run-1', 'acme', { migrationsId: 'f'.repeat(64) })]);
    expect((await pinnedElsewhere.outcomes)[0]).toMatchObject({ result: 'failed', errorCode: 'plan-changed', applied: 0 });
    expect(await tablesOf(fleet.file('acme'))).toEqual([]);

    const pinnedHere = await fleet.runTargets('shard-a', [targetJob('run-2', 'acme', { migrationsId: shard.migrationsId })]);
    expect((await pinnedHere.outcomes)[0]).toMatchObject({ result: 'succeeded', toVersion: 2 });
  }, 120_000);

  it('refuse a target whose schema drifted, applying nothing, unless the fleet run allows drift; its state says drifted', async () => {
    fleet = await startTestFleet({ targets: ['acme', 'globex'], migrations: { '001_accounts.sql': MIGRATIONS['001_accounts.sql'] } });
    const first = await fleet.startWorker('worker-a');
    await first.waitForOutput('"event":"fleet:consuming"');
    const run1 = await fleet.runTargets('shard-a', [targetJob('run-1', 'acme'), targetJob('run-1', 'globex')]);
    expect((await run1.outcomes).map((o) => o.result)).toEqual(['succeeded', 'succeeded']);
    expect(await stateOf(fleet, 'acme')).toMatchObject({ version: 1, health: 'ok' });
    await first.kill('SIGTERM');

    // while no worker holds the files: a column added by hand, and a new migration
    await byHand(fleet.file('acme'), 'ALTER TABLE accounts ADD COLUMN note VARCHAR');
    writeFileSync(join(fleet.migrationsDir, '002_invoices.sql'), MIGRATIONS['002_invoices.sql']);
    // scans every second from here on: the test opens no file while this worker runs
    const worker = await fleet.startWorker('worker-a', { DUCKMIG_FLEET_SCAN_MS: '1000' });
    await worker.waitForOutput('"event":"fleet:consuming"');
    // the owner's first scan read ledgers only; the next one compared both catalogs
    await worker.waitForOutput('"drift":true,"catalogsRead":2');
    const drift = { differences: 1, first: ['extra column accounts.note'] };
    expect(await stateOf(fleet, 'acme')).toMatchObject({ version: 1, pending: 1, health: 'drifted', drift });
    expect(await stateOf(fleet, 'globex')).toMatchObject({ version: 1, pending: 1, health: 'pending' });

    const run2 = await fleet.runTargets('shard-a', [targetJob('run-2', 'acme'), targetJob('run-2', 'globex')]);
    const [refused, applied] = await run2.outcomes;
    expect(refused).toMatchObject({ id: 'acme', result: 'failed', errorCode: 'drifted', fromVersion: 1, toVersion: 1, applied: 0 });
    expect(refused!.error).toContain('extra column accounts.note');
    expect(applied).toMatchObject({ id: 'globex', result: 'succeeded', toVersion: 2, applied: 1 });
    expect(await stateOf(fleet, 'acme')).toMatchObject({ version: 1, pending: 1, health: 'drifted', drift, lastError: { code: 'drifted' }, lastRun: { runId: 'run-2', outcome: 'failed' } });
    const globex = await stateOf(fleet, 'globex');
    expect(globex).toMatchObject({ version: 2, pending: 0, health: 'ok' });
    expect(globex.drift).toBeUndefined();

    // asked to apply anyway: it applies, and the drift stays reported
    const run3 = await fleet.runTargets('shard-a', [targetJob('run-3', 'acme', { allowDrift: true })]);
    expect((await run3.outcomes)[0]).toMatchObject({ result: 'succeeded', fromVersion: 1, toVersion: 2, applied: 1 });
    expect(await stateOf(fleet, 'acme')).toMatchObject({ version: 2, pending: 0, health: 'drifted', drift, lastRun: { runId: 'run-3', outcome: 'succeeded' } });
    await worker.kill('SIGTERM');
    // run-2 applied nothing there: 002 came with run-3 only
    expect(await appliedVersions(fleet.file('acme'))).toEqual([1, 2]);
    expect(await appliedVersions(fleet.file('globex'))).toEqual([1, 2]);
    const runs = await runsOf(fleet.file('acme'));
    expect(runs).toEqual([
      ['run-1', 'success'],
      ['run-3', 'success'],
    ]);
  }, 120_000);

  it("do not read again the catalog of a file unchanged since a check found it clean, and find a change made by hand since", async () => {
    fleet = await startTestFleet({ targets: ['acme', 'globex', 'initech'], migrations: { '001_accounts.sql': MIGRATIONS['001_accounts.sql'] } });
    // one target at a time, so which job learns the new applied list's schema is the first one
    const worker = await fleet.startWorker('worker-a', { DUCKMIG_FLEET_CONCURRENCY: '1' });
    await worker.waitForOutput('"event":"fleet:consuming"');
    /** how many times each job read its target's catalog for drift, from the worker's `fleet:target-done` lines */
    const catalogReads = (runId: string) =>
      Object.fromEntries(
        worker
          .output()
          .split('\n')
          .filter((line) => line.includes('"event":"fleet:target-done"') && line.includes(`"runId":"${runId}"`))
          .map((line) => JSON.parse(line) as { target: string; catalogsRead: number })
          .map((l) => [l.target, l.catalogsRead]),
      );
    const ids = ['acme', 'globex', 'initech'];
    const run1 = await fleet.runTargets('shard-a', ids.map((id) => targetJob('run-1', id)));
    expect((await run1.outcomes).map((o) => o.result)).toEqual(['succeeded', 'succeeded', 'succeeded']);

    // between runs: a new migration, and a column added by hand to one target (the worker holds no file now)
    writeFileSync(join(fleet.migrationsDir, '002_invoices.sql'), MIGRATIONS['002_invoices.sql']);
    await byHand(fleet.file('initech'), 'ALTER TABLE accounts ADD COLUMN note VARCHAR');
    const run2 = await fleet.runTargets('shard-a', ids.map((id) => targetJob('run-2', id)));
    const [acme, globex, initech] = await run2.outcomes;
    expect(acme).toMatchObject({ result: 'succeeded', toVersion: 2 });
    expect(globex).toMatchObject({ result: 'succeeded', toVersion: 2 });
    // the change by hand is found: the file's stat changed since run-1 left it
    expect(initech).toMatchObject({ result: 'failed', errorCode: 'drifted', applied: 0 });
    expect(initech!.error).toContain('extra column accounts.note');
    // the two untouched files were found clean by run-1's jobs as they closed them: no read
    // before applying; the first to finish reads the schema the new list leaves, once for the worker
    await expect.poll(() => catalogReads('run-2')).toEqual({ acme: 1, globex: 0, initech: 1 });
    expect(await stateOf(fleet, 'globex')).toMatchObject({ version: 2, pending: 0, health: 'ok' });

    // nothing pending: no read (the job's own write, its fence's claim, is none of the schema);
    // the drifted target is read again for the whole report its refusal names
    const run3 = await fleet.runTargets('shard-a', ids.map((id) => targetJob('run-3', id)));
    expect((await run3.outcomes).map((o) => o.result)).toEqual(['nothing-to-do', 'nothing-to-do', 'failed']);
    await expect.poll(() => catalogReads('run-3')).toEqual({ acme: 0, globex: 0, initech: 1 });
    expect(await stateOf(fleet, 'initech')).toMatchObject({ version: 1, health: 'drifted', drift: { differences: 1, first: ['extra column accounts.note'] } });

    // a change by hand to a file found clean is found by the next job there, nothing pending or not
    await byHand(fleet.file('globex'), 'ALTER TABLE invoices ADD COLUMN note VARCHAR');
    const run4 = await fleet.runTargets('shard-a', [targetJob('run-4', 'globex')]);
    expect((await run4.outcomes)[0]).toMatchObject({ result: 'nothing-to-do' });
    expect(await stateOf(fleet, 'globex')).toMatchObject({ version: 2, health: 'drifted', drift: { differences: 1, first: ['extra column invoices.note'] } });
  }, 120_000);

  it('killed mid-target: the file opens directly, its ledger matches its schema, and the job is recorded as crashed', async () => {
    fleet = await startTestFleet({
      targets: ['acme'],
      migrations: {
        ...MIGRATIONS,
        // long enough to be killed in the middle
        '003_history.sql': 'CREATE TABLE history AS SELECT range AS id, md5(CAST(range AS VARCHAR)) AS digest FROM range(40000000);',
      },
    });
    // debug: a fleet worker logs its runner's events (migration:start) only at debug
    const worker = await fleet.startWorker('worker-a', { LOG_LEVEL: 'debug' });
    await worker.waitForOutput('"event":"fleet:consuming"');
    const { outcomes } = await fleet.runTargets('shard-a', [targetJob('run-1', 'acme')]);
    await worker.waitForOutput('"type":"migration:start","runId":"run-1","version":3', 60_000);
    await worker.kill('SIGKILL');

    // nothing half-done: 001 and 002 committed with their ledger rows, 003 left no trace
    expect(await appliedVersions(fleet.file('acme'))).toEqual([1, 2]);
    const tables = await tablesOf(fleet.file('acme'));
    expect(tables).toEqual(expect.arrayContaining(['accounts', 'invoices']));
    expect(tables).not.toContain('history');

    // the shard's next consumer finds the dead job and records it as crashed, never running it again
    const crashed = await fleet.targetEvent('run-1', 'acme');
    await fleet.startWorker('worker-a');
    await expect(outcomes).rejects.toThrow(/stalled/);
    expect(await crashed.outcome).toMatchObject({ result: 'failed', errorCode: 'crashed' });
    const stored = TargetOutcome.parse(JSON.parse((await fleet.client.hget(fleet.keys.runTargets('run-1'), 'acme'))!));
    expect(stored).toMatchObject({ result: 'failed', errorCode: 'crashed' });
    expect(await appliedVersions(fleet.file('acme'))).toEqual([1, 2]);
  }, 120_000);
});
