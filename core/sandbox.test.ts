// Specification: a migration reaches nothing but its database. In a run and in a rehearsal
// alike, DuckDB's sandbox refuses writing files (COPY … TO), creating databases (ATTACH),
// reading files (read_text of /etc/passwd or of the admin token beside the database) and
// extensions (INSTALL/LOAD); an explicit allow-list opens chosen seed files; SQL cannot
// switch the sandbox off; statements that change the connection's state are refused with
// file and line before anything runs; the connection never stays on another catalog; and
// error text is a bounded excerpt without configured secrets.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../contract/index.js';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { nodeArgs } from '../test/support/node-entry.js';
import { Database } from './database.js';
import { ConnectionStateError, connectionStateRefusal, ensureHome, mayMoveConnection, readHome } from './sandbox.js';
import { FileMigrationSource } from './source.js';
import { MigrationRunner } from './runner.js';

let box: Sandbox;
const open: Database[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
  box?.cleanup();
});

type Mode = 'run' | 'rehearsal';

/** Applies 001–004, then tries 005_probe.sql in the given mode. */
async function attempt(mode: Mode, sql: string, options: { secrets?: string[] } = {}): Promise<{ result: RunResult; db: Database; stored: string }> {
  const { db, runner } = await openRunner(box, options);
  open.push(db);
  expect((await runner.run()).status).toBe('success');
  box.write('005_probe.sql', sql);
  const result = mode === 'run' ? await runner.run() : await runner.dryRun({ rehearse: true });
  // everything that was stored about it: ledger rows and run history
  const stored = JSON.stringify([
    await rowsOf(db, 'SELECT * FROM schema_migrations'),
    await rowsOf(db, 'SELECT * FROM schema_migration_runs'),
  ]);
  return { result, db, stored };
}

function refused(result: RunResult): void {
  expect(['failed', 'invalid']).toContain(result.status);
  expect(result.toVersion).toBe(4);
}

describe.each<Mode>(['run', 'rehearsal'])('a migration in a %s', (mode) => {
  it('cannot write a file with COPY … TO', async () => {
    box = sandbox();
    const target = join(box.dir, 'copied.csv');
    const { result } = await attempt(mode, `COPY (SELECT 1 AS a) TO '${target}';\n`);
    refused(result);
    expect(result.error).toMatch(/Permission Error/);
    expect(existsSync(target)).toBe(false);
  });

  it('cannot create a database file with ATTACH', async () => {
    box = sandbox();
    const target = join(box.dir, 'other.duckdb');
    const { result } = await attempt(mode, `ATTACH '${target}' AS other;\n`);
    refused(result);
    expect(existsSync(target)).toBe(false);
  });

  it('cannot read /etc/passwd, and its content shows in no error', async () => {
    box = sandbox();
    const { result, stored } = await attempt(mode, "SELECT CAST(content AS INTEGER) FROM read_text('/etc/passwd');\n");
    refused(result);
    expect(result.error).toMatch(/Permission Error/);
    expect(JSON.stringify(result)).not.toMatch(/root:/);
    expect(stored).not.toMatch(/root:/);
  });

  it('cannot read the admin token beside the database, and the token is in no error, ledger row or run', async () => {
    box = sandbox();
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(box.dir, 'admin.token'), `${token}\n`, { mode: 0o600 });
    const { result, stored } = await attempt(mode, `SELECT CAST(content AS INTEGER) FROM read_text('${join(box.dir, 'admin.token')}');\n`);
    refused(result);
    expect(JSON.stringify(result)).not.toContain(token);
    expect(stored).not.toContain(token);
  });

  it('cannot install or load extensions', async () => {
    box = sandbox();
    for (const sql of ['INSTALL httpfs;\n', 'LOAD httpfs;\n', 'LOAD json;\n']) {
      for (const db of open.splice(0)) await db.close();
      box.cleanup();
      box = sandbox();
      const { result } = await attempt(mode, sql);
      refused(result);
    }
  });
});

describe("DuckDB's own controls on every opened database", () => {
  it('are on, and SQL cannot switch them off', async () => {
    box = sandbox();
    const db = await Database.open(box.dbPath, { attempts: 1 });
    open.push(db);
    const settings = await rowsOf(
      db,
      `SELECT current_setting('enable_external_access') AS external, current_setting('lock_configuration') AS locked,
              current_setting('autoinstall_known_extensions') AS autoinstall, current_setting('autoload_known_extensions') AS autoload`,
    );
    expect(settings).toEqual([{ external: false, locked: false, autoinstall: false, autoload: false }]);
    // DuckDB itself refuses to widen file access again while the database runs
    for (const sql of ['SET enable_external_access = true', 'RESET enable_external_access', "SET allowed_directories = ['/']", "SET allowed_paths = ['/etc/passwd']"]) {
      await expect(db.connection.run(sql), sql).rejects.toThrow(/Cannot (enable external access|change allowed_(directories|paths))/);
    }
    await expect(db.connection.run(`EXPORT DATABASE '${join(box.dir, 'export')}'`)).rejects.toThrow(/Permission Error/);
    expect(existsSync(join(box.dir, 'export'))).toBe(false);
  });

  it('leave the built-in JSON functions working (nothing needs to be loaded)', async () => {
    box = sandbox();
    box.write('005_json.sql', `CREATE TABLE settings AS SELECT json_extract('{"retries": 3}', '$.retries')::INTEGER AS retries;\n`);
    const { db, runner } = await openRunner(box);
    open.push(db);
    expect((await runner.run()).status).toBe('success');
    expect(await scalar(db, 'SELECT retries FROM settings')).toBe(3);
  });

  it('keep the database file itself working: writes, CHECKPOINT, reopen', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    expect((await runner.run()).status).toBe('success');
    await db.connection.run('CHECKPOINT');
    await db.close();
    const again = await Database.open(box.dbPath, { attempts: 1 });
    open.push(again);
    expect(Number(await scalar(again, 'SELECT max(version) FROM schema_migrations'))).toBe(4);
  });

  it('still recover a WAL DuckDB cannot replay directly, and the reopened database is sandboxed', async () => {
    box = sandbox();
    const child = spawnSync(process.execPath, [...nodeArgs('test/fixtures/apply-then-die.ts'), box.dbPath, box.migrationsDir, '2', 'end'], {
      encoding: 'utf8',
      cwd: resolve(import.meta.dirname, '..'),
    });
    expect(child.signal).toBe('SIGKILL');
    expect(existsSync(`${box.dbPath}.wal`)).toBe(true);
    const db = await Database.open(box.dbPath, { attempts: 1 });
    open.push(db);
    expect(Number(await scalar(db, 'SELECT max(version) FROM schema_migrations'))).toBe(2);
    expect(await scalar(db, "SELECT current_setting('enable_external_access')")).toBe(false);
  });
});

describe('the allow-list (DUCKMIG_ALLOWED_PATHS, --allow-path)', () => {
  it('lets a migration read an allow-listed seed file, and no file outside it', async () => {
    box = sandbox();
    const seeds = join(box.dir, 'seeds');
    mkdirSync(seeds);
    writeFileSync(join(seeds, 'regions.csv'), 'code,name\neu,Europe\nus,America\n');
    writeFileSync(join(box.dir, 'outside.csv'), 'code,name\nxx,Secret\n');
    const db = await Database.open(box.dbPath, { attempts: 1, allowedPaths: [seeds] });
    open.push(db);
    const runner = new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(box.migrationsDir), database: db });
    box.write('005_seed_regions.sql', `CREATE TABLE regions AS SELECT * FROM read_csv('${join(seeds, 'regions.csv')}');\n`);
    expect((await runner.run()).status).toBe('success');
    expect(await scalar(db, 'SELECT count(*) FROM regions')).toBe(2n);

    box.write('006_seed_outside.sql', `CREATE TABLE outside AS SELECT * FROM read_csv('${join(box.dir, 'outside.csv')}');\n`);
    const outside = await runner.run();
    expect(outside.status).toBe('failed');
    expect(outside.error).toMatch(/Permission Error/);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'outside'")).toBe(0n);
  });

  it('takes single files too', async () => {
    box = sandbox();
    const seed = join(box.dir, 'one.csv');
    writeFileSync(seed, 'a\n1\n');
    writeFileSync(join(box.dir, 'two.csv'), 'a\n2\n');
    const db = await Database.open(box.dbPath, { attempts: 1, allowedPaths: [seed] });
    open.push(db);
    expect(await scalar(db, `SELECT count(*) FROM read_csv('${seed}')`)).toBe(1n);
    await expect(db.connection.run(`SELECT * FROM read_csv('${join(box.dir, 'two.csv')}')`)).rejects.toThrow(/Permission Error/);
  });
});

describe('statements that change the connection state', () => {
  const cases: [string, string][] = [
    ['USE', 'USE memory;'],
    ['USE behind a comment, in lower case', '/* harmless */ use\n  memory;'],
    ['ATTACH :memory: then USE', "ATTACH ':memory:' AS s;\nUSE s;"],
    ['SET search_path', "SET search_path = 'main';"],
    ['SET schema', "SET schema = 'main';"],
    ['RESET', 'RESET search_path;'],
    ['SET VARIABLE', 'SET VARIABLE answer = 42;'],
    ['PRAGMA assignment', 'PRAGMA threads = 1;'],
    ['PRAGMA that changes a setting', 'PRAGMA enable_profiling;'],
    ['DETACH', 'DETACH other;'],
    ['INSTALL', 'INSTALL httpfs;'],
    ['LOAD', 'LOAD json;'],
  ];

  it.each(cases)('%s is refused before anything runs, with file and line', async (_name, statement) => {
    box = sandbox();
    box.write('005_moves.sql', `CREATE TABLE before_move (id INTEGER);\n\n${statement}\nCREATE TABLE after_move (id INTEGER);\n`);
    const { db, runner } = await openRunner(box);
    open.push(db);
    const problem = (await runner.validate()).find((p) => p.code === 'connection-state');
    expect(problem).toMatchObject({ severity: 'error', file: '005_moves.sql', line: 3, statementIndex: 1 });
    expect(problem?.message).toContain('005_moves.sql:3');
    const result = await runner.run();
    expect(result.status).toBe('invalid');
    expect(result.toVersion).toBe(0);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('before_move', 'after_move')")).toBe(0n);
  });

  it('a file with ATTACH and USE leaves the connection where it was, and later runs keep working', async () => {
    box = sandbox();
    box.write('005_moves.sql', "ATTACH ':memory:' AS s;\nUSE s;\n");
    const { db, runner } = await openRunner(box);
    open.push(db);
    expect((await runner.run()).status).toBe('invalid');
    expect((await runner.dryRun({ rehearse: true })).status).toBe('invalid');
    expect(await readHome(db.connection)).toEqual({ database: 'test', schema: 'main' });
    box.write('005_moves.sql', 'CREATE TABLE fine (id INTEGER);\n');
    expect((await runner.run()).status).toBe('success');
    expect(Number(await scalar(db, 'SELECT max(version) FROM test.main.schema_migrations'))).toBe(5);
  });

  it('a SET that DuckDB cannot prepare before earlier statements ran is refused by its first keyword, and nothing of its file applied', async () => {
    box = sandbox();
    box.write('005_late_set.sql', 'CREATE TABLE counts (n INTEGER);\nSET VARIABLE n = (SELECT count(*) FROM counts);\n');
    const { db, runner } = await openRunner(box);
    open.push(db);
    const result = await runner.run();
    expect(result.status).not.toBe('success');
    expect(result.toVersion).toBeLessThan(5);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'counts'")).toBe(0n);
  });

  it('ADD COLUMN … DEFAULT on a table with rows (DuckDB runs it through an internal SET) validates, rehearses and runs', async () => {
    box = sandbox();
    box.write('005_flags.sql', 'CREATE TABLE accounts (id INTEGER PRIMARY KEY);\nINSERT INTO accounts VALUES (1), (2);\n');
    box.write('006_flag_default.sql', 'ALTER TABLE accounts ADD COLUMN active BOOLEAN DEFAULT false;\n');
    box.write('007_seq_default.sql', 'CREATE SEQUENCE account_no;\nALTER TABLE accounts ADD COLUMN no BIGINT DEFAULT nextval(\'account_no\');\n');
    const { db, runner } = await openRunner(box);
    open.push(db);
    expect((await runner.validate()).filter((p) => p.severity === 'error')).toEqual([]);
    expect((await runner.dryRun({ rehearse: true })).status).toBe('success');
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect(result.toVersion).toBe(7);
    expect(await rowsOf(db, 'SELECT id, active, no IS NOT NULL AS numbered FROM accounts ORDER BY id')).toEqual([
      { id: 1, active: false, numbered: true },
      { id: 2, active: false, numbered: true },
    ]);
  });

  // validation judges these by their first keyword without preparing them, and a run skips
  // the home check after a file made only of them: DuckDB must agree on every form
  it.each([
    'CREATE TABLE t2 (id INTEGER PRIMARY KEY, v VARCHAR)',
    'CREATE OR REPLACE MACRO m(x) AS x + 1',
    'CREATE SCHEMA s2',
    'CREATE VIEW v2 AS SELECT * FROM t',
    'CREATE INDEX t_v ON t (v)',
    'CREATE SEQUENCE seq2',
    'CREATE TEMP TABLE tt (id INTEGER)',
    'INSERT INTO t VALUES (1, \'a\')',
    'INSERT INTO t SELECT 2, \'b\' ON CONFLICT DO NOTHING',
    'UPDATE t SET v = \'c\' WHERE id = 1',
    'DELETE FROM t WHERE id = 2',
    'ALTER TABLE t ADD COLUMN note VARCHAR',
    'ALTER TABLE t RENAME TO t_renamed',
    'DROP TABLE IF EXISTS nothing_here',
    'DROP SCHEMA IF EXISTS s9 CASCADE',
  ])('DuckDB prepares "%s" as a type that neither changes nor moves the connection', async (sql) => {
    const db = await Database.open(':memory:');
    open.push(db);
    await db.connection.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR)');
    const prepared = await db.connection.prepare(sql);
    expect(connectionStateRefusal(prepared.statementType)).toBeUndefined();
    expect(mayMoveConnection(prepared.statementType)).toBe(false);
    prepared.destroySync();
  });

  it('a connection moved elsewhere is put back: the runner reads and writes its own database', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    open.push(db);
    const home = await readHome(db.connection);
    await db.connection.run("ATTACH ':memory:' AS elsewhere");
    await db.connection.run('USE elsewhere');
    await expect(ensureHome(db.connection, home)).rejects.toThrow(ConnectionStateError);
    expect(await readHome(db.connection)).toEqual(home);

    expect((await runner.run({ target: 1 })).status).toBe('success');
    await db.connection.run('USE elsewhere');
    expect((await runner.status()).currentVersion).toBe(1);
    expect((await runner.run()).status).toBe('success');
    expect(Number(await scalar(db, 'SELECT max(version) FROM test.main.schema_migrations'))).toBe(4);
  });
});

describe('error text', () => {
  it('is a bounded excerpt (at most 2 KB per message)', async () => {
    box = sandbox();
    const { result, stored } = await attempt('run', "SELECT CAST(repeat('x', 100000) AS INTEGER);\n");
    expect(result.status).toBe('failed');
    expect(result.migrations.at(-1)?.error?.message.length).toBeLessThanOrEqual(2048);
    expect(result.error!.length).toBeLessThanOrEqual(2048);
    expect(stored).not.toContain('x'.repeat(3000));
  });

  it('never carries a configured secret', async () => {
    box = sandbox();
    const tail = randomBytes(12).toString('hex');
    const secret = `secret-${tail}`;
    for (const mode of ['run', 'rehearsal'] as const) {
      for (const db of open.splice(0)) await db.close();
      box.cleanup();
      box = sandbox();
      // the value is put together at run time: the file's own text never holds it
      const { result, stored } = await attempt(mode, `SELECT CAST(concat('secret-', '${tail}') AS INTEGER);\n`, { secrets: [secret] });
      expect(result.status).toBe('failed');
      expect(result.error).toContain('[redacted]');
      expect(JSON.stringify(result.migrations.map((m) => m.error))).not.toContain(secret);
      expect(result.error).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
  });
});

describe('an applied file that changed the connection state (applied before duckmig refused it)', () => {
  it('is a warning, not a reason to refuse later runs', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    open.push(db);
    expect((await runner.run()).status).toBe('success');
    box.write('005_old_set.sql', "SET search_path = 'main';\nCREATE TABLE old_style (id INTEGER);\n");
    // recorded as applied the way an older duckmig would have left it
    await db.connection.run(
      "INSERT INTO schema_migrations (version, name, checksum, status, applied_at, applied_by) SELECT 5, 'old_set', checksum, 'applied', now(), 'older' FROM (SELECT ? AS checksum)",
      [(await runner.status()).pending[0]!.checksum],
    );
    box.write('006_next.sql', 'CREATE TABLE next_one (id INTEGER);\n');
    expect((await runner.validate()).find((p) => p.code === 'connection-state')?.severity).toBe('warning');
    expect((await runner.run()).status).toBe('success');
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'next_one'")).toBe(1n);
  });
});
