// Specification: DuckDB-aware warnings name file, line and the fix for what DuckDB will
// refuse or what hurts, following earlier files (and the live schema) to know the tables.
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, sandbox, type Sandbox } from '../../test/support/db.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

async function warningsFor(file: string, sql: string, options: { applyFirst?: boolean } = {}) {
  box = sandbox();
  const { db, runner } = await openRunner(box);
  if (options.applyFirst) await runner.run();
  box.write(file, sql);
  const problems = (await runner.validate()).filter((p) => p.severity === 'warning');
  await db.close();
  return problems;
}

describe('DuckDB-aware validation', () => {
  it('warns on DROP COLUMN of a table indexed by an earlier migration, with the rebuild pattern', async () => {
    const [w, ...rest] = await warningsFor('005_drop_col.sql', '-- tidy up\nALTER TABLE repositories DROP COLUMN node_count;\n');
    expect(rest).toEqual([]);
    expect(w).toMatchObject({ code: 'alter-on-indexed-table', file: '005_drop_col.sql', line: 2, severity: 'warning' });
    expect(w!.hint).toMatch(/RENAME TO/);
  });

  it('checks pending files against the live schema when the database has history', async () => {
    const warnings = await warningsFor('005_type.sql', 'ALTER TABLE projects ALTER COLUMN name TYPE VARCHAR(200);\n', { applyFirst: true });
    expect(warnings.map((w) => w.code)).toEqual(['alter-on-indexed-table']);
  });

  it('no warning for DROP COLUMN on a table without indexes', async () => {
    expect(await warningsFor('005_plain.sql', 'CREATE TABLE notes (id INTEGER, body VARCHAR);\nALTER TABLE notes DROP COLUMN body;\n')).toEqual([]);
  });

  it('warns on renaming an indexed table or column, and follows a renamed table\'s key', async () => {
    const warnings = await warningsFor(
      '005_rename.sql',
      [
        'CREATE TABLE notes_new (id INTEGER, body VARCHAR);',
        'CREATE INDEX idx_notes_body ON notes_new(body);',
        'ALTER TABLE notes_new RENAME TO notes;',
        'CREATE TABLE tags_new (id INTEGER PRIMARY KEY, name VARCHAR);',
        'ALTER TABLE tags_new RENAME TO tags;',
        'ALTER TABLE tags DROP COLUMN name;',
        '',
      ].join('\n'),
    );
    expect(warnings.map((w) => [w.code, w.line])).toEqual([
      ['alter-on-indexed-table', 3],
      ['alter-on-indexed-table', 6],
    ]);
    expect(warnings[0]!.message).toContain('idx_notes_body');
  });

  it('warns on ADD/DROP CONSTRAINT and on constraints in ADD COLUMN', async () => {
    const warnings = await warningsFor(
      '005_constraints.sql',
      'ALTER TABLE runs ADD CONSTRAINT uq UNIQUE (sequence);\nALTER TABLE runs DROP CONSTRAINT uq;\nALTER TABLE runs ADD COLUMN owner VARCHAR DEFAULT \'x\';\n',
    );
    expect(warnings.map((w) => [w.code, w.line])).toEqual([
      ['constraint-change', 1],
      ['constraint-change', 2],
    ]);
  });

  it('warns on dropping a table that other tables reference', async () => {
    const [w] = await warningsFor('005_drop.sql', 'DROP TABLE repositories;\n');
    expect(w).toMatchObject({ code: 'drop-referenced-table' });
    expect(w!.message).toContain('links');
  });

  it('warns on a missing IF NOT EXISTS in a file that is otherwise idempotent', async () => {
    const warnings = await warningsFor('005_mixed.sql', 'CREATE TABLE IF NOT EXISTS a (id INTEGER);\nCREATE TABLE b (id INTEGER);\nCREATE INDEX idx_b ON b(id);\n');
    expect(warnings.map((w) => [w.code, w.line])).toEqual([
      ['missing-if-not-exists', 2],
      ['missing-if-not-exists', 3],
    ]);
  });

  it('warns on statements that are not part of the migration transaction', async () => {
    const warnings = await warningsFor('005_settings.sql', "SET threads = 1;\nATTACH 'other.duckdb' AS other;\nCREATE TABLE z (id INTEGER);\n");
    expect(warnings.map((w) => [w.code, w.line])).toEqual([
      ['non-transactional', 1],
      ['non-transactional', 2],
    ]);
  });

  it('the table rebuild pattern itself raises no warning, and the shipped migrations are clean', async () => {
    const warnings = await warningsFor(
      '005_rebuild.sql',
      `CREATE TABLE system_logs_new (log_id VARCHAR NOT NULL, timestamp TIMESTAMP, level VARCHAR NOT NULL, source VARCHAR NOT NULL, message VARCHAR NOT NULL, context JSON);
INSERT INTO system_logs_new SELECT * FROM system_logs;
DROP TABLE system_logs;
ALTER TABLE system_logs_new RENAME TO system_logs;
CREATE UNIQUE INDEX idx_logs_id ON system_logs(log_id);
ALTER TABLE system_logs DROP COLUMN context;
`,
    );
    // after the rebuild the new table has an index again, so the last statement is flagged
    expect(warnings.map((w) => [w.code, w.line])).toEqual([['alter-on-indexed-table', 6]]);
  });
});
