// Specification: a run whose process is killed leaves a 'running' mark in the run history
// before it applies anything; whoever opens the file next (the worker at start-up, or the
// next run, e.g. the CLI's local mode) records that run as 'crashed', once, with what it
// committed. Finished runs never show as crashed.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { nodeArgs } from '../test/support/node-entry.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const CHILD = nodeArgs('test/fixtures/apply-then-die.ts');

function killAfterCommit(box: Sandbox, version: number) {
  const child = spawnSync(process.execPath, [...CHILD, box.dbPath, box.migrationsDir, String(version), 'each'], {
    encoding: 'utf8',
    cwd: resolve(import.meta.dirname, '..'),
  });
  expect(child.signal).toBe('SIGKILL');
}

describe('crashed runs', () => {
  it('a run killed after 002 committed is recorded as crashed (version 0 → 2, 001 and 002 applied) when the file is next opened', async () => {
    box = sandbox();
    killAfterCommit(box, 2);
    const { db, runner } = await openRunner(box);
    const crashed = await runner.recordCrashedRuns();
    expect(crashed).toHaveLength(1);
    const [run] = await runner.listRuns();
    expect(run).toMatchObject({ mode: 'apply', status: 'crashed', fromVersion: 0, toVersion: 2, requestedBy: 'duckmig' });
    expect(run!.error).toMatch(/did not finish/);
    expect(run!.migrations.map((m) => [m.version, m.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
    ]);
    // recorded once: a second look finds nothing more
    expect(await runner.recordCrashedRuns()).toEqual([]);
    await db.close();
  });

  it('the next run records the crashed one before it starts (local mode has no start-up step)', async () => {
    box = sandbox();
    killAfterCommit(box, 1);
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect((await runner.listRuns()).map((r) => [r.status, r.fromVersion, r.toVersion])).toEqual([
      ['success', 1, 4],
      ['crashed', 0, 1],
    ]);
    expect(await scalar(db, "SELECT count(*) FROM schema_migration_runs WHERE status = 'running'")).toBe(0n);
    await db.close();
  });

  it('schema_version: versions old builds know commit with their migration; later ones join when the crashed run is recorded', async () => {
    box = sandbox();
    box.write('005_tags.sql', 'CREATE TABLE tags (id INTEGER);\n');
    box.write('006_labels.sql', 'CREATE TABLE labels (id INTEGER);\n');
    killAfterCommit(box, 6);
    const { db, runner } = await openRunner(box);
    // an old build started now reads MAX(version) = 4 and finds nothing to upgrade
    expect(await scalar(db, 'SELECT MAX(version) FROM schema_version')).toBe(4);
    await runner.recordCrashedRuns();
    expect(await rowsOf(db, 'SELECT version FROM schema_version ORDER BY version')).toEqual([1, 2, 3, 4, 5, 6].map((version) => ({ version })));
    await db.close();
  });

  it('a finished run leaves no mark behind', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run({ target: 2 });
    expect(await runner.recordCrashedRuns()).toEqual([]);
    expect((await runner.listRuns()).map((r) => r.status)).toEqual(['success']);
    expect(await scalar(db, 'SELECT count(*) FROM schema_migration_runs')).toBe(1n);
    await db.close();
  });
});
