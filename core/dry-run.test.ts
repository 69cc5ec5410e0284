// Specification: dry-run shows the plan without touching the database; a rehearsal really
// executes the batch on a copy of the database with the real run's transaction boundaries
// (one committed transaction per file, with its ledger row), reports timing, runtime and
// COMMIT-time errors and the schema diff, then discards the copy.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { DUPLICATE_KEYS, STRUCT_RENAME, STRUCT_TABLE } from '../test/support/failing-migrations.js';
import { LEDGER_TABLES } from './ledger.js';
import { readSchema } from './schema.js';
import type { Database } from './database.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

async function fingerprint(db: Database) {
  const schema = [...(await readSchema(db.connection, [])).values()];
  const tables = (await rowsOf(db, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1")).map((r) => String(r.table_name));
  const data: Record<string, unknown> = {};
  for (const t of tables) data[t] = await rowsOf(db, `SELECT * FROM ${t} ORDER BY ALL`);
  return { schema, data };
}

describe('dry-run', () => {
  it('plans each pending file with its statements and SQL, and changes nothing (not even on a fresh file)', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run({ target: 1 });
    await db.connection.run("INSERT INTO projects (id, name) VALUES ('p1', 'A')");
    const before = await fingerprint(db);
    const result = await runner.dryRun();
    expect(result.mode).toBe('plan');
    expect(result.status).toBe('success');
    expect(result.plan!.map((p) => [p.version, p.statements.length])).toEqual([
      [2, 2],
      [3, 10],
      [4, 1],
    ]);
    expect(result.plan![0]!.statements[1]).toMatchObject({ index: 1, line: 5, sql: 'ALTER TABLE projects ADD COLUMN IF NOT EXISTS context_file_path VARCHAR' });
    // the plan carries each statement (bounded) and the file's size, no longer the whole file text
    expect(result.plan![0]!.sizeBytes).toBe(readFileSync(`${box.migrationsDir}/002_add_project_context.sql`).length);
    expect(await fingerprint(db)).toEqual(before);
    await db.close();
  });

  it('a rehearsal executes the batch, reports per-statement timing and the schema diff, then rolls everything back', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run({ target: 1 });
    const before = await fingerprint(db);
    const result = await runner.dryRun({ rehearse: true });
    expect(result.mode).toBe('rehearse');
    expect(result.status).toBe('success');
    expect(result.migrations.map((m) => m.status)).toEqual(['rehearsed', 'rehearsed', 'rehearsed']);
    expect(result.migrations[1]!.statementTimings).toHaveLength(10);
    expect(result.migrations[1]!.statementTimings!.every((t) => t.durationMs >= 0)).toBe(true);
    const diff = result.schemaDiff!;
    expect(diff).toContainEqual(expect.objectContaining({ kind: 'column', change: 'added', name: 'projects.context' }));
    expect(diff).toContainEqual(expect.objectContaining({ kind: 'table', change: 'added', name: 'upload_settings' }));
    expect(diff).toContainEqual(expect.objectContaining({ kind: 'macro', change: 'added', name: 'get_next_sequence' }));
    expect(diff).toContainEqual(expect.objectContaining({ kind: 'index', change: 'added', name: 'idx_files_run' }));
    expect(diff.some((c) => c.change !== 'added')).toBe(false);
    expect(await fingerprint(db)).toEqual(before);
    await db.close();
  });

  it('a rehearsal reports a runtime error a parse cannot see (FOREIGN KEY to a missing table) and changes nothing', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run();
    box.write('005_cross_project_links.sql', 'CREATE TABLE cross_links (\n  id VARCHAR PRIMARY KEY,\n  other_id VARCHAR REFERENCES nowhere(id)\n);\n');
    expect((await runner.validate()).filter((p) => p.severity === 'error')).toEqual([]);
    const before = await fingerprint(db);
    const result = await runner.dryRun({ rehearse: true });
    expect(result.status).toBe('failed');
    expect(result.migrations[0]).toMatchObject({ version: 5, status: 'failed', error: { statementIndex: 0, line: 1, file: '005_cross_project_links.sql' } });
    expect(result.migrations[0]!.error!.message).toMatch(/nowhere/);
    expect(await fingerprint(db)).toEqual(before);
    expect(await scalar(db, 'SELECT count(*) FROM schema_migrations WHERE version = 5')).toBe(0n);
    await db.close();
  });

  it('cancelling a rehearsal interrupts the running statement and leaves nothing behind', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_slow.sql', 'CREATE TABLE slow AS SELECT count(*) AS n FROM range(20000000000) t1;');
    const { db, runner } = await openRunner(box);
    const controller = new AbortController();
    // abort once the ~12 s statement is running (no event marks that moment inside DuckDB)
    runner.events.on('migration:start', () => setTimeout(() => controller.abort('operator cancelled'), 300));
    const result = await runner.dryRun({ rehearse: true, signal: controller.signal });
    expect(result.status).toBe('cancelled');
    expect(result.migrations[0]!.durationMs!).toBeGreaterThanOrEqual(250);
    expect(result.migrations[0]!.durationMs!).toBeLessThan(5_000);
    expect(result.migrations[0]!.error!.message).toMatch(/interrupt/i);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'slow'")).toBe(0n);
    await db.close();
  });

  it('says nothing-to-do when up to date', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run();
    expect((await runner.dryRun({ rehearse: true })).status).toBe('nothing-to-do');
    await db.close();
  });
});

/** SHA-256 of the live database file (its bytes on disk). */
function fileChecksum(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('rehearsal predicts what the run will do', () => {
  it('predicts a failure DuckDB reports only at COMMIT (duplicate key found by ADD PRIMARY KEY), as the run then does', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_base.sql', 'CREATE TABLE base (id INTEGER);\n');
    const { db, runner } = await openRunner(box);
    await runner.run();
    box.write('002_keys.sql', DUPLICATE_KEYS);
    const checksum = fileChecksum(box.dbPath);
    const ledger = await rowsOf(db, 'SELECT * FROM schema_migrations ORDER BY ALL');
    const rehearsal = await runner.dryRun({ rehearse: true });
    expect(rehearsal.status).toBe('failed');
    expect(rehearsal.migrations[0]).toMatchObject({ version: 2, status: 'failed' });
    expect(rehearsal.migrations[0]!.error!.message).toMatch(/duplicate key "1"/);
    expect(rehearsal.toVersion).toBe(1);
    // the live database was not touched: same bytes, same ledger, no run recorded
    expect(fileChecksum(box.dbPath)).toBe(checksum);
    expect(await rowsOf(db, 'SELECT * FROM schema_migrations ORDER BY ALL')).toEqual(ledger);
    expect(await scalar(db, 'SELECT count(*) FROM schema_migration_runs')).toBe(1n);

    const run = await runner.run();
    expect(run.status).toBe('failed');
    expect(run.migrations[0]!.error!.message).toBe(rehearsal.migrations[0]!.error!.message);
    await db.close();
  });

  it('predicts success for CREATE INDEX, DROP INDEX, ALTER TYPE in three files (each committed before the next), as the run then does', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_items.sql', 'CREATE TABLE items (id INTEGER, v INTEGER);\nINSERT INTO items VALUES (1, 10), (2, 20);\n');
    const { db, runner } = await openRunner(box);
    await runner.run();
    box.write('002_index.sql', 'CREATE INDEX idx_items_v ON items(v);\n');
    box.write('003_drop_index.sql', 'DROP INDEX idx_items_v;\n');
    box.write('004_widen.sql', 'ALTER TABLE items ALTER v TYPE BIGINT;\n');
    const checksum = fileChecksum(box.dbPath);
    const rehearsal = await runner.dryRun({ rehearse: true });
    expect(rehearsal.status).toBe('success');
    expect(rehearsal.migrations.map((m) => m.status)).toEqual(['rehearsed', 'rehearsed', 'rehearsed']);
    expect(rehearsal.toVersion).toBe(4);
    expect(rehearsal.schemaDiff).toEqual([expect.objectContaining({ kind: 'column', change: 'changed', name: 'items.v' })]);
    expect(fileChecksum(box.dbPath)).toBe(checksum);
    expect(await scalar(db, "SELECT data_type FROM duckdb_columns() WHERE table_name = 'items' AND column_name = 'v'")).toBe('INTEGER');

    const run = await runner.run();
    expect(run.status).toBe('success');
    await db.close();
  });

  it('predicts a COMMIT that invalidates the database as a failure, and the live database stays open and untouched', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_struct_table.sql', STRUCT_TABLE);
    const { db, runner } = await openRunner(box);
    await runner.run();
    box.write('002_rename_field.sql', STRUCT_RENAME);
    box.write('003_after.sql', 'CREATE TABLE after_it (id INTEGER);\n');
    const checksum = fileChecksum(box.dbPath);
    const connection = db.connection;
    const rehearsal = await runner.dryRun({ rehearse: true });
    expect(rehearsal.status).toBe('failed');
    expect(rehearsal.migrations.map((m) => m.status)).toEqual(['failed', 'not-run']);
    expect(rehearsal.migrations[0]!.error!.message).toMatch(/^INTERNAL Error/);
    expect(db.connection).toBe(connection);
    expect(await scalar(db, 'SELECT count(*) FROM schema_migrations')).toBe(1n);
    expect(fileChecksum(box.dbPath)).toBe(checksum);
    await db.close();
  });

  it('rehearses on an empty in-memory database when there is no database file (files-only validation)', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER PRIMARY KEY);\n');
    box.write('002_b.sql', 'CREATE TABLE b (id INTEGER REFERENCES a(id));\nINSERT INTO b VALUES (1);\n');
    const { Database, FileMigrationSource, MigrationRunner } = await import('./index.js');
    const memory = await Database.open(':memory:');
    const runner = new MigrationRunner({ connection: memory.connection, source: new FileMigrationSource(box.migrationsDir), database: memory });
    const rehearsal = await runner.dryRun({ rehearse: true });
    expect(rehearsal.migrations.map((m) => m.status)).toEqual(['rehearsed', 'failed']);
    expect(rehearsal.migrations[1]!.error).toMatchObject({ statementIndex: 1, line: 2 });
    expect(rehearsal.migrations[1]!.error!.message).toMatch(/foreign key/i);
    expect(await scalar(memory, "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('a', 'b')")).toBe(0n);
    await memory.close();
  });
});

describe('schema diff', () => {
  it('shows a table rebuild as changed constraints and indexes', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run();
    box.write(
      '005_logs_without_pk.sql',
      `CREATE TABLE system_logs_new (log_id VARCHAR NOT NULL, timestamp TIMESTAMP DEFAULT current_timestamp, level VARCHAR NOT NULL, source VARCHAR NOT NULL, message VARCHAR NOT NULL, context JSON);
INSERT INTO system_logs_new SELECT * FROM system_logs;
DROP TABLE system_logs;
ALTER TABLE system_logs_new RENAME TO system_logs;
CREATE UNIQUE INDEX idx_logs_id ON system_logs(log_id);
CREATE INDEX idx_logs_timestamp ON system_logs(timestamp);
CREATE INDEX idx_logs_level ON system_logs(level);
`,
    );
    const result = await runner.dryRun({ rehearse: true });
    expect(result.status).toBe('success');
    expect(result.schemaDiff).toContainEqual(expect.objectContaining({ kind: 'table', change: 'changed', name: 'system_logs' }));
    expect(result.schemaDiff).toContainEqual(expect.objectContaining({ kind: 'index', change: 'added', name: 'idx_logs_id' }));
    expect((await readSchema(db.connection, LEDGER_TABLES)).has('index:idx_logs_id')).toBe(false);
    await db.close();
  });
});
