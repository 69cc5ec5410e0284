// Specification of drift detection: the live schema compared with what the applied
// migrations produce on an empty database. A freshly migrated database, one the old
// application built (adopted 001–004) and ones built by goose, golang-migrate or Flyway
// (their folders used in place, their history adopted) show no drift; changes made by hand (a column
// added, a table created, an index dropped, a view redefined) are named as extra,
// missing or changed; a run with a drift check refuses a drifted database (errorCode
// 'drifted', nothing applied) and one without it applies.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { legacyUpgrade } from '../test/fixtures/legacy-app.js';
import { openRunner, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { Database } from './database.js';
import { DriftChecker, readLiveSchema, type ExpectedSchema, type ExpectedSchemaStore } from './drift.js';
import { MigrationRunner } from './runner.js';
import { FileMigrationSource } from './source.js';
import { adoptToolHistory, appliedFiles, readToolHistory, type Tool } from './tool-history.js';

let box: Sandbox;
let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  box?.cleanup();
});

const VIEW_SEQUENCE_MACRO = `CREATE SEQUENCE ticket_ids START 100;
CREATE TABLE tickets (id BIGINT PRIMARY KEY DEFAULT nextval('ticket_ids'), title VARCHAR NOT NULL, state VARCHAR DEFAULT 'open');
CREATE VIEW open_tickets AS SELECT id, title FROM tickets WHERE state = 'open';
CREATE MACRO ticket_label(t) AS 'T-' || t;
`;

async function migrated(extra?: string): Promise<{ db: Database; runner: MigrationRunner }> {
  box = sandbox();
  if (extra) box.write('005_tickets.sql', extra);
  const opened = await openRunner(box);
  db = opened.db;
  expect((await opened.runner.run()).status).toBe('success');
  return opened;
}

async function check(runner: MigrationRunner, dir = box.migrationsDir) {
  const applied = (await runner.getAppliedMigrations()).map(({ version, checksum }) => ({ version, checksum }));
  return new DriftChecker({ source: new FileMigrationSource(dir) }).check(db!.connection, applied);
}

describe('no drift where the schema is what the migrations made', () => {
  it('a freshly migrated database (tables, columns, indexes, macros, a sequence, a view)', async () => {
    const { runner } = await migrated(VIEW_SEQUENCE_MACRO);
    const report = await check(runner);
    expect(report).toMatchObject({ version: 5, drifted: false, differences: [], error: null });
  });

  it('a database the old application built and upgraded, adopted as 001–004', async () => {
    box = sandbox();
    db = await Database.open(box.dbPath, { attempts: 1 });
    await legacyUpgrade(db.connection, 4);
    await db.close();
    const opened = await openRunner(box);
    db = opened.db;
    expect(await opened.runner.adoptLegacy()).toMatchObject({ adopted: [1, 2, 3, 4] });
    expect(await check(opened.runner)).toMatchObject({ version: 4, drifted: false, differences: [], error: null });
  });

  it('a legacy v2 database adopted, then upgraded by duckmig to 004', async () => {
    box = sandbox();
    db = await Database.open(box.dbPath, { attempts: 1 });
    await legacyUpgrade(db.connection, 2);
    await db.close();
    const opened = await openRunner(box);
    db = opened.db;
    expect((await opened.runner.run()).migrations.map((m) => [m.version, m.status])).toEqual([
      [3, 'applied'],
      [4, 'applied'],
    ]);
    expect(await check(opened.runner)).toMatchObject({ version: 4, drifted: false, differences: [] });
  });
});

describe('no drift on databases another tool migrated, its folder used in place and its history adopted', () => {
  /** Builds the database as the tool did (its version table, its Up statements), adopts, runs the rest. */
  async function adoptedFrom(tool: Tool, files: Record<string, string>, toolDid: string[]): Promise<MigrationRunner> {
    box = sandbox({ copyMigrations: false });
    const dir = join(box.dir, 'tool');
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    db = await Database.open(box.dbPath, { attempts: 1 });
    for (const statement of toolDid) await db.connection.run(statement);
    const source = new FileMigrationSource(dir);
    const history = (await readToolHistory(db.connection, tool))!;
    const scan = await source.scan();
    const adoptable = scan.migrations.map((m) => ({ toolVersion: String(m.version), version: m.version, name: m.name, checksum: m.checksum }));
    await adoptToolHistory(db.connection, history, appliedFiles(history, adoptable));
    const runner = new MigrationRunner({ connection: db.connection, source, database: db });
    expect(await check(runner, dir)).toMatchObject({ drifted: false, differences: [], error: null });
    expect((await runner.run()).status).toBe('success');
    return runner;
  }

  it('goose (Up and Down sections, StatementBegin/End)', async () => {
    const runner = await adoptedFrom(
      'goose',
      {
        '20240101120000_users.sql': '-- +goose Up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR NOT NULL);\nCREATE UNIQUE INDEX users_email ON users (email);\n\n-- +goose Down\nDROP TABLE users;\n',
        '20240102120000_domain.sql': "-- +goose Up\n-- +goose StatementBegin\nCREATE MACRO domain_of(e) AS split_part(e, '@', 2);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP MACRO domain_of;\n",
        '20240103120000_teams.sql': '-- +goose Up\nCREATE TABLE teams (id INTEGER);\n\n-- +goose Down\nDROP TABLE teams;\n',
      },
      [
        'CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY, version_id BIGINT NOT NULL, is_applied BOOLEAN NOT NULL, tstamp TIMESTAMP DEFAULT current_timestamp)',
        'INSERT INTO goose_db_version (id, version_id, is_applied) VALUES (1, 0, true), (2, 20240101120000, true), (3, 20240102120000, true)',
        'CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR NOT NULL)',
        'CREATE UNIQUE INDEX users_email ON users (email)',
        "CREATE MACRO domain_of(e) AS split_part(e, '@', 2)",
      ],
    );
    expect(await check(runner, join(box.dir, 'tool'))).toMatchObject({ drifted: false, differences: [] });
  });

  it('golang-migrate (its schema_migrations kept aside under another name)', async () => {
    const runner = await adoptedFrom(
      'golang-migrate',
      {
        '000001_items.up.sql': 'CREATE TABLE items (id INTEGER);\n',
        '000001_items.down.sql': 'DROP TABLE items;\n',
        '000002_price.up.sql': 'ALTER TABLE items ADD COLUMN price DOUBLE DEFAULT 0;\n',
        '000002_price.down.sql': 'ALTER TABLE items DROP COLUMN price;\n',
        '000003_orders.up.sql': "CREATE SEQUENCE order_ids;\nCREATE TABLE orders (id INTEGER DEFAULT nextval('order_ids'));\n",
        '000003_orders.down.sql': 'DROP TABLE orders;\n',
      },
      [
        'CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)',
        'INSERT INTO schema_migrations VALUES (2, false)',
        'CREATE TABLE items (id INTEGER)',
        'ALTER TABLE items ADD COLUMN price DOUBLE DEFAULT 0',
      ],
    );
    expect(await check(runner, join(box.dir, 'tool'))).toMatchObject({ drifted: false, differences: [] });
  });

  it('Flyway (its history table, a view)', async () => {
    const runner = await adoptedFrom(
      'flyway',
      {
        'V1__Init.sql': 'CREATE TABLE person (id INTEGER);\n',
        'V2__Add_name.sql': 'ALTER TABLE person ADD COLUMN name VARCHAR;\nCREATE VIEW named AS SELECT id, name FROM person WHERE name IS NOT NULL;\n',
        'V3__Create_pets.sql': 'CREATE TABLE pets (id INTEGER);\n',
      },
      [
        `CREATE TABLE flyway_schema_history (
           installed_rank INTEGER NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
           type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL,
           installed_on TIMESTAMP NOT NULL DEFAULT current_timestamp, execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)`,
        `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
           (1, '1', 'Init', 'SQL', 'V1__Init.sql', 1, 'sa', 3, true),
           (2, '2', 'Add name', 'SQL', 'V2__Add_name.sql', 2, 'sa', 2, true)`,
        'CREATE TABLE person (id INTEGER)',
        'ALTER TABLE person ADD COLUMN name VARCHAR',
        'CREATE VIEW named AS SELECT id, name FROM person WHERE name IS NOT NULL',
      ],
    );
    expect(await check(runner, join(box.dir, 'tool'))).toMatchObject({ drifted: false, differences: [] });
  });
});

describe('drift made by hand', () => {
  it('names extra, missing and changed objects with both definitions', async () => {
    const { runner } = await migrated(VIEW_SEQUENCE_MACRO);
    await db!.connection.run('ALTER TABLE projects ADD COLUMN note VARCHAR');
    await db!.connection.run('CREATE TABLE extra (id INTEGER)');
    await db!.connection.run('DROP INDEX idx_links_project');
    await db!.connection.run("CREATE OR REPLACE VIEW open_tickets AS SELECT id FROM tickets WHERE state = 'open'");
    await db!.connection.run('DROP MACRO ticket_label');

    const report = await check(runner);
    expect(report.drifted).toBe(true);
    expect(report.differences.map((d) => [d.change, d.kind, d.name])).toEqual([
      ['extra', 'table', 'extra'],
      ['extra', 'column', 'extra.id'],
      ['extra', 'column', 'projects.note'],
      ['missing', 'index', 'idx_links_project'],
      ['changed', 'view', 'open_tickets'],
      ['missing', 'macro', 'ticket_label'],
    ]);
    const note = report.differences.find((d) => d.name === 'projects.note')!;
    expect(note.expected).toBeUndefined();
    expect(note.actual).toMatch(/^VARCHAR\b/);
    const index = report.differences.find((d) => d.name === 'idx_links_project')!;
    expect(index.expected).toContain('ON links');
    expect(index.actual).toBeUndefined();
    const view = report.differences.find((d) => d.name === 'open_tickets')!;
    expect(view.expected).toContain('SELECT id, title');
    expect(view.actual).not.toContain('title');
  });

  it('a changed nullability or default is a changed column (and a NOT NULL a changed table)', async () => {
    const { runner } = await migrated(VIEW_SEQUENCE_MACRO);
    await db!.connection.run("ALTER TABLE tickets ALTER COLUMN state SET DEFAULT 'new'");
    await db!.connection.run('ALTER TABLE tickets ALTER COLUMN state SET NOT NULL');
    const report = await check(runner);
    expect(report.differences).toEqual([
      { kind: 'table', change: 'changed', name: 'tickets', expected: 'NOT NULL; NOT NULL; PRIMARY KEY(id)', actual: 'NOT NULL; NOT NULL; NOT NULL; PRIMARY KEY(id)' },
      { kind: 'column', change: 'changed', name: 'tickets.state', expected: "VARCHAR DEFAULT 'open' #3", actual: "VARCHAR NOT NULL DEFAULT 'new' #3" },
    ]);
  });

  it('the ledger tables are not drift: duckmig writes them itself', async () => {
    const { runner } = await migrated();
    await db!.connection.run("INSERT INTO schema_version (version) VALUES (99)");
    expect((await check(runner)).drifted).toBe(false);
  });
});

describe('a run on a drifted database', () => {
  it('is refused with errorCode drifted, nothing applied; without the check it applies', async () => {
    const { runner } = await migrated();
    await db!.connection.run('CREATE TABLE extra (id INTEGER)');
    box.write('005_tickets.sql', VIEW_SEQUENCE_MACRO);
    const checker = new DriftChecker({ source: new FileMigrationSource(box.migrationsDir) });

    const refused = await runner.run({ driftCheck: (connection, applied) => checker.check(connection, applied) });
    expect(refused).toMatchObject({ status: 'invalid', errorCode: 'drifted', fromVersion: 4, toVersion: 4 });
    expect(refused.error).toContain('extra table extra');
    expect(refused.migrations.map((m) => [m.version, m.status])).toEqual([[5, 'not-run']]);
    expect(await scalar(db!, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'tickets'")).toBe(0n);

    const allowed = await runner.run();
    expect(allowed).toMatchObject({ status: 'success', toVersion: 5 });
  });
});

it('an applied file changed since: the check says why it cannot compare, and reports no drift', async () => {
  const { runner } = await migrated(VIEW_SEQUENCE_MACRO);
  box.write('005_tickets.sql', `${VIEW_SEQUENCE_MACRO}\nCREATE TABLE later (id INTEGER);\n`);
  const report = await check(runner);
  expect(report).toMatchObject({ drifted: false, differences: [] });
  expect(report.error).toContain('005_tickets.sql changed since it was applied');
});

describe('the replay drift compares with', () => {
  it('is made once for checks that want it at the same time, and kept for the next one', async () => {
    const { runner } = await migrated(VIEW_SEQUENCE_MACRO);
    const files = new FileMigrationSource(box.migrationsDir);
    let replays = 0;
    const counted = { location: files.location, scan: () => (replays++, files.scan()) };
    const checker = new DriftChecker({ source: counted });
    const applied = (await runner.getAppliedMigrations()).map(({ version, checksum }) => ({ version, checksum }));

    const reports = await Promise.all([checker.check(db!.connection, applied), checker.check(db!.connection, applied)]);
    expect(reports.map((r) => [r.drifted, r.error])).toEqual([[false, null], [false, null]]);
    expect(replays).toBe(1);
    expect((await checker.check(db!.connection, applied)).drifted).toBe(false);
    expect(replays).toBe(1);
  });

  /** a store in memory, as the worker's Redis one behaves, with what it was given to keep */
  function memoryStore(initial?: ExpectedSchema): ExpectedSchemaStore & { saved: ExpectedSchema[] } {
    let kept = initial;
    const store = {
      saved: [] as ExpectedSchema[],
      async load() {
        return kept;
      },
      async save(expected: ExpectedSchema) {
        store.saved.push(expected);
        kept = expected;
      },
    };
    return store;
  }

  function countedChecker(): { checker: DriftChecker; replays: () => number } {
    const files = new FileMigrationSource(box.migrationsDir);
    let replays = 0;
    return { checker: new DriftChecker({ source: { location: files.location, scan: () => (replays++, files.scan()) } }), replays: () => replays };
  }

  it('is kept in the store, and a new checker over the same applied files takes it from there instead of replaying', async () => {
    const { runner } = await migrated(VIEW_SEQUENCE_MACRO);
    const applied = await runner.getAppliedFiles();
    const store = memoryStore();
    const first = countedChecker();
    first.checker.keepIn(store);
    expect((await first.checker.check(db!.connection, applied)).drifted).toBe(false);
    expect(first.replays()).toBe(1);
    expect(store.saved.map((s) => s.applied)).toEqual([applied]);

    // as a restarted worker: a new checker, the same store
    const second = countedChecker();
    second.checker.keepIn(store);
    expect(await second.checker.check(db!.connection, applied)).toMatchObject({ drifted: false, error: null });
    expect(second.replays()).toBe(0);

    // drift made meanwhile (while no worker held the file) is still found against the kept schema
    await db!.connection.run('ALTER TABLE tickets ADD COLUMN assignee VARCHAR');
    const third = countedChecker();
    third.checker.keepIn(store);
    const report = await third.checker.check(db!.connection, applied);
    expect(third.replays()).toBe(0);
    expect(report.drifted).toBe(true);
    expect(JSON.stringify(report.differences)).toContain('assignee');
  });

  it('is replayed when the store holds another applied list, and the store then keeps the new one', async () => {
    const { runner } = await migrated(VIEW_SEQUENCE_MACRO);
    const applied = await runner.getAppliedFiles();
    // what an older list produced: 001–004 only, without 005's objects
    const older: ExpectedSchema = { applied: applied.slice(0, -1), schema: { tables: [], views: [], macros: [], sequences: [], excluded: [] } };
    const store = memoryStore(older);
    const { checker, replays } = countedChecker();
    checker.keepIn(store);
    expect(await checker.check(db!.connection, applied)).toMatchObject({ drifted: false, error: null });
    expect(replays()).toBe(1);
    expect(store.saved.map((s) => s.applied)).toEqual([applied]);
  });

  it("a run's advance is kept in the store, so the next checker needs no replay", async () => {
    const { runner } = await migrated(VIEW_SEQUENCE_MACRO);
    const applied = await runner.getAppliedFiles();
    const store = memoryStore();
    const { checker } = countedChecker();
    checker.keepIn(store);
    await checker.advance(applied, (await readLiveSchema(db!.connection)).schema);
    expect(store.saved.map((s) => s.applied)).toEqual([applied]);

    const next = countedChecker();
    next.checker.keepIn(store);
    expect(await next.checker.check(db!.connection, applied)).toMatchObject({ drifted: false, error: null });
    expect(next.replays()).toBe(0);
  });
});
