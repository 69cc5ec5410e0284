// Specification: failures that DuckDB reports only at COMMIT, and a COMMIT that invalidates
// the database instance, end like any other failure: the migration is not applied, a
// `failed` ledger row and a run-history row are written (on the reopened file when DuckDB
// invalidated the instance), the result is complete, and the runner keeps working.
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, rowsOf, sandbox, type Sandbox } from '../test/support/db.js';
import { DUPLICATE_KEYS, STRUCT_RENAME, STRUCT_TABLE } from '../test/support/failing-migrations.js';

let box: Sandbox;
afterEach(() => box?.cleanup());


async function tryRun(connection: Awaited<ReturnType<DuckDBInstance['connect']>>, sql: string): Promise<string> {
  try {
    await connection.run(sql);
    return 'ok';
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  }
}

describe('DuckDB 1.5.6 facts the runner depends on', () => {
  it('a struct field rename through a differently-cased column fails at COMMIT with an INTERNAL error and invalidates the instance; the file reopens without it', async () => {
    box = sandbox({ copyMigrations: false });
    const instance = await DuckDBInstance.create(box.dbPath);
    const connection = await instance.connect();
    await connection.run(STRUCT_TABLE);
    expect(await tryRun(connection, 'BEGIN TRANSACTION')).toBe('ok');
    expect(await tryRun(connection, 'ALTER TABLE t RENAME s.i TO v1')).toBe('ok');
    expect(await tryRun(connection, 'COMMIT')).toMatch(/^INTERNAL Error/);
    expect(await tryRun(connection, 'SELECT 1')).toMatch(/database has been invalidated/);
    connection.closeSync();
    instance.closeSync();
    const again = await DuckDBInstance.create(box.dbPath);
    const reader = await (await again.connect()).runAndReadAll("SELECT data_type FROM duckdb_columns() WHERE table_name = 't'");
    expect(reader.getRows()).toEqual([['STRUCT(i INTEGER, j INTEGER)']]);
    again.closeSync();
  });

  it('ADD PRIMARY KEY over duplicates inserted in the same transaction succeeds as a statement and fails at COMMIT', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run('BEGIN TRANSACTION');
    await connection.run('CREATE TABLE d (id INTEGER)');
    await connection.run('INSERT INTO d VALUES (1), (1)');
    expect(await tryRun(connection, 'ALTER TABLE d ADD PRIMARY KEY (id)')).toBe('ok');
    expect(await tryRun(connection, 'COMMIT')).toMatch(/Failed to commit: PRIMARY KEY or UNIQUE constraint violation: duplicate key "1"/);
    instance.closeSync();
  });
});

describe('a COMMIT that fails', () => {
  it('that invalidates the database: recorded as failed in the ledger and the run history, later files not run, and the runner keeps working', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_struct_table.sql', STRUCT_TABLE);
    box.write('002_rename_field.sql', STRUCT_RENAME);
    box.write('003_after.sql', 'CREATE TABLE after_it (id INTEGER);\n');
    const { db, runner } = await openRunner(box);
    const result = await runner.run({ appliedBy: 'alice', reason: 'test' });
    expect(result.status).toBe('failed');
    expect(result.migrations.map((m) => [m.version, m.status])).toEqual([
      [1, 'applied'],
      [2, 'failed'],
      [3, 'not-run'],
    ]);
    expect(result.migrations[1]!.error!.message).toMatch(/INTERNAL Error/);
    expect(result.migrations[1]!.error!.message).not.toMatch(/Stack Trace/);
    expect(result.error).toMatch(/002_rename_field\.sql/);
    expect(result.toVersion).toBe(1);

    // the database is usable again: the runner and the Database object work on the reopened file
    expect(await rowsOf(db, 'SELECT version, status, applied_by FROM schema_migrations ORDER BY applied_at, rowid')).toEqual([
      { version: 1, status: 'applied', applied_by: 'alice' },
      { version: 2, status: 'failed', applied_by: 'alice' },
    ]);
    expect(await rowsOf(db, 'SELECT run_id, status, reason FROM schema_migration_runs')).toEqual([{ run_id: result.runId, status: 'failed', reason: 'test' }]);
    expect(await rowsOf(db, "SELECT data_type FROM duckdb_columns() WHERE table_name = 't'")).toEqual([{ data_type: 'STRUCT(i INTEGER, j INTEGER)' }]);
    const status = await runner.status();
    expect(status.currentVersion).toBe(1);
    expect(status.ledger.map((e) => [e.version, e.status])).toEqual([
      [1, 'applied'],
      [2, 'failed'],
    ]);
    expect(status.ledger[1]!.error).toMatch(/INTERNAL Error/);
    await db.close();
  });

  it('that invalidates the database in an all-or-nothing batch: nothing applied, the failure recorded', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_struct_table.sql', STRUCT_TABLE);
    box.write('002_rename_field.sql', STRUCT_RENAME);
    const { db, runner } = await openRunner(box);
    const result = await runner.run({ allOrNothing: true });
    expect(result.status).toBe('failed');
    expect(result.migrations.map((m) => m.status)).toEqual(['rolled-back', 'failed']);
    expect(await rowsOf(db, 'SELECT version, status FROM schema_migrations ORDER BY applied_at, rowid')).toEqual([{ version: 2, status: 'failed' }]);
    expect(await rowsOf(db, 'SELECT status FROM schema_migration_runs')).toEqual([{ status: 'failed' }]);
    expect(await rowsOf(db, "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 't'")).toEqual([{ n: 0 }]);
    await db.close();
  });

  it('with a duplicate key found at COMMIT: the migration is failed and rolled back, DuckDB\'s message kept', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_keys.sql', DUPLICATE_KEYS);
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('failed');
    expect(result.migrations[0]!.error!.message).toMatch(/duplicate key "1"/);
    expect(await rowsOf(db, "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'd'")).toEqual([{ n: 0 }]);
    expect(await rowsOf(db, 'SELECT version, status FROM schema_migrations')).toEqual([{ version: 1, status: 'failed' }]);
    await db.close();
  });
});

// A runner that mirrors nothing into schema_version (a fleet target's) writes a successful
// run's history row inside its last migration's transaction: a COMMIT that fails there must
// take the row with it, so that the run is recorded as the failure it is.
describe('the last COMMIT of a run that writes its history row with it', () => {
  it('fails on a duplicate key: the run is recorded as failed, with the earlier migration applied', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_first.sql', 'CREATE TABLE first (id INTEGER);\n');
    box.write('002_keys.sql', DUPLICATE_KEYS);
    const { db, runner } = await openRunner(box, { legacyVersions: 'adopted' });
    const result = await runner.run({ appliedBy: 'alice' });
    expect(result.status).toBe('failed');
    expect(result.migrations.map((m) => [m.version, m.status])).toEqual([
      [1, 'applied'],
      [2, 'failed'],
    ]);
    expect(await rowsOf(db, 'SELECT run_id, status, to_version FROM schema_migration_runs')).toEqual([{ run_id: result.runId, status: 'failed', to_version: 1 }]);
    expect(await rowsOf(db, 'SELECT version, status FROM schema_migrations ORDER BY applied_at, rowid')).toEqual([
      { version: 1, status: 'applied' },
      { version: 2, status: 'failed' },
    ]);
    await db.close();
  });

  it('invalidates the database: the run is recorded as failed on the reopened file', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_struct_table.sql', STRUCT_TABLE);
    box.write('002_rename_field.sql', STRUCT_RENAME);
    const { db, runner } = await openRunner(box, { legacyVersions: 'adopted' });
    const result = await runner.run();
    expect(result.status).toBe('failed');
    expect(await rowsOf(db, 'SELECT run_id, status, to_version FROM schema_migration_runs')).toEqual([{ run_id: result.runId, status: 'failed', to_version: 1 }]);
    await db.close();
  });

  it('succeeds: the history row says what the result says', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_first.sql', 'CREATE TABLE first (id INTEGER);\n');
    box.write('002_second.sql', 'CREATE TABLE second (id INTEGER);\n');
    const { db, runner } = await openRunner(box, { legacyVersions: 'adopted' });
    const result = await runner.run({ appliedBy: 'alice', reason: 'release 7' });
    expect(result.status).toBe('success');
    const [run] = await runner.listRuns();
    expect(run).toMatchObject({ runId: result.runId, status: 'success', requestedBy: 'alice', reason: 'release 7', fromVersion: 0, toVersion: 2, durationMs: result.durationMs });
    expect(run!.migrations.map((m) => [m.version, m.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
    ]);
    expect(await rowsOf(db, "SELECT count(*)::INTEGER AS n FROM schema_migration_runs WHERE status = 'running'")).toEqual([{ n: 0 }]);
    await db.close();
  });
});
