// Specification: which pending migrations count as destructive for the approval policy
// 'destructive'. Every statement here is real: the whole folder is applied by duckmig on
// a DuckDB file afterwards and must succeed, so each classification is about SQL DuckDB runs.
import { afterEach, expect, it } from 'vitest';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const BASE = `CREATE TABLE accounts (id INTEGER, name VARCHAR, kind VARCHAR, score INTEGER, note VARCHAR);
INSERT INTO accounts VALUES (1, 'a', 'x', 1, 'n'), (2, 'b', 'y', 2, 'm');
CREATE TABLE events (id INTEGER, account INTEGER, type VARCHAR);
INSERT INTO events VALUES (1, 1, 'login');
CREATE TABLE scratch (id INTEGER);
CREATE TABLE logs (id INTEGER, line VARCHAR);
CREATE VIEW account_names AS SELECT name FROM accounts;
CREATE INDEX events_account ON events (account);
CREATE SEQUENCE ids;`;

/** file → [its SQL, the kinds of its destructive statements in order] */
const CASES: Record<string, [string, string[]]> = {
  '002_add_things.sql': [
    `CREATE TABLE IF NOT EXISTS tags (id INTEGER, label VARCHAR);
ALTER TABLE accounts ADD COLUMN email VARCHAR;
CREATE INDEX tags_label ON tags (label);
INSERT INTO tags VALUES (1, 'x');
UPDATE accounts SET score = score + 1;
DELETE FROM accounts WHERE id = 99;
DELETE FROM events WHERE id IN (SELECT id FROM events WHERE false);
ALTER TABLE events ALTER COLUMN type SET DEFAULT 'none';
CREATE OR REPLACE VIEW account_names AS SELECT name, id FROM accounts;`,
    [],
  ],
  '003_drop_view.sql': ['DROP VIEW account_names;', ['drop']],
  '004_drop_column.sql': ['ALTER TABLE accounts DROP COLUMN note;', ['drop']],
  '005_drop_index.sql': ['DROP INDEX events_account;', ['drop']],
  '006_drop_sequence.sql': ['DROP SEQUENCE ids;', ['drop']],
  '007_alter_type.sql': ['ALTER TABLE accounts ALTER COLUMN score TYPE BIGINT;', ['alter-type']],
  '008_set_data_type.sql': ['ALTER TABLE accounts ALTER kind SET DATA TYPE VARCHAR;', ['alter-type']],
  '009_truncate.sql': ['TRUNCATE scratch;', ['truncate']],
  '010_delete_all.sql': ['DELETE FROM logs;', ['delete-all']],
  '011_rebuild.sql': [
    `CREATE TABLE events_new (id INTEGER NOT NULL, account INTEGER, type VARCHAR);
INSERT INTO events_new SELECT * FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;`,
    ['drop', 'rebuild'],
  ],
  '012_replace_table.sql': ['CREATE OR REPLACE TABLE scratch AS SELECT 1 AS id;', ['drop']],
  '013_drop_table.sql': ['DROP TABLE IF EXISTS tags;', ['drop']],
};

it('classifies each pending file by its statements, and every statement runs in DuckDB', async () => {
  box = sandbox({ copyMigrations: false });
  box.write('001_base.sql', BASE);
  const { db, runner } = await openRunner(box);
  try {
    expect((await runner.run({ target: 1 })).status).toBe('success');
    for (const [file, [sql]] of Object.entries(CASES)) box.write(file, sql);

    const pending = await runner.getPendingMigrations();
    const found = Object.fromEntries(pending.map((m) => [m.file, (m.destructive ?? []).map((d) => d.kind)]));
    expect(found).toEqual(Object.fromEntries(Object.entries(CASES).map(([file, [, kinds]]) => [file, kinds])));
    // the rebuild's statements are located by line: its DROP on line 3, its RENAME on line 4
    const rebuild = pending.find((m) => m.file === '011_rebuild.sql')!.destructive!;
    expect(rebuild.map((d) => [d.line, d.summary])).toEqual([
      [3, 'DROP TABLE events'],
      [4, 'ALTER TABLE events_new RENAME TO events'],
    ]);
    // an additive file carries no `destructive` at all
    expect(pending.find((m) => m.file === '002_add_things.sql')).not.toHaveProperty('destructive');

    const applied = await runner.run();
    expect(applied.migrations.filter((m) => m.status !== 'applied').map((m) => `${m.file}: ${m.error?.message}`)).toEqual([]);
  } finally {
    await db.close();
  }
});
