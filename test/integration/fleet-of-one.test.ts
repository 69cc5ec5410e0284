// Specification of what makes the single database "a fleet of one": its file carries the same
// ledger and run history a fleet target does, so a database migrated by the single-database
// tools joins a fleet as it is (its version read from its ledger, only what is pending
// applied, no drift found), and goes back to the single-database tools the same way (up to
// date, no drift, both runs in its history). The CLI runs in local mode and the fleet worker
// is a real process, each on the same real DuckDB file in turn.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunResult, TargetOutcome, TargetState } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { queryFile } from '../support/duckdb-file.js';
import { startTestFleet, targetJob, type TestFleet } from '../support/fleet-workers.js';

const MIGRATIONS = {
  '001_accounts.sql': 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);\nINSERT INTO accounts VALUES (1, \'acme\');\n',
  '002_invoices.sql': 'CREATE TABLE invoices (id INTEGER, account_id INTEGER, total DECIMAL(12, 2));\n',
};

let fleet: TestFleet | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `duckmig <args>` in local mode on the file, with the migrations of `dir`. */
const local = (file: string, dir: string, args: string[]) => runCli([...args, '--db', file, '--dir', dir], { env: { DUCKMIG_RESTORE_POINTS: 'off' } });

describe('the single database is a fleet of one', () => {
  it('a file the single-database tools migrated joins a fleet as it is, and goes back to them: one ledger, one history, no drift either way', async () => {
    fleet = await startTestFleet({ targets: [], migrations: MIGRATIONS });
    const file = fleet.file('solo');
    // the single database, migrated to 001 with the CLI (the first file only)
    const firstOnly = mkdtempSync(join(tmpdir(), 'duckmig-first-'));
    dirs.push(firstOnly);
    writeFileSync(join(firstOnly, '001_accounts.sql'), MIGRATIONS['001_accounts.sql']);
    const single = await local(file, firstOnly, ['run', '--json']);
    expect(single.code, single.stderr).toBe(0);
    expect(RunResult.parse(JSON.parse(single.stdout))).toMatchObject({ status: 'success', toVersion: 1 });

    // the fleet worker publishes it at the version its ledger says, 002 pending, not drifted
    const worker = await fleet.startWorker('worker-a');
    await worker.waitForOutput('"event":"fleet:consuming"');
    const state = TargetState.parse(JSON.parse((await fleet.client.hget(fleet.keys.targets, 'solo'))!));
    expect(state).toMatchObject({ version: 1, pending: 1, health: 'pending' });

    // a fleet run applies only 002
    const { outcomes } = await fleet.runTargets('shard-a', [targetJob('fleet-run-1', 'solo')]);
    const [outcome] = await outcomes;
    expect(TargetOutcome.parse(outcome)).toMatchObject({ result: 'succeeded', fromVersion: 1, toVersion: 2, applied: 1 });
    await worker.kill('SIGTERM');

    // back with the single-database tools: up to date, no drift, the row 001 wrote still there
    const drift = await local(file, fleet.migrationsDir, ['drift']);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    const again = await local(file, fleet.migrationsDir, ['run', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(RunResult.parse(JSON.parse(again.stdout))).toMatchObject({ status: 'nothing-to-do', fromVersion: 2, toVersion: 2 });
    const [ledger, rows, runs] = await queryFile(
      file,
      "SELECT version, status FROM schema_migrations WHERE status = 'applied' ORDER BY version",
      'SELECT name FROM accounts',
      "SELECT run_id, status FROM schema_migration_runs WHERE status <> 'nothing-to-do' ORDER BY started_at",
    );
    expect(ledger).toEqual([
      { version: 1, status: 'applied' },
      { version: 2, status: 'applied' },
    ]);
    expect(rows).toEqual([{ name: 'acme' }]);
    // one history: the CLI's run, then the fleet run's (its run id is the fleet run's)
    expect(runs!.map((r) => r.status)).toEqual(['success', 'success']);
    expect(runs![1]!.run_id).toBe('fleet-run-1');
  }, 120_000);
});
