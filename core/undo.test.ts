// Specification: undo. Down scripts (`.down.sql` beside the migration, goose Down sections)
// run newest first, each in one transaction with an 'undone' ledger row, so the schema is
// back at the target version and a later run applies the files again; the preview rehearses
// them on a copy and counts the rows of what they drop; a migration without a down script
// refuses the undo and offers the newest restore point at or below the target; a failing
// down script leaves nothing behind.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { Database } from './database.js';
import { FileMigrationSource } from './source.js';
import { MigrationRunner } from './runner.js';
import { LEDGER_TABLES } from './ledger.js';
import { RestorePoints } from './restore-points.js';
import { readSchema } from './schema.js';

let box: Sandbox;
const open: Database[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
  box?.cleanup();
});

/** 001 accounts, 002 adds accounts.email, 003 orders (goose layout, Down section): each with a down script. */
function threeMigrations(): Sandbox {
  const b = sandbox({ copyMigrations: false });
  b.write('001_accounts.sql', 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR);\n');
  b.write('001_accounts.down.sql', 'DROP TABLE accounts;\n');
  b.write('002_account_email.sql', 'ALTER TABLE accounts ADD COLUMN email VARCHAR;\n');
  b.write('002_account_email.down.sql', 'ALTER TABLE accounts DROP COLUMN email;\n');
  b.write('003_orders.sql', '-- +goose Up\nCREATE TABLE orders (id INTEGER, account_id INTEGER, total DECIMAL(10,2));\n\n-- +goose Down\nDROP TABLE orders;\n');
  return b;
}

async function runner(b: Sandbox) {
  const opened = await openRunner(b);
  open.push(opened.db);
  return opened;
}

async function seed(db: Database) {
  await db.connection.run("INSERT INTO accounts VALUES (1, 'ann', 'ann@example.com'), (2, 'bob', NULL), (3, 'cy', 'cy@example.com')");
  await db.connection.run('INSERT INTO orders VALUES (1, 1, 9.50), (2, 3, 12.00)');
}

/** The schema a fresh database has at `version` (the files applied up to it). */
async function schemaAt(b: Sandbox, version: number) {
  const db = await Database.open(join(b.dir, `fresh-${version}.duckdb`), { attempts: 1 });
  try {
    await new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(b.migrationsDir), database: db }).run({ target: version });
    return [...(await readSchema(db.connection, LEDGER_TABLES)).entries()];
  } finally {
    await db.close();
  }
}

describe('undo', () => {
  it('runs the down scripts newest first: the schema is back at the target, the ledger shows who undid what, a run applies the files again', async () => {
    box = threeMigrations();
    const { db, runner: r } = await runner(box);
    expect((await r.run()).toVersion).toBe(3);
    await seed(db);

    const result = await r.undo({ to: 1, appliedBy: 'alice', reason: 'release rolled back' });
    expect(result).toMatchObject({ mode: 'undo', status: 'success', fromVersion: 3, toVersion: 1 });
    expect(result.migrations.map((m) => [m.version, m.file, m.status])).toEqual([
      [3, '003_orders.sql', 'undone'],
      [2, '002_account_email.down.sql', 'undone'],
    ]);
    expect([...(await readSchema(db.connection, LEDGER_TABLES)).entries()]).toEqual(await schemaAt(box, 1));
    // the rows of the table that stays are still there
    expect(await scalar(db, 'SELECT count(*) FROM accounts')).toBe(3n);

    const ledger = await rowsOf(db, 'SELECT version, status, applied_by, run_id FROM schema_migrations ORDER BY applied_at, rowid');
    expect(ledger.slice(3)).toEqual([
      { version: 3, status: 'undone', applied_by: 'alice', run_id: result.runId },
      { version: 2, status: 'undone', applied_by: 'alice', run_id: result.runId },
    ]);
    // the undone rows record the down scripts' checksums
    const checksums = await rowsOf(db, "SELECT version, checksum FROM schema_migrations WHERE status = 'undone' ORDER BY version");
    expect(checksums.map((c) => c.checksum)).toEqual(result.undo!.steps.map((s) => s.checksum).reverse());
    // old application builds read MAX(version) from schema_version: it says 1 again
    expect(await rowsOf(db, 'SELECT version FROM schema_version ORDER BY version')).toEqual([{ version: 1 }]);

    const history = (await r.listRuns())[0]!;
    expect(history).toMatchObject({ runId: result.runId, mode: 'undo', status: 'success', requestedBy: 'alice', reason: 'release rolled back', fromVersion: 3, toVersion: 1 });
    const status = await r.status();
    expect(status.currentVersion).toBe(1);
    expect(status.pending.map((p) => p.version)).toEqual([2, 3]);
    expect(status.problems.filter((p) => p.severity === 'error')).toEqual([]);

    const again = await r.run();
    expect(again).toMatchObject({ status: 'success', fromVersion: 1, toVersion: 3 });
    expect(await scalar(db, 'SELECT count(email) FROM accounts')).toBe(0n);
    expect(await rowsOf(db, 'SELECT version FROM schema_version ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
  });

  it('previews the undo on a copy: schema diff, dropped tables and columns with their row counts, a plan id that pins the undo', async () => {
    box = threeMigrations();
    const { db, runner: r } = await runner(box);
    await r.run();
    await seed(db);

    const preview = await r.previewUndo({ to: 1 });
    expect(preview).toMatchObject({ mode: 'undo-preview', status: 'success', fromVersion: 3 });
    expect(preview.migrations.map((m) => [m.version, m.status])).toEqual([
      [3, 'rehearsed'],
      [2, 'rehearsed'],
    ]);
    expect(preview.schemaDiff).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'table', change: 'dropped', name: 'orders' }),
        expect.objectContaining({ kind: 'column', change: 'dropped', name: 'accounts.email' }),
      ]),
    );
    expect(preview.undo!.dropped).toEqual({
      tables: [{ name: 'orders', rows: 2 }],
      columns: [{ table: 'accounts', column: 'email', rows: 3, nonNull: 2 }],
    });
    // the live database is untouched
    expect(await scalar(db, 'SELECT count(*) FROM orders')).toBe(2n);
    expect((await r.status()).currentVersion).toBe(3);

    // the plan pins the undo: a changed down script refuses it, nothing undone
    box.write('002_account_email.down.sql', 'ALTER TABLE accounts DROP COLUMN email; -- edited\n');
    const refused = await r.undo({ to: 1, plan: preview.planId });
    expect(refused).toMatchObject({ status: 'invalid', errorCode: 'plan-changed' });
    expect((await r.status()).currentVersion).toBe(3);
    box.write('002_account_email.down.sql', 'ALTER TABLE accounts DROP COLUMN email;\n');
    const pinned = await r.undo({ to: 1, plan: preview.planId });
    expect(pinned).toMatchObject({ status: 'success', toVersion: 1 });
  });

  it('without a down script in the range: refused, nothing changed, the newest restore point at or below the target offered with what it loses', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_accounts.sql', 'CREATE TABLE accounts (id INTEGER, name VARCHAR);\n');
    box.write('002_account_email.sql', 'ALTER TABLE accounts ADD COLUMN email VARCHAR;\n');
    box.write('003_orders.sql', 'CREATE TABLE orders (id INTEGER);\n');
    box.write('003_orders.down.sql', 'DROP TABLE orders;\n');
    const { db, runner: r } = await runner(box);
    const points = new RestorePoints({ dir: join(box.dir, 'points') });
    const taken: Record<number, string> = {};
    for (const target of [1, 2, 3]) {
      const result = await r.run({ target, beforeApply: async ({ fromVersion }) => points.create(db.connection, db.path, { version: fromVersion }) });
      taken[result.restorePoint!.version!] = result.restorePoint!.id;
    }
    const list = async () => (await points.list(db.path)).map(({ id, path, sizeBytes, checksum, createdAt, version, reason }) => ({ id, path, sizeBytes, checksum, createdAt, version, reason }));

    for (const refused of [await r.previewUndo({ to: 1, restorePoints: list }), await r.undo({ to: 1, restorePoints: list })]) {
      expect(refused).toMatchObject({ status: 'invalid', errorCode: 'down-missing' });
      expect(refused.undo!.missingDown).toEqual([{ version: 2, name: 'account_email', file: '002_account_email.sql' }]);
      const offer = refused.undo!.restoreOffer!;
      // taken before 002 was applied: at version 1 (the one at version 0 is older, the one at 2 too new)
      expect(offer.restorePoint!.id).toBe(taken[1]);
      expect(offer.warning).toContain(offer.restorePoint!.createdAt!);
      expect(offer.warning).toMatch(/everything written since .* is lost/);
      expect(offer.warning).toMatch(/does not know how many rows/);
    }
    expect((await r.status()).currentVersion).toBe(3);
    expect(await scalar(db, "SELECT count(*) FROM schema_migrations WHERE status = 'undone'")).toBe(0n);

    const none = await r.undo({ to: 1, restorePoints: async () => [] });
    expect(none.undo!.restoreOffer).toMatchObject({ restorePoint: null });
    expect(none.undo!.restoreOffer!.warning).toMatch(/no restore point/);
  });

  it('a failing down script rolls back completely: what its earlier statements dropped is back, the version stays applied, older ones are not touched', async () => {
    box = threeMigrations();
    box.write('003_orders.sql', '-- +goose Up\nCREATE TABLE orders (id INTEGER, account_id INTEGER, total DECIMAL(10,2));\n\n-- +goose Down\nDROP TABLE orders;\nALTER TABLE accounts DROP COLUMN name;\nSELECT * FROM no_such_table;\n');
    const { db, runner: r } = await runner(box);
    await r.run();
    await seed(db);
    const before = [...(await readSchema(db.connection, LEDGER_TABLES)).entries()];

    const result = await r.undo({ to: 1 });
    expect(result).toMatchObject({ status: 'failed', errorCode: 'migration-failed', toVersion: 3 });
    expect(result.migrations.map((m) => [m.version, m.status])).toEqual([
      [3, 'failed'],
      [2, 'not-run'],
    ]);
    expect(result.migrations[0]!.error).toMatchObject({ statementIndex: 2 });
    // DuckDB's DDL is transactional: the DROP TABLE and DROP COLUMN before the failure are gone with the rollback
    expect([...(await readSchema(db.connection, LEDGER_TABLES)).entries()]).toEqual(before);
    expect(await scalar(db, 'SELECT count(*) FROM orders')).toBe(2n);
    expect(await scalar(db, 'SELECT count(name) FROM accounts')).toBe(3n);
    expect(await scalar(db, "SELECT count(*) FROM schema_migrations WHERE status = 'undone'")).toBe(0n);
    expect((await r.status()).currentVersion).toBe(3);
    expect((await r.listRuns())[0]).toMatchObject({ mode: 'undo', status: 'failed' });
  });

  it('a down file without its migration is a problem; a version at or above the current one has nothing to undo', async () => {
    box = threeMigrations();
    box.write('007_gone.down.sql', 'DROP TABLE gone;\n');
    const { runner: r } = await runner(box);
    const problems = await r.validate();
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'orphan-down', file: '007_gone.down.sql' })]));
    await r.run();
    expect(await r.undo({ to: 3 })).toMatchObject({ status: 'nothing-to-do', toVersion: 3 });
  });
});
