// Specification: applying migrations — one transaction per migration with its ledger row,
// failures rolled back and recorded, later files not run, reruns idempotent, table
// rebuilds, all-or-nothing batches, cancellation, and the events a run emits.
import { afterEach, describe, expect, it } from 'vitest';
import type { RunnerEvent } from '../contract/index.js';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { LEDGER_TABLES } from './ledger.js';
import { readSchema } from './schema.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const REBUILD_005 = `-- rebuild links without its PRIMARY KEY, keeping a UNIQUE index on id
CREATE TABLE links_new (
    id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    source_repo_id VARCHAR NOT NULL,
    target_repo_id VARCHAR NOT NULL,
    link_type VARCHAR NOT NULL,
    description VARCHAR,
    confidence FLOAT,
    evidence JSON,
    created_at TIMESTAMP DEFAULT current_timestamp
);
INSERT INTO links_new SELECT * FROM links;
DROP TABLE links;
ALTER TABLE links_new RENAME TO links;
CREATE UNIQUE INDEX idx_links_id ON links(id);
CREATE INDEX idx_links_project ON links(project_id);
CREATE INDEX idx_links_source ON links(source_repo_id);
CREATE INDEX idx_links_target ON links(target_repo_id);
`;

async function seedLinks(box: Sandbox) {
  const { db, runner } = await openRunner(box);
  await runner.run();
  await db.connection.run("INSERT INTO projects (id, name) VALUES ('p1', 'A')");
  await db.connection.run("INSERT INTO repositories (id, project_id, name, source) VALUES ('r1', 'p1', 'a', 'git'), ('r2', 'p1', 'b', 'git')");
  await db.connection.run("INSERT INTO links (id, project_id, source_repo_id, target_repo_id, link_type) VALUES ('l1', 'p1', 'r1', 'r2', 'calls')");
  return { db, runner };
}

describe('run', () => {
  it('a second run applies nothing and leaves the ledger as it was', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run();
    const ledger = await rowsOf(db, 'SELECT * FROM schema_migrations ORDER BY version');
    const again = await runner.run();
    expect(again.status).toBe('nothing-to-do');
    expect(again.migrations).toEqual([]);
    expect(await rowsOf(db, 'SELECT * FROM schema_migrations ORDER BY version')).toEqual(ledger);
    await db.close();
  });

  it('with some applied, runs only the rest', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    expect((await runner.run({ target: 2 })).migrations.map((m) => m.version)).toEqual([1, 2]);
    expect((await runner.getPendingMigrations()).map((m) => m.version)).toEqual([3, 4]);
    const rest = await runner.run();
    expect(rest.migrations.map((m) => [m.version, m.status])).toEqual([
      [3, 'applied'],
      [4, 'applied'],
    ]);
    expect(rest.fromVersion).toBe(2);
    expect(rest.toVersion).toBe(4);
    expect(await scalar(db, "SELECT count(*) FROM schema_migrations WHERE status = 'applied'")).toBe(4n);
    await db.close();
  });

  it('records version, name, checksum, who, run and job in the ledger, and the run in history', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const result = await runner.run({ appliedBy: 'alice', jobId: 'job-7', reason: 'release 1.2' });
    const [first] = await runner.getAppliedMigrations();
    expect(first).toMatchObject({ version: 1, name: 'initial_schema', status: 'applied', appliedBy: 'alice', jobId: 'job-7', runId: result.runId });
    expect(first!.checksum).toBe(result.migrations[0]!.checksum);
    expect(first!.checksum).toMatch(/^[0-9a-f]{64}$/);
    const [run] = await runner.listRuns();
    expect(run).toMatchObject({ runId: result.runId, jobId: 'job-7', requestedBy: 'alice', reason: 'release 1.2', status: 'success', fromVersion: 0, toVersion: 4 });
    expect(run!.migrations).toHaveLength(4);
    await db.close();
  });

  it('a runtime failure in file 3 of 5: 1-2 applied, 3 rolled back and recorded, 4-5 not run', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);');
    box.write('002_b.sql', 'CREATE TABLE b (id INTEGER);');
    box.write('003_c.sql', 'CREATE TABLE c (id INTEGER);\nINSERT INTO c VALUES (1);\nINSERT INTO c VALUES (\'not a number\');\n');
    box.write('004_d.sql', 'CREATE TABLE d (id INTEGER);');
    box.write('005_e.sql', 'CREATE TABLE e (id INTEGER);');
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('failed');
    expect(result.migrations.map((m) => m.status)).toEqual(['applied', 'applied', 'failed', 'not-run', 'not-run']);
    const failed = result.migrations[2]!;
    expect(failed.error).toMatchObject({ statementIndex: 2, line: 3, file: '003_c.sql' });
    expect(failed.error!.message).toMatch(/Conversion Error|Could not convert/);
    expect(result.error).toContain('003_c.sql');
    const tables = (await rowsOf(db, "SELECT table_name FROM duckdb_tables() WHERE table_name IN ('a','b','c','d','e') ORDER BY 1")).map((r) => r.table_name);
    expect(tables).toEqual(['a', 'b']);
    const ledger = await rowsOf(db, 'SELECT version, status, error FROM schema_migrations ORDER BY applied_at, rowid');
    expect(ledger.map((r) => [r.version, r.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
      [3, 'failed'],
    ]);
    expect(String(ledger[2]!.error)).toContain('statement 3, line 3');
    // the failure does not count as applied: fixing the file and re-running continues with 3
    box.write('003_c.sql', 'CREATE TABLE c (id INTEGER);\nINSERT INTO c VALUES (1);\n');
    const retry = await runner.run();
    expect(retry.migrations.map((m) => [m.version, m.status])).toEqual([
      [3, 'applied'],
      [4, 'applied'],
      [5, 'applied'],
    ]);
    await db.close();
  });

  it('a multi-statement table rebuild (new table, copy, drop, rename, re-create indexes) applies', async () => {
    box = sandbox();
    const { db, runner } = await seedLinks(box);
    box.write('005_rebuild_links.sql', REBUILD_005);
    const result = await runner.run();
    expect(result.migrations.map((m) => m.status)).toEqual(['applied']);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'links' AND constraint_type = 'PRIMARY KEY'")).toBe(0n);
    expect(await scalar(db, "SELECT is_unique FROM duckdb_indexes() WHERE index_name = 'idx_links_id'")).toBe(true);
    expect(await scalar(db, "SELECT link_type FROM links WHERE id = 'l1'")).toBe('calls');
    await db.close();
  });

  it('a table rebuild whose last statement fails rolls back completely: old table, data and indexes intact', async () => {
    box = sandbox();
    const { db, runner } = await seedLinks(box);
    const before = await readSchema(db.connection, LEDGER_TABLES);
    box.write('005_rebuild_links.sql', `${REBUILD_005}CREATE INDEX idx_links_broken ON links(no_such_column);\n`);
    const result = await runner.run();
    expect(result.migrations[0]).toMatchObject({ status: 'failed', error: { statementIndex: 8 } });
    expect([...(await readSchema(db.connection, LEDGER_TABLES)).values()]).toEqual([...before.values()]);
    expect(await scalar(db, "SELECT link_type FROM links WHERE id = 'l1'")).toBe('calls');
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'links_new'")).toBe(0n);
    await db.close();
  });

  it('all-or-nothing: a failure in the batch rolls back every migration of the batch', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);');
    box.write('002_b.sql', 'CREATE TABLE b (id INTEGER);');
    box.write('003_c.sql', 'SELECT * FROM no_such_table;');
    const { db, runner } = await openRunner(box);
    const result = await runner.run({ allOrNothing: true });
    expect(result.status).toBe('failed');
    expect(result.migrations.map((m) => m.status)).toEqual(['rolled-back', 'rolled-back', 'failed']);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('a', 'b')")).toBe(0n);
    expect((await rowsOf(db, 'SELECT version, status FROM schema_migrations')).map((r) => [r.version, r.status])).toEqual([[3, 'failed']]);
    await db.close();
  });

  it('target applies up to and including that version; a target below the current version is refused', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    expect((await runner.run({ target: 3 })).toVersion).toBe(3);
    const below = await runner.run({ target: 2 });
    expect(below.status).toBe('invalid');
    expect(below.error).toMatch(/below the current version 3/);
    expect(below.errorCode).toBe('target-invalid');
    const unknown = await runner.run({ target: 42 });
    expect(unknown.error).toMatch(/target version 42 does not exist/);
    expect(unknown.errorCode).toBe('target-invalid');
    await db.close();
  });

  it('emits typed events in order: run:start, per migration start/each statement\'s start and done/done, run:done', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const events: RunnerEvent[] = [];
    runner.events.onEvent((e) => events.push(e));
    await runner.run({ target: 2 });
    // commit and checkpoint phases have their own specification (statement-progress.test.ts)
    const shape = events
      .filter((e) => e.type !== 'phase')
      .map((e) =>
        e.type === 'statement:start' ? `>s${e.version}.${e.statementIndex}` : e.type === 'statement:done' ? `s${e.version}.${e.statementIndex}` : 'version' in e ? `${e.type}#${e.version}` : e.type,
      );
    expect(shape).toEqual([
      'run:start',
      'migration:start#1',
      ...Array.from({ length: 11 }, (_, i) => [`>s1.${i}`, `s1.${i}`]).flat(),
      'migration:done#1',
      'migration:start#2',
      '>s2.0',
      's2.0',
      '>s2.1',
      's2.1',
      'migration:done#2',
      'run:done',
    ]);
    expect(events[0]).toMatchObject({ type: 'run:start', totalStatements: 13 });
    await db.close();
  });

  it('cancelling interrupts the running statement, rolls its migration back and records it as cancelled', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);');
    box.write('002_slow.sql', 'CREATE TABLE slow AS SELECT count(*) AS n FROM range(20000000000) t1;');
    const { db, runner } = await openRunner(box);
    const controller = new AbortController();
    runner.events.on('migration:start', (e) => {
      // abort once the ~12 s statement is running (no event marks that moment inside DuckDB)
      if (e.version === 2) setTimeout(() => controller.abort('operator cancelled'), 300);
    });
    const result = await runner.run({ signal: controller.signal });
    expect(result.status).toBe('cancelled');
    expect(result.migrations.map((m) => m.status)).toEqual(['applied', 'cancelled']);
    expect(result.migrations[1]!.durationMs!).toBeGreaterThanOrEqual(250);
    expect(result.migrations[1]!.durationMs!).toBeLessThan(5_000);
    expect(result.migrations[1]!.error!.message).toMatch(/interrupt/i);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'slow'")).toBe(0n);
    expect((await rowsOf(db, 'SELECT version, status FROM schema_migrations ORDER BY version')).map((r) => [r.version, r.status])).toEqual([
      [1, 'applied'],
      [2, 'cancelled'],
    ]);
    // the connection stays usable and the migration is still pending
    expect((await runner.getPendingMigrations()).map((m) => m.version)).toEqual([2]);
    await db.close();
  });
});
