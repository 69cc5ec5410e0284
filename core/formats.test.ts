// Specification: migration files written for other tools run as their authors meant them.
// golang-migrate (`NNN_name.up.sql` + `.down.sql`), goose (`-- +goose Up` / `Down`,
// StatementBegin/End, timestamp versions), dbmate (`-- migrate:up` / `down`) and Flyway
// (`V1__name.sql`): only the Up part runs, the Down part is kept, checksums cover the whole
// file, lines point into the original file, empty files are recorded no-ops, and 14-digit
// versions work through validate, run, status and the ledger.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusReport } from '../contract/index.js';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { Database } from './database.js';
import { LEDGER_DDL, Ledger } from './ledger.js';
import { checksumOf, FileMigrationSource } from './source.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const tableExists = (db: Database, name: string) =>
  scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).then((n) => Number(n) === 1);

const GOOSE_USERS = `-- +goose Up
-- +goose StatementBegin
CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    email VARCHAR NOT NULL
);
-- +goose StatementEnd
CREATE MACRO user_count() AS (SELECT count(*) FROM users);

-- +goose Down
-- +goose StatementBegin
DROP MACRO user_count;
DROP TABLE users;
-- +goose StatementEnd
`;

describe('empty files', () => {
  it('an empty file and a comments-only file are warnings, applied as no-ops and recorded in the ledger', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('0000_zero.up.sql', '');
    box.write('0001_accounts.up.sql', 'CREATE TABLE accounts (id INTEGER);\n');
    box.write('0002_placeholder.up.sql', '-- intentionally left blank\n/* nothing */\n');
    const { db, runner } = await openRunner(box);
    const problems = await runner.validate();
    expect(problems.filter((p) => p.code === 'empty-file').map((p) => [p.file, p.severity])).toEqual([
      ['0000_zero.up.sql', 'warning'],
      ['0002_placeholder.up.sql', 'warning'],
    ]);
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect(result.migrations.map((m) => [m.version, m.status])).toEqual([
      [0, 'applied'],
      [1, 'applied'],
      [2, 'applied'],
    ]);
    expect(await rowsOf(db, 'SELECT version, status FROM schema_migrations ORDER BY version')).toEqual([
      { version: 0, status: 'applied' },
      { version: 1, status: 'applied' },
      { version: 2, status: 'applied' },
    ]);
    expect(await tableExists(db, 'accounts')).toBe(true);
    expect((await runner.run()).status).toBe('nothing-to-do');
    await db.close();
  });
});

describe('goose files', () => {
  it('runs only the Up section: the table the Down section drops is still there, and the Down part is kept', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('20240101120000_create_users.sql', GOOSE_USERS);
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect(result.migrations.map((m) => [m.version, m.status, m.statements])).toEqual([[20240101120000, 'applied', 2]]);
    expect(await tableExists(db, 'users')).toBe(true);
    expect(await scalar(db, 'SELECT user_count()')).toBe(0n);

    const [file] = (await new FileMigrationSource(box.migrationsDir).scan()).migrations;
    expect(file!.down).toContain('DROP TABLE users;');
    expect(file!.sql).not.toContain('DROP TABLE users');
    // the checksum covers the whole file, Down section included
    expect(file!.checksum).toBe(checksumOf(GOOSE_USERS));
    await db.close();
  });

  it('14-digit timestamp versions validate, run, and show in status, ledger and run history', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('20240101120000_create_users.sql', GOOSE_USERS);
    box.write('20240215093000_add_name.sql', '-- +goose Up\nALTER TABLE users ADD COLUMN name VARCHAR;\n\n-- +goose Down\nALTER TABLE users DROP COLUMN name;\n');
    const { db, runner } = await openRunner(box);
    expect((await runner.validate()).filter((p) => p.severity === 'error')).toEqual([]);
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect([result.fromVersion, result.toVersion]).toEqual([0, 20240215093000]);
    expect(await rowsOf(db, 'SELECT CAST(version AS VARCHAR) AS version, status FROM schema_migrations ORDER BY version')).toEqual([
      { version: '20240101120000', status: 'applied' },
      { version: '20240215093000', status: 'applied' },
    ]);
    expect(await rowsOf(db, 'SELECT CAST(to_version AS VARCHAR) AS v FROM schema_migration_runs')).toEqual([{ v: '20240215093000' }]);
    const status = StatusReport.parse(JSON.parse(JSON.stringify(await runner.status())));
    expect(status.currentVersion).toBe(20240215093000);
    expect(status.applied.map((e) => e.version)).toEqual([20240101120000, 20240215093000]);
    expect(status.pending).toEqual([]);
    expect((await runner.listRuns())[0]).toMatchObject({ fromVersion: 0, toVersion: 20240215093000 });
    await db.close();
  });

  it('a failing statement in an Up section is reported at its line in the original file', async () => {
    box = sandbox({ copyMigrations: false });
    box.write(
      '20240101120000_broken.sql',
      '-- +goose Down\nDROP TABLE t;\n\n-- +goose Up\nCREATE TABLE t (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n',
    );
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('failed');
    expect(result.migrations[0]!.error).toMatchObject({ statementIndex: 1, line: 6 });
    expect(result.migrations[0]!.error!.sql).toContain('INSERT INTO nowhere');
    expect(await tableExists(db, 't')).toBe(false);
    await db.close();
  });

  it('a syntax error in an Up section is reported at its line in the original file', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('20240101120000_typo.sql', '-- +goose Up\n-- the table\nCREATE TABLE t (id INTEGER);\nCREAT TABLE u (id INTEGER);\n-- +goose Down\nDROP TABLE t;\n');
    const { db, runner } = await openRunner(box);
    const problem = (await runner.validate()).find((p) => p.code === 'syntax-error');
    expect(problem).toMatchObject({ file: '20240101120000_typo.sql', line: 4, statementIndex: 1 });
    await db.close();
  });
});

describe('golang-migrate files', () => {
  it('runs NNN_name.up.sql and keeps NNN_name.down.sql as its Down part without running it', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('000001_create_items.up.sql', 'CREATE TABLE items (id INTEGER);\n');
    box.write('000001_create_items.down.sql', 'DROP TABLE items;\n');
    box.write('000002_add_price.up.sql', 'ALTER TABLE items ADD COLUMN price DOUBLE;\n');
    box.write('000002_add_price.down.sql', 'ALTER TABLE items DROP COLUMN price;\n');
    const { db, runner } = await openRunner(box);
    expect(await runner.validate()).toEqual([]);
    const result = await runner.run();
    expect(result.migrations.map((m) => [m.version, m.name, m.file, m.status])).toEqual([
      [1, 'create_items', '000001_create_items.up.sql', 'applied'],
      [2, 'add_price', '000002_add_price.up.sql', 'applied'],
    ]);
    expect(await rowsOf(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'items' ORDER BY column_index")).toEqual([
      { column_name: 'id' },
      { column_name: 'price' },
    ]);
    const scan = await new FileMigrationSource(box.migrationsDir).scan();
    expect(scan.migrations.map((m) => m.down)).toEqual(['DROP TABLE items;\n', 'ALTER TABLE items DROP COLUMN price;\n']);
    await db.close();
  });

  it('a Down file without its Up file is reported', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('000001_create_items.up.sql', 'CREATE TABLE items (id INTEGER);\n');
    box.write('000002_gone.down.sql', 'DROP TABLE gone;\n');
    const { db, runner } = await openRunner(box);
    expect(await runner.validate()).toContainEqual(expect.objectContaining({ code: 'orphan-down', file: '000002_gone.down.sql', version: 2 }));
    await db.close();
  });
});

describe('dbmate files', () => {
  it('runs only the migrate:up section and keeps the migrate:down section', async () => {
    box = sandbox({ copyMigrations: false });
    const text = '-- migrate:up\ncreate table orders (id integer);\n\n-- migrate:down\ndrop table orders;\n';
    box.write('20230510101010_create_orders.sql', text);
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.migrations.map((m) => [m.version, m.status])).toEqual([[20230510101010, 'applied']]);
    expect(await tableExists(db, 'orders')).toBe(true);
    const [file] = (await new FileMigrationSource(box.migrationsDir).scan()).migrations;
    expect(file!.down).toBe('drop table orders;\n');
    expect(file!.checksum).toBe(checksumOf(text));
    await db.close();
  });

  it('a failing statement after a Down section placed first keeps its original line', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('20230510101010_x.sql', '-- migrate:down\ndrop table a;\n-- migrate:up transaction:false\ncreate table a (id integer);\ncreate table a (id integer);\n');
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.migrations[0]!.error).toMatchObject({ statementIndex: 1, line: 5 });
    await db.close();
  });
});

describe('Flyway files', () => {
  it('V<n>__Description.sql runs as version n; U<n>__ files are its Down part', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('V1__Create_person_table.sql', 'CREATE TABLE person (id INTEGER, name VARCHAR);\n');
    box.write('V2__Add_people.sql', "INSERT INTO person VALUES (1, 'Axel');\n");
    box.write('U2__Remove_people.sql', 'DELETE FROM person;\n');
    const { db, runner } = await openRunner(box);
    expect(await runner.validate()).toEqual([]);
    const result = await runner.run();
    expect(result.migrations.map((m) => [m.version, m.name, m.status])).toEqual([
      [1, 'Create_person_table', 'applied'],
      [2, 'Add_people', 'applied'],
    ]);
    expect(await scalar(db, 'SELECT count(*) FROM person')).toBe(1n);
    const scan = await new FileMigrationSource(box.migrationsDir).scan();
    expect(scan.migrations.map((m) => m.down ?? null)).toEqual([null, 'DELETE FROM person;\n']);
    await db.close();
  });

  it('dotted versions and repeatable migrations are refused with a way forward, not skipped', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('V1__Init.sql', 'CREATE TABLE a (id INTEGER);\n');
    box.write('V1_1__Patch.sql', 'CREATE TABLE b (id INTEGER);\n');
    box.write('R__Views.sql', 'CREATE OR REPLACE VIEW v AS SELECT 1;\n');
    const { db, runner } = await openRunner(box);
    const problems = await runner.validate();
    expect(problems).toContainEqual(expect.objectContaining({ code: 'unsupported-version', file: 'V1_1__Patch.sql', severity: 'error' }));
    expect(problems).toContainEqual(expect.objectContaining({ code: 'unsupported-file', file: 'R__Views.sql', severity: 'error' }));
    expect(problems.find((p) => p.file === 'V1_1__Patch.sql')!.hint).toContain('duckmig import --from flyway');
    expect((await runner.run()).status).toBe('invalid');
    await db.close();
  });
});

describe('BIGINT versions in the ledger', () => {
  it('a ledger created in a new database has BIGINT versions from the start: no ALTER and no CHECKPOINT', async () => {
    box = sandbox({ copyMigrations: false });
    const db = await Database.open(box.dbPath);
    const sent: string[] = [];
    // DuckDB's connection, watched: every statement the ledger sends
    const watched = new Proxy(db.connection, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (typeof args[0] === 'string') sent.push(args[0]);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    await new Ledger(watched).ensure();
    expect(sent.filter((sql) => /^\s*(ALTER|CHECKPOINT)\b/i.test(sql))).toEqual([]);
    const types = await rowsOf(db, "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE column_name IN ('version', 'from_version', 'to_version') ORDER BY table_name, column_name");
    expect(types).toEqual([
      { table_name: 'schema_migration_runs', column_name: 'from_version', data_type: 'BIGINT' },
      { table_name: 'schema_migration_runs', column_name: 'to_version', data_type: 'BIGINT' },
      { table_name: 'schema_migrations', column_name: 'version', data_type: 'BIGINT' },
      // the old application's table, exactly as it was
      { table_name: 'schema_version', column_name: 'version', data_type: 'INTEGER' },
    ]);
    await db.close();
  });

  it('a database whose ledger has an INTEGER version column keeps its rows and accepts 14-digit versions', async () => {
    box = sandbox({ copyMigrations: false });
    const a = box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);\n');
    // a ledger as databases created before BIGINT versions have it (001's definition), with a row
    const old = await Database.open(box.dbPath);
    await old.connection.run(LEDGER_DDL);
    await old.connection.run('CREATE TABLE a (id INTEGER)');
    await new Ledger(old.connection).write({
      version: 1, name: 'a', checksum: checksumOf(readFileSync(a)), status: 'applied', appliedAt: new Date().toISOString(),
      durationMs: 1, appliedBy: 'old', runId: null, jobId: null, error: null,
    });
    expect(await scalar(old, "SELECT data_type FROM duckdb_columns() WHERE table_name = 'schema_migrations' AND column_name = 'version'")).toBe('INTEGER');
    await old.close();

    box.write('20240101120000_b.sql', 'CREATE TABLE b (id INTEGER);\n');
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect(result.migrations.map((m) => m.version)).toEqual([20240101120000]);
    expect(await rowsOf(db, "SELECT CAST(version AS VARCHAR) AS version FROM schema_migrations WHERE status = 'applied' ORDER BY version")).toEqual([
      { version: '1' },
      { version: '20240101120000' },
    ]);
    await db.close();
  });

  it('a rehearsal of timestamp-versioned goose files and an empty file on a database with an INTEGER ledger predicts success', async () => {
    box = sandbox({ copyMigrations: false });
    const a = box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);\n');
    const old = await Database.open(box.dbPath);
    await old.connection.run(LEDGER_DDL);
    await old.connection.run('CREATE TABLE a (id INTEGER)');
    await new Ledger(old.connection).write({
      version: 1, name: 'a', checksum: checksumOf(readFileSync(a)), status: 'applied', appliedAt: new Date().toISOString(),
      durationMs: 1, appliedBy: 'old', runId: null, jobId: null, error: null,
    });
    await old.close();
    box.write('20240101120000_create_users.sql', GOOSE_USERS);
    box.write('20240102000000_placeholder.sql', '-- +goose Up\n\n-- +goose Down\n');
    const { db, runner } = await openRunner(box);
    const rehearsal = await runner.dryRun({ rehearse: true });
    expect(rehearsal.status).toBe('success');
    expect(rehearsal.migrations.map((m) => [m.version, m.status])).toEqual([
      [20240101120000, 'rehearsed'],
      [20240102000000, 'rehearsed'],
    ]);
    expect(await tableExists(db, 'users')).toBe(false);
    expect((await runner.run()).status).toBe('success');
    expect(await tableExists(db, 'users')).toBe(true);
    await db.close();
  });

  it('a version beyond what JSON numbers carry exactly is refused by validation', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('90071992547409930_too_big.sql', 'CREATE TABLE a (id INTEGER);\n');
    const { db, runner } = await openRunner(box);
    expect(await runner.validate()).toContainEqual(
      expect.objectContaining({ code: 'unsupported-version', file: '90071992547409930_too_big.sql', severity: 'error' }),
    );
    await db.close();
  });
});

describe("another tool's version table in the way", () => {
  it("golang-migrate's schema_migrations: status names the import to run, runs are refused, nothing is written", async () => {
    box = sandbox({ copyMigrations: false });
    box.write('000001_create_items.up.sql', 'CREATE TABLE items (id INTEGER);\n');
    const tool = await Database.open(box.dbPath);
    await tool.connection.run('CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)');
    await tool.connection.run('INSERT INTO schema_migrations VALUES (1, false)');
    await tool.close();

    const { db, runner } = await openRunner(box);
    const status = await runner.status();
    const problem = status.problems.find((p) => p.code === 'foreign-ledger');
    expect(problem).toMatchObject({ severity: 'error' });
    expect(problem!.message).toContain('version, dirty');
    expect(problem!.hint).toContain('duckmig import --from golang-migrate');
    expect(await runner.adoptLegacy()).toBeNull();
    const result = await runner.run();
    expect(result.status).toBe('invalid');
    expect(await rowsOf(db, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1")).toEqual([{ table_name: 'schema_migrations' }]);
    expect(await rowsOf(db, 'SELECT version, dirty FROM schema_migrations')).toEqual([{ version: 1, dirty: false }]);
    await db.close();
  });
});
