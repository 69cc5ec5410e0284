// Specification of `duckmig import`: a folder written for goose, golang-migrate, dbmate or
// Flyway becomes duckmig's layout (Up parts as plain files, Down parts beside them as
// `.down.sql`), and with --db the versions that tool recorded in the database are adopted
// (not re-run), so `duckmig run` applies only the rest. The databases are built here with
// DuckDB, with each tool's own version table as that tool creates it.
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunResult, StatusReport } from '../contract/index.js';
import { runCli } from '../test/support/cli.js';
import { sandbox, type Sandbox } from '../test/support/db.js';
import { jsonRows } from '../test/support/rows.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const TIMEOUT = 180_000;

/** Runs SQL on a database file (created if absent) and returns the last statement's rows. */
async function sql(path: string, ...statements: string[]): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    let rows: Record<string, unknown>[] = [];
    for (const s of statements) rows = jsonRows(await connection.runAndReadAll(s));
    return rows;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function toolDir(box: Sandbox, files: Record<string, string>): string {
  const dir = join(box.dir, 'tool');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const tableNames = async (db: string) =>
  (await sql(db, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name")).map((r) => r.table_name);

const ledgerOf = (db: string) =>
  sql(db, 'SELECT CAST(version AS VARCHAR) AS version, status, applied_by FROM schema_migrations ORDER BY version, applied_at');

describe('duckmig import', () => {
  it(
    'goose: converts the folder, adopts goose_db_version, and run applies only the rest (never a Down section)',
    async () => {
      box = sandbox({ copyMigrations: false });
      const dir = toolDir(box, {
        '20240101120000_create_users.sql': '-- +goose Up\nCREATE TABLE users (id INTEGER);\n\n-- +goose Down\nDROP TABLE users;\n',
        '20240102120000_create_teams.sql':
          '-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE teams (id INTEGER);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE teams;\n',
        '20240103120000_create_roles.sql': '-- +goose Up\nCREATE TABLE roles (id INTEGER);\n\n-- +goose Down\nDROP TABLE roles;\nDROP TABLE users;\n',
      });
      // goose applied the first two; the third was applied and then rolled back (is_applied false)
      await sql(
        box.dbPath,
        'CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY, version_id BIGINT NOT NULL, is_applied BOOLEAN NOT NULL, tstamp TIMESTAMP DEFAULT current_timestamp)',
        'INSERT INTO goose_db_version (id, version_id, is_applied) VALUES (1, 0, true), (2, 20240101120000, true), (3, 20240102120000, true), (4, 20240103120000, true), (5, 20240103120000, false)',
        'CREATE TABLE users (id INTEGER)',
        'CREATE TABLE teams (id INTEGER)',
      );
      const out = join(box.dir, 'migrations-duckdb');
      const imported = await runCli(['import', '--from', 'goose', dir, '--out', out, '--db', box.dbPath, '--json']);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ from: 'goose', files: 3, adopted: [20240101120000, 20240102120000] });

      expect(readdirSync(out).sort()).toEqual([
        '20240101120000_create_users.down.sql',
        '20240101120000_create_users.sql',
        '20240102120000_create_teams.down.sql',
        '20240102120000_create_teams.sql',
        '20240103120000_create_roles.down.sql',
        '20240103120000_create_roles.sql',
      ]);
      const roles = readFileSync(join(out, '20240103120000_create_roles.sql'), 'utf8');
      expect(roles).toContain('CREATE TABLE roles');
      expect(roles).not.toMatch(/DROP TABLE|\+goose/);
      expect(readFileSync(join(out, '20240103120000_create_roles.down.sql'), 'utf8')).toContain('DROP TABLE users;');

      const run = await runCli(['run', '--db', box.dbPath, '--dir', out, '--json', '--skip-restore-point']);
      expect(run.code).toBe(0);
      const result = RunResult.parse(JSON.parse(run.stdout));
      expect(result.migrations.map((m) => [m.version, m.status])).toEqual([[20240103120000, 'applied']]);
      expect(result.toVersion).toBe(20240103120000);
      expect(await ledgerOf(box.dbPath)).toEqual([
        { version: '20240101120000', status: 'adopted', applied_by: 'import:goose' },
        { version: '20240102120000', status: 'adopted', applied_by: 'import:goose' },
        { version: '20240103120000', status: 'applied', applied_by: expect.any(String) },
      ]);
      expect(await tableNames(box.dbPath)).toEqual(expect.arrayContaining(['roles', 'teams', 'users']));

      const status = StatusReport.parse(JSON.parse((await runCli(['status', '--db', box.dbPath, '--dir', out, '--json'])).stdout));
      expect(status.currentVersion).toBe(20240103120000);
      expect(status.pending).toEqual([]);
      expect(status.legacy).toBeNull();
    },
    TIMEOUT,
  );

  it(
    'golang-migrate: adopts every version up to the recorded one and keeps its table as golang_migrate_schema_migrations',
    async () => {
      box = sandbox({ copyMigrations: false });
      const dir = toolDir(box, {
        '000001_create_items.up.sql': 'CREATE TABLE items (id INTEGER);\n',
        '000001_create_items.down.sql': 'DROP TABLE items;\n',
        '000002_add_price.up.sql': 'ALTER TABLE items ADD COLUMN price DOUBLE;\n',
        '000002_add_price.down.sql': 'ALTER TABLE items DROP COLUMN price;\n',
        '000003_create_orders.up.sql': 'CREATE TABLE orders (id INTEGER);\n',
        '000003_create_orders.down.sql': 'DROP TABLE orders;\n',
      });
      await sql(
        box.dbPath,
        'CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)',
        'INSERT INTO schema_migrations VALUES (2, false)',
        'CREATE TABLE items (id INTEGER, price DOUBLE)',
      );
      const out = join(box.dir, 'out');
      const imported = await runCli(['import', '--from', 'golang-migrate', dir, '--out', out, '--db', box.dbPath]);
      expect(imported.code).toBe(0);
      expect(readdirSync(out).sort()).toEqual([
        '000001_create_items.down.sql',
        '000001_create_items.sql',
        '000002_add_price.down.sql',
        '000002_add_price.sql',
        '000003_create_orders.down.sql',
        '000003_create_orders.sql',
      ]);
      const run = RunResult.parse(JSON.parse((await runCli(['run', '--db', box.dbPath, '--dir', out, '--json', '--skip-restore-point'])).stdout));
      expect(run.migrations.map((m) => [m.version, m.status])).toEqual([[3, 'applied']]);
      expect(await ledgerOf(box.dbPath)).toEqual([
        { version: '1', status: 'adopted', applied_by: 'import:golang-migrate' },
        { version: '2', status: 'adopted', applied_by: 'import:golang-migrate' },
        { version: '3', status: 'applied', applied_by: expect.any(String) },
      ]);
      expect(await sql(box.dbPath, 'SELECT version, dirty FROM golang_migrate_schema_migrations')).toEqual([{ version: 2, dirty: false }]);
    },
    TIMEOUT,
  );

  it(
    'golang-migrate: a dirty database is refused with a clear message and nothing is written',
    async () => {
      box = sandbox({ copyMigrations: false });
      const dir = toolDir(box, { '1_a.up.sql': 'CREATE TABLE a (id INTEGER);\n', '2_b.up.sql': 'CREATE TABLE b (id INTEGER);\n' });
      await sql(box.dbPath, 'CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)', 'INSERT INTO schema_migrations VALUES (2, true)');
      const out = join(box.dir, 'out');
      const imported = await runCli(['import', '--from', 'golang-migrate', dir, '--out', out, '--db', box.dbPath]);
      expect(imported.code).toBe(1);
      expect(imported.stderr).toMatch(/dirty/);
      expect(imported.stderr).toMatch(/version 2/);
      expect(imported.stderr).toMatch(/migrate .*force/);
      expect(existsSync(out)).toBe(false);
      expect(await tableNames(box.dbPath)).toEqual(['schema_migrations']);
    },
    TIMEOUT,
  );

  it(
    'dbmate: adopts the versions in schema_migrations(version) and run applies the rest',
    async () => {
      box = sandbox({ copyMigrations: false });
      const dir = toolDir(box, {
        '20230101000000_create_a.sql': '-- migrate:up\ncreate table a (id integer);\n\n-- migrate:down\ndrop table a;\n',
        '20230102000000_create_b.sql': '-- migrate:up\ncreate table b (id integer);\n\n-- migrate:down\ndrop table b;\n',
        '20230103000000_create_c.sql': '-- migrate:up\ncreate table c (id integer);\n\n-- migrate:down\ndrop table c;\n',
      });
      await sql(
        box.dbPath,
        'CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY)',
        "INSERT INTO schema_migrations VALUES ('20230101000000'), ('20230102000000')",
        'CREATE TABLE a (id INTEGER)',
        'CREATE TABLE b (id INTEGER)',
      );
      const out = join(box.dir, 'out');
      expect((await runCli(['import', '--from', 'dbmate', dir, '--out', out, '--db', box.dbPath])).code).toBe(0);
      const run = RunResult.parse(JSON.parse((await runCli(['run', '--db', box.dbPath, '--dir', out, '--json', '--skip-restore-point'])).stdout));
      expect(run.migrations.map((m) => [m.version, m.status])).toEqual([[20230103000000, 'applied']]);
      expect((await ledgerOf(box.dbPath)).map((r) => [r.version, r.status])).toEqual([
        ['20230101000000', 'adopted'],
        ['20230102000000', 'adopted'],
        ['20230103000000', 'applied'],
      ]);
      expect(await tableNames(box.dbPath)).toEqual(expect.arrayContaining(['a', 'b', 'c', 'dbmate_schema_migrations']));
    },
    TIMEOUT,
  );

  it(
    'Flyway: dotted versions are numbered in Flyway order, flyway_schema_history is adopted, repeatables are skipped with a warning',
    async () => {
      box = sandbox({ copyMigrations: false });
      const dir = toolDir(box, {
        'V1__Init.sql': 'CREATE TABLE person (id INTEGER);\n',
        'V1_1__Add_name.sql': 'ALTER TABLE person ADD COLUMN name VARCHAR;\n',
        'V2__Create_pets.sql': 'CREATE TABLE pets (id INTEGER);\n',
        'U2__Drop_pets.sql': 'DROP TABLE pets;\n',
        'R__Views.sql': 'CREATE OR REPLACE VIEW people AS SELECT * FROM person;\n',
      });
      await sql(
        box.dbPath,
        `CREATE TABLE flyway_schema_history (
           installed_rank INTEGER NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
           type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL,
           installed_on TIMESTAMP NOT NULL DEFAULT current_timestamp, execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)`,
        `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
           (1, '1', 'Init', 'SQL', 'V1__Init.sql', 1, 'sa', 3, true),
           (2, '1.1', 'Add name', 'SQL', 'V1_1__Add_name.sql', 2, 'sa', 2, true)`,
        'CREATE TABLE person (id INTEGER, name VARCHAR)',
      );
      const out = join(box.dir, 'out');
      const imported = await runCli(['import', '--from', 'flyway', dir, '--out', out, '--db', box.dbPath]);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toMatch(/R__Views\.sql.*skipped/);
      expect(imported.stdout).toMatch(/V1_1__Add_name\.sql\s+→\s+002_add_name\.sql/);
      expect(readdirSync(out).sort()).toEqual(['001_init.sql', '002_add_name.sql', '003_create_pets.down.sql', '003_create_pets.sql']);
      const run = RunResult.parse(JSON.parse((await runCli(['run', '--db', box.dbPath, '--dir', out, '--json', '--skip-restore-point'])).stdout));
      expect(run.migrations.map((m) => [m.version, m.status])).toEqual([[3, 'applied']]);
      expect((await ledgerOf(box.dbPath)).map((r) => [r.version, r.status, r.applied_by])).toEqual([
        ['1', 'adopted', 'import:flyway'],
        ['2', 'adopted', 'import:flyway'],
        ['3', 'applied', expect.any(String)],
      ]);
    },
    TIMEOUT,
  );

  it(
    '--in-place adopts without converting: the folder is used as it is',
    async () => {
      box = sandbox({ copyMigrations: false });
      const dir = toolDir(box, {
        '20240101120000_create_users.sql': '-- +goose Up\nCREATE TABLE users (id INTEGER);\n\n-- +goose Down\nDROP TABLE users;\n',
        '20240102120000_create_teams.sql': '-- +goose Up\nCREATE TABLE teams (id INTEGER);\n\n-- +goose Down\nDROP TABLE teams;\n',
      });
      await sql(
        box.dbPath,
        'CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY, version_id BIGINT NOT NULL, is_applied BOOLEAN NOT NULL, tstamp TIMESTAMP DEFAULT current_timestamp)',
        'INSERT INTO goose_db_version (id, version_id, is_applied) VALUES (1, 0, true), (2, 20240101120000, true)',
        'CREATE TABLE users (id INTEGER)',
      );
      const before = readdirSync(dir).sort();
      expect((await runCli(['import', '--from', 'goose', dir, '--in-place', '--db', box.dbPath])).code).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(before);
      const run = RunResult.parse(JSON.parse((await runCli(['run', '--db', box.dbPath, '--dir', dir, '--json', '--skip-restore-point'])).stdout));
      expect(run.migrations.map((m) => [m.version, m.status])).toEqual([[20240102120000, 'applied']]);
      expect(await tableNames(box.dbPath)).toEqual(expect.arrayContaining(['teams', 'users']));
    },
    TIMEOUT,
  );
});
