// Specification: validation refuses to run on broken files or a corrupted history, names
// the file and line, and a failed validation applies nothing.
import { renameSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, sandbox, scalar, type Sandbox } from '../test/support/db.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

function fiveFiles(box: Sandbox, third: string) {
  box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);');
  box.write('002_b.sql', 'CREATE TABLE b (id INTEGER);');
  box.write('003_c.sql', third);
  box.write('004_d.sql', 'CREATE TABLE d (id INTEGER);');
  box.write('005_e.sql', 'CREATE TABLE e (id INTEGER);');
}

describe('validation', () => {
  it('a syntax error in file 3 of 5: nothing applied, the error names the file, line and statement', async () => {
    box = sandbox({ copyMigrations: false });
    fiveFiles(box, '-- third\nCREATE TABLE c (id INTEGER);\n\nCREATE TABLE c2 (\n  id INTEGER,\n  name VARCHR NOT NUL\n);\n');
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('invalid');
    expect(result.migrations.every((m) => m.status === 'not-run')).toBe(true);
    const problem = result.problems.find((p) => p.code === 'syntax-error')!;
    expect(problem).toMatchObject({ file: '003_c.sql', line: 6, statementIndex: 1, severity: 'error' });
    expect(problem.message).toContain('003_c.sql:6');
    expect(result.error).toContain('nothing was applied');
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('a', 'b')")).toBe(0n);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'")).toBe(0n);
    await db.close();
  });

  it('refuses when an applied file was edited, and says how to fix it', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run({ target: 2 });
    box.write('002_add_project_context.sql', 'ALTER TABLE projects ADD COLUMN IF NOT EXISTS context JSON;\n');
    const result = await runner.run();
    expect(result.status).toBe('invalid');
    const problem = result.problems.find((p) => p.code === 'checksum-mismatch');
    expect(problem).toMatchObject({ file: '002_add_project_context.sql', version: 2 });
    expect(problem!.hint).toMatch(/new migration/);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'runs'")).toBe(0n);
    await db.close();
  });

  it('refuses when an applied file is missing', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run({ target: 2 });
    renameSync(`${box.migrationsDir}/002_add_project_context.sql`, `${box.dir}/moved.sql`);
    const problems = await runner.validate();
    expect(problems).toContainEqual(expect.objectContaining({ code: 'missing-file', version: 2, severity: 'error' }));
    expect((await runner.run()).status).toBe('invalid');
    await db.close();
  });

  it('refuses a new file numbered below an applied one unless out-of-order is allowed', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);');
    box.write('003_c.sql', 'CREATE TABLE c (id INTEGER);');
    const { db, runner } = await openRunner(box);
    await runner.run();
    box.write('002_b.sql', 'CREATE TABLE b (id INTEGER);');
    expect(await runner.validate()).toContainEqual(expect.objectContaining({ code: 'out-of-order', file: '002_b.sql' }));
    expect((await runner.run()).status).toBe('invalid');
    await db.close();
    const lenient = await openRunner(box, { allowOutOfOrder: true });
    expect((await lenient.runner.run()).migrations.map((m) => [m.version, m.status])).toEqual([[2, 'applied']]);
    await lenient.db.close();
  });

  it('reports duplicate numbers, bad names, empty and non-UTF-8 files, each with its file', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);');
    box.write('1_again.sql', 'CREATE TABLE a2 (id INTEGER);');
    box.write('002-Bad-Name.sql', 'SELECT 1;');
    box.write('003_empty.sql', '-- nothing here\n\n');
    box.write('004_latin1.sql', Buffer.concat([Buffer.from("SELECT 'caf"), Buffer.from([0xe9]), Buffer.from("';\n")]));
    box.write('README.md', 'not a migration');
    const { db, runner } = await openRunner(box);
    const problems = await runner.validate();
    const byCode = Object.fromEntries(problems.map((p) => [p.code, p]));
    expect(byCode['duplicate-version']).toMatchObject({ version: 1, file: '1_again.sql' });
    expect(byCode['bad-name']).toMatchObject({ file: '002-Bad-Name.sql' });
    expect(byCode['empty-file']).toMatchObject({ file: '003_empty.sql' });
    expect(byCode['not-utf8']).toMatchObject({ file: '004_latin1.sql', line: 1 });
    expect(problems.every((p) => p.hint && p.hint.length > 0)).toBe(true);
    expect(problems.map((p) => p.file)).not.toContain('README.md');
    expect((await runner.run()).status).toBe('invalid');
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'a'")).toBe(0n);
    await db.close();
  });

  it('refuses files that manage their own transaction', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'BEGIN;\nCREATE TABLE a (id INTEGER);\nCOMMIT;\n');
    const { db, runner } = await openRunner(box);
    const problems = await runner.validate();
    expect(problems.filter((p) => p.code === 'non-transactional').map((p) => p.line)).toEqual([1, 3]);
    await db.close();
  });

  it('allows gaps in numbering', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);');
    box.write('010_j.sql', 'CREATE TABLE j (id INTEGER);');
    const { db, runner } = await openRunner(box);
    expect(await runner.validate()).toEqual([]);
    expect((await runner.run()).toVersion).toBe(10);
    await db.close();
  });
});
