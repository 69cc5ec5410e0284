// Specification of the CLI's local mode as deploy scripts and authors use it: exit codes
// (0 ok, 1 failed, 2 usage, 3 locked), one JSON document with --json, human progress and
// summaries, and every database it leaves behind opens directly.
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveSchema, RunResult, SchemaDiffResponse, StatusReport, VersionSchema } from '../contract/index.js';
import { runCli, REPO_ROOT } from '../test/support/cli.js';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { jsonRows } from '../test/support/rows.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

/**
 * A fresh sandbox whose database already has the repo's migrations applied (up to `target`),
 * by the runner in this process: a test about another command starts from there without a
 * CLI process of its own to set it up (`run` itself is specified by the tests above).
 */
async function appliedSandbox(target?: number): Promise<Sandbox> {
  const fresh = sandbox();
  const { db, runner } = await openRunner(fresh);
  try {
    expect((await runner.run(target === undefined ? {} : { target })).status).toBe('success');
  } finally {
    await db.close();
  }
  return fresh;
}

async function opensDirectly(path: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    return jsonRows(await connection.runAndReadAll('SELECT version, status FROM schema_migrations ORDER BY applied_at, rowid'));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('duckmig CLI (local mode)', () => {
  it('run --json applies everything, prints one RunResult document, exits 0, and the file opens directly', async () => {
    box = sandbox();
    const res = await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir, '--json']);
    expect(res.code).toBe(0);
    const result = RunResult.parse(JSON.parse(res.stdout));
    expect(result.status).toBe('success');
    expect(result.migrations.map((m) => m.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(await opensDirectly(box.dbPath)).toHaveLength(4);
  });

  it('run prints a progress line per migration and a summary table', async () => {
    box = sandbox();
    const res = await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/\[1\/4\] 001_initial_schema \(11 statements\)/);
    expect(res.stdout).toMatch(/\[4\/4\] 004_add_upload_settings/);
    expect(res.stdout).toMatch(/version\s+name\s+status/);
    expect(res.stdout).toContain('done: version 0 → 4');
  });

  it('a failing migration exits 1, names file and line, records the failure, and the file still opens directly', async () => {
    box = sandbox();
    box.write('005_broken.sql', 'CREATE TABLE ok_table (id INTEGER);\nCREATE TABLE bad (id INTEGER REFERENCES nowhere(id));\n');
    const res = await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('005_broken.sql:2 (statement 2)');
    expect(res.stdout).toContain('FAILED');
    const ledger = await opensDirectly(box.dbPath);
    expect(ledger.map((r) => [r.version, r.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
      [3, 'applied'],
      [4, 'applied'],
      [5, 'failed'],
    ]);
  });

  it('run --json when DuckDB invalidates the database at COMMIT: one complete document, exit 1, the failure recorded and shown by status', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_struct_table.sql', 'CREATE TABLE t (S STRUCT(i INTEGER, j INTEGER));\nINSERT INTO t VALUES (ROW(1, 1));\n');
    box.write('002_rename_field.sql', 'ALTER TABLE t RENAME s.i TO v1;\n');
    const res = await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir, '--json']);
    expect(res.code).toBe(1);
    const result = RunResult.parse(JSON.parse(res.stdout));
    expect(result.status).toBe('failed');
    expect(result.migrations.map((m) => [m.version, m.status])).toEqual([
      [1, 'applied'],
      [2, 'failed'],
    ]);
    expect(result.migrations[1]!.error!.message).toMatch(/INTERNAL Error/);
    expect(await opensDirectly(box.dbPath)).toEqual([
      { version: 1, status: 'applied' },
      { version: 2, status: 'failed' },
    ]);
    const status = await runCli(['status', '--db', box.dbPath, '--dir', box.migrationsDir, '--json']);
    const report = StatusReport.parse(JSON.parse(status.stdout));
    expect(report.ledger.at(-1)).toMatchObject({ version: 2, status: 'failed' });
    expect(report.pending.map((p) => p.version)).toEqual([2]);
    const runs = await runCli(['status', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(runs.stdout).toMatch(/last attempt of version 2 \(rename_field\) failed at .*INTERNAL Error/);
  }, 90_000); // three CLI processes in a row

  it('status --json prints a StatusReport', async () => {
    box = await appliedSandbox(2);
    const res = await runCli(['status', '--db', box.dbPath, '--dir', box.migrationsDir, '--json']);
    expect(res.code).toBe(0);
    const report = StatusReport.parse(JSON.parse(res.stdout));
    expect(report.currentVersion).toBe(2);
    expect(report.pending.map((p) => p.version)).toEqual([3, 4]);
    expect(report.database.duckdbVersion).toMatch(/^v1\.5/);
  });

  it('schema --json shows the live schema with row counts, --version N the schema at an applied version, --diff A..B the changes', async () => {
    box = await appliedSandbox();
    const live = await runCli(['schema', '--db', box.dbPath, '--dir', box.migrationsDir, '--json']);
    expect(live.code).toBe(0);
    const schema = LiveSchema.omit({ readAt: true, readMs: true }).parse(JSON.parse(live.stdout));
    expect(schema.version).toBe(4);
    expect(schema.tables.find((t) => t.name === 'upload_settings')?.rows).toEqual({ estimated: 0, exact: 0 });

    const at2 = await runCli(['schema', '--db', box.dbPath, '--dir', box.migrationsDir, '--version', '2', '--json']);
    expect(at2.code).toBe(0);
    expect(VersionSchema.omit({ applied: true, readAt: true }).parse(JSON.parse(at2.stdout)).tables.map((t) => t.name)).toEqual(['links', 'projects', 'repositories', 'system_logs']);

    const diff = await runCli(['schema', '--db', box.dbPath, '--dir', box.migrationsDir, '--diff', '3..4', '--json']);
    expect(diff.code).toBe(0);
    const changes = SchemaDiffResponse.parse(JSON.parse(diff.stdout)).changes;
    expect(changes.filter((c) => c.kind === 'table')).toEqual([{ kind: 'table', change: 'added', name: 'upload_settings', after: 'NOT NULL; NOT NULL; NOT NULL; PRIMARY KEY(id)' }]);

    const text = await runCli(['schema', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(text.stdout).toContain('table projects (7 columns, 0 rows)');
    expect(text.stdout).toContain('FOREIGN KEY (project_id) REFERENCES projects(id)');

    const notApplied = await runCli(['schema', '--db', box.dbPath, '--dir', box.migrationsDir, '--version', '9']);
    expect(notApplied.code).toBe(1);
    expect(notApplied.stderr).toContain('version 9 is not applied');
    expect((await runCli(['schema', '--db', box.dbPath, '--diff', '2-4'])).code).toBe(2);
  });

  it('dry-run --rehearse --json shows the schema diff and leaves the database as it was', async () => {
    box = await appliedSandbox(1);
    const res = await runCli(['dry-run', '--rehearse', '--db', box.dbPath, '--dir', box.migrationsDir, '--json']);
    expect(res.code).toBe(0);
    const result = RunResult.parse(JSON.parse(res.stdout));
    expect(result.mode).toBe('rehearse');
    expect(result.schemaDiff!.length).toBeGreaterThan(10);
    expect(await opensDirectly(box.dbPath)).toEqual([{ version: 1, status: 'applied' }]);
  });

  it('validate without --db checks files only: exit 0 when clean, 1 with file and line when not', async () => {
    box = sandbox();
    const ok = await runCli(['validate', '--dir', box.migrationsDir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok: 4 migration file(s)');
    box.write('005_typo.sql', 'CREATE TABLE t (\n  id INTEGER,\n  name VARCHAR NOT NUL\n);\n');
    const bad = await runCli(['validate', '--dir', box.migrationsDir, '--json']);
    expect(bad.code).toBe(1);
    const doc = JSON.parse(bad.stdout);
    expect(doc).toMatchObject({ ok: false, errors: 1, database: null });
    expect(doc.problems[0]).toMatchObject({ code: 'syntax-error', file: '005_typo.sql', line: 3 });
  });

  it('usage errors exit 2 with the usage line', async () => {
    const unknownOption = await runCli(['run', '--bogus']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain('usage: duckmig run');
    expect((await runCli(['run', '--target', 'abc'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli([])).code).toBe(2);
  });

  it('run --checkpoint takes each, end or a budget such as 2s,64MB; anything else exits 2', async () => {
    box = sandbox();
    const bad = await runCli(['run', '--checkpoint', 'sometimes', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--checkpoint');
    const budget = await runCli(['run', '--checkpoint', '500ms,8MB', '--skip-restore-point', '--db', box.dbPath, '--dir', box.migrationsDir, '--json']);
    expect(budget.code).toBe(0);
    expect(JSON.parse(budget.stdout)).toMatchObject({ status: 'success', toVersion: 4 });
  }, 90_000);

  it('a database locked by another process exits 3 naming that process', async () => {
    box = sandbox();
    const holder = spawn(
      process.execPath,
      ['-e', `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(box.dbPath)}).then(()=>{console.log('holding');setInterval(()=>{},1000)})`],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(holder.stdout!, 'data');
      const res = await runCli(['status', '--db', box.dbPath, '--dir', box.migrationsDir], { env: { DUCKMIG_LOCK_RETRIES: '1' } });
      expect(res.code).toBe(3);
      expect(res.stderr).toContain(`PID ${holder.pid}`);
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
  });

  it('new <name> creates the next numbered file from the template', async () => {
    box = sandbox();
    const res = await runCli(['new', 'Add users table', '--dir', box.migrationsDir, '--json']);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({ version: 5, file: '005_add_users_table.sql' });
    expect(readFileSync(doc.path, 'utf8')).toContain('dry-run --rehearse');
    expect((await runCli(['new', 'bad/name!', '--dir', box.migrationsDir])).code).toBe(2);
  });

  it('run takes a restore point first; backup --list shows it; restore --yes puts it back', async () => {
    box = await appliedSandbox();
    box.write('005_owner.sql', 'CREATE TABLE owners (id INTEGER);\n');
    box.write('006_broken.sql', 'CREATE TABLE bad (id INTEGER REFERENCES nowhere(id));\n');
    const failed = RunResult.parse(JSON.parse((await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir, '--json'])).stdout));
    expect(failed.status).toBe('failed');
    const id = failed.restorePoint!.id;
    const list = JSON.parse((await runCli(['backup', '--list', '--db', box.dbPath, '--json'])).stdout);
    expect(list.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await runCli(['restore', id, '--db', box.dbPath])).code).toBe(2); // needs --yes
    const restored = await runCli(['restore', id, '--yes', '--db', box.dbPath, '--json']);
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ mode: 'restore', status: 'success', fromVersion: 5, toVersion: 4 });
    const ledger = await opensDirectly(box.dbPath);
    expect(ledger.map((r) => r.version)).toEqual([1, 2, 3, 4]);
  }, 90_000); // five CLI processes in a row
});
