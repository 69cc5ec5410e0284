// Specification: DuckDB-aware warnings. A warning that claims DuckDB refuses a statement is
// checked here against DuckDB itself (the files applied without duckmig, one transaction per
// file): it must name the statement DuckDB really refuses and quote DuckDB's message, and
// where DuckDB accepts a statement there is no such warning. Advice warnings (rebuild
// recipes, IF NOT EXISTS, session settings, data-dependent keys) are proven the same way.
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ValidationProblem } from '../contract/index.js';
import { STRUCT_RENAME, STRUCT_TABLE } from '../test/support/failing-migrations.js';
import { groundTruth, type GroundTruth } from '../test/support/ground-truth.js';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { REFUSAL_CODES } from './lint.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

type Files = Record<string, string>;

/** Lint warnings for `pending` (after `applied` ran through duckmig, when given) and DuckDB's own outcome for all files. */
async function lintAgainstDuckDB(pending: Files, applied: Files = {}, options: { repoMigrations?: boolean } = {}): Promise<{ warnings: ValidationProblem[]; truth: GroundTruth }> {
  box = sandbox({ copyMigrations: options.repoMigrations ?? false });
  const { db, runner } = await openRunner(box);
  try {
    for (const [file, sql] of Object.entries(applied)) box.write(file, sql);
    if (Object.keys(applied).length > 0 || options.repoMigrations) expect((await runner.run()).status).toBe('success');
    for (const [file, sql] of Object.entries(pending)) box.write(file, sql);
    const warnings = (await runner.validate()).filter((p) => p.severity === 'warning');
    const { readdirSync, readFileSync } = await import('node:fs');
    const files = readdirSync(box.migrationsDir)
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((file) => ({ file, sql: readFileSync(join(box.migrationsDir, file), 'utf8') }));
    const truth = await groundTruth(join(box.dir, 'truth.duckdb'), files);
    return { warnings, truth };
  } finally {
    await db.close();
  }
}

const refusals = (warnings: ValidationProblem[]) => warnings.filter((w) => REFUSAL_CODES.has(w.code));

/** Every refusal warning names the statement DuckDB really refused and quotes its message. */
function expectRefusalsTrue(warnings: ValidationProblem[], truth: GroundTruth): void {
  for (const w of refusals(warnings)) {
    expect(truth.failure, `${w.message} — but DuckDB accepts every file`).toBeDefined();
    expect(w.file).toBe(truth.failure!.file);
    if (truth.failure!.line !== undefined) expect(w.line).toBe(truth.failure!.line);
    expect(w.message).toContain(truth.failure!.message);
  }
}

describe('warnings that DuckDB will refuse a statement come from DuckDB', () => {
  it('no warning for DROP COLUMN or ALTER TYPE of a non-key column when the only index is the PRIMARY KEY or UNIQUE (DuckDB accepts both)', async () => {
    const { warnings, truth } = await lintAgainstDuckDB(
      { '003_alter.sql': 'ALTER TABLE tags DROP COLUMN note;\nALTER TABLE tags ALTER COLUMN score TYPE BIGINT;\nALTER TABLE labels DROP COLUMN note;\n' },
      { '001_tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name VARCHAR, note VARCHAR, score INTEGER);\n', '002_labels.sql': 'CREATE TABLE labels (code VARCHAR UNIQUE, note VARCHAR);\n' },
    );
    expect(truth.failure).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('the same in files-only validation, and for a table rebuilt into place', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({
      '001_tags.sql': 'CREATE TABLE tags_new (id INTEGER PRIMARY KEY, name VARCHAR);\nALTER TABLE tags_new RENAME TO tags;\nALTER TABLE tags DROP COLUMN name;\n',
    });
    expect(truth.failure).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('DROP COLUMN on a table with a CREATE INDEX index: alter-on-indexed-table with DuckDB\'s message and the rebuild recipe', async () => {
    const { warnings, truth } = await lintAgainstDuckDB(
      { '002_drop.sql': '-- tidy up\nALTER TABLE notes DROP COLUMN body;\n' },
      { '001_notes.sql': 'CREATE TABLE notes (id INTEGER, body VARCHAR, author VARCHAR);\nCREATE INDEX idx_notes_author ON notes(author);\n' },
    );
    expect(truth.failure).toMatchObject({ file: '002_drop.sql', line: 2, stage: 'statement' });
    expect(refusals(warnings)).toMatchObject([{ code: 'alter-on-indexed-table', file: '002_drop.sql', line: 2 }]);
    expect(warnings[0]!.message).toContain('idx_notes_author');
    expect(warnings[0]!.hint).toMatch(/RENAME TO/);
    expectRefusalsTrue(warnings, truth);
  });

  it('ALTER TYPE of an indexed column quotes what DuckDB really says', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({
      '001_notes.sql': 'CREATE TABLE notes (id INTEGER, author VARCHAR);\nCREATE INDEX idx_notes_author ON notes(author);\n',
      '002_type.sql': 'ALTER TABLE notes ALTER COLUMN author TYPE VARCHAR(200);\n',
    });
    expect(truth.failure?.message).toBe('Catalog Error: Cannot change the type of this column: an index depends on it!');
    expect(refusals(warnings).map((w) => w.code)).toEqual(['alter-on-indexed-table']);
    expectRefusalsTrue(warnings, truth);
  });

  it('ALTER TYPE of a PRIMARY KEY column is refused, and said so', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({ '001_t.sql': 'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);\nALTER TABLE t ALTER id TYPE BIGINT;\n' });
    expect(truth.failure?.message).toMatch(/PRIMARY KEY/);
    expect(refusals(warnings).map((w) => [w.code, w.line])).toEqual([['alter-on-indexed-table', 2]]);
    expectRefusalsTrue(warnings, truth);
  });

  it('DROP COLUMN that a table CHECK constraint uses', async () => {
    const { warnings, truth } = await lintAgainstDuckDB(
      { '002_drop.sql': 'ALTER TABLE ranges DROP COLUMN hi;\n' },
      { '001_ranges.sql': 'CREATE TABLE ranges (lo INTEGER, hi INTEGER, CHECK (lo <= hi));\n' },
    );
    expect(truth.failure?.message).toMatch(/CHECK constraint that depends on it/);
    expect(refusals(warnings)).toMatchObject([{ code: 'statement-refused', line: 1 }]);
    expect(warnings[0]!.message).toContain('CHECK');
    expectRefusalsTrue(warnings, truth);
  });

  it('RENAME of a table that another table references', async () => {
    const { warnings, truth } = await lintAgainstDuckDB(
      { '002_rename.sql': 'ALTER TABLE owners RENAME TO people;\n' },
      { '001_owners.sql': 'CREATE TABLE owners (id INTEGER PRIMARY KEY);\nCREATE TABLE pets (owner_id INTEGER REFERENCES owners(id));\n' },
    );
    expect(truth.failure?.message).toMatch(/^Dependency Error/);
    expect(refusals(warnings)).toMatchObject([{ code: 'alter-on-referenced-table', file: '002_rename.sql', line: 1 }]);
    expect(warnings[0]!.message).toContain('pets');
    expectRefusalsTrue(warnings, truth);
  });

  it('DROP INDEX then ALTER TYPE in one file is refused (the dropped index still counts in its transaction); in two files it works', async () => {
    const base = { '001_t.sql': 'CREATE TABLE t (id INTEGER, a INTEGER);\nCREATE INDEX idx_t_a ON t(a);\n' };
    const together = await lintAgainstDuckDB({ ...base, '002_retype.sql': 'DROP INDEX idx_t_a;\nALTER TABLE t ALTER a TYPE BIGINT;\n' });
    expect(together.truth.failure).toMatchObject({ file: '002_retype.sql', line: 2 });
    expect(refusals(together.warnings)).toMatchObject([{ file: '002_retype.sql', line: 2 }]);
    expectRefusalsTrue(together.warnings, together.truth);

    const apart = await lintAgainstDuckDB({ ...base, '002_drop_index.sql': 'DROP INDEX idx_t_a;\n', '003_retype.sql': 'ALTER TABLE t ALTER a TYPE BIGINT;\n' });
    expect(apart.truth.failure).toBeUndefined();
    expect(apart.warnings).toEqual([]);
  });

  it('ADD CONSTRAINT … PRIMARY KEY is accepted; ADD CONSTRAINT … UNIQUE and DROP CONSTRAINT are refused', async () => {
    const pk = await lintAgainstDuckDB({ '001_t.sql': 'CREATE TABLE t (id INTEGER, a INTEGER);\nALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (id);\n' });
    expect(pk.truth.failure).toBeUndefined();
    expect(refusals(pk.warnings)).toEqual([]);

    const unique = await lintAgainstDuckDB({ '001_t.sql': 'CREATE TABLE t (id INTEGER, a INTEGER);\nALTER TABLE t ADD CONSTRAINT uq UNIQUE (a);\n' });
    expect(unique.truth.failure).toMatchObject({ stage: 'parse', message: 'Not implemented Error: No support for that ALTER TABLE option yet!' });
    expect(refusals(unique.warnings)).toMatchObject([{ code: 'constraint-change', line: 2 }]);
    expectRefusalsTrue(unique.warnings, unique.truth);

    const drop = await lintAgainstDuckDB({ '001_t.sql': 'CREATE TABLE t (id INTEGER, a INTEGER, CONSTRAINT positive CHECK (a > 0));\n', '002_drop.sql': 'ALTER TABLE t DROP CONSTRAINT positive;\n' });
    expect(refusals(drop.warnings)).toMatchObject([{ code: 'constraint-change', file: '002_drop.sql', line: 1 }]);
    expect(drop.warnings[0]!.hint).toMatch(/without the constraint/);
    expectRefusalsTrue(drop.warnings, drop.truth);
  });

  it('DROP TABLE of a table that others reference', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({ '005_drop.sql': 'DROP TABLE repositories;\n' }, {}, { repoMigrations: true });
    expect(refusals(warnings)).toMatchObject([{ code: 'drop-referenced-table', file: '005_drop.sql', line: 1 }]);
    expect(warnings[0]!.message).toContain('links');
    expectRefusalsTrue(warnings, truth);
  });

  it('ADD COLUMN with a constraint: DuckDB\'s parser refuses it, the warning says what to do instead', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({ '001_t.sql': 'CREATE TABLE t (id INTEGER);\nALTER TABLE t ADD COLUMN owner VARCHAR NOT NULL;\n' });
    expect(truth.failure).toMatchObject({ file: '001_t.sql', stage: 'parse', message: expect.stringContaining('Adding columns with constraints not yet supported') });
    expect(refusals(warnings)).toMatchObject([{ code: 'constraint-on-add-column', line: 2 }]);
    expectRefusalsTrue(warnings, truth);
  });

  it('a failure at COMMIT caused by the files\' own rows is predicted for a fresh database', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({
      '001_t.sql': "CREATE TABLE t (id INTEGER, a INTEGER);\nINSERT INTO t VALUES (1, 1), (1, 2);\nALTER TABLE t ADD PRIMARY KEY (id);\n",
    });
    expect(truth.failure).toMatchObject({ stage: 'commit', message: expect.stringContaining('duplicate key') });
    expect(refusals(warnings)).toMatchObject([{ code: 'statement-refused', file: '001_t.sql' }]);
    expectRefusalsTrue(warnings, truth);
  });

  it('the shipped migrations and the rebuild from the authoring guide are clean; an ALTER after the rebuild is flagged', async () => {
    const { warnings, truth } = await lintAgainstDuckDB(
      {
        '005_rebuild.sql': `CREATE TABLE system_logs_new (log_id VARCHAR NOT NULL, timestamp TIMESTAMP, level VARCHAR NOT NULL, source VARCHAR NOT NULL, message VARCHAR NOT NULL, context JSON);
INSERT INTO system_logs_new SELECT * FROM system_logs;
DROP TABLE system_logs;
ALTER TABLE system_logs_new RENAME TO system_logs;
CREATE UNIQUE INDEX idx_logs_id ON system_logs(log_id);
CREATE INDEX IF NOT EXISTS idx_logs_level ON system_logs(level);
ALTER TABLE system_logs DROP COLUMN context;
`,
      },
      {},
      { repoMigrations: true },
    );
    expect(warnings.map((w) => [w.code, w.line])).toEqual([['alter-on-indexed-table', 7]]);
    expectRefusalsTrue(warnings, truth);
  });
});

describe('advice that an experiment on the schema cannot give', () => {
  it('ADD PRIMARY KEY on a table that may hold rows: warned, and DuckDB refuses it on duplicates', async () => {
    const { warnings } = await lintAgainstDuckDB({ '002_key.sql': 'ALTER TABLE t ADD PRIMARY KEY (id);\n' }, { '001_t.sql': 'CREATE TABLE t (id INTEGER, a INTEGER);\n' });
    expect(warnings).toMatchObject([{ code: 'data-dependent', file: '002_key.sql', line: 1 }]);
    const quoted = /"([^"]+)"/.exec(warnings[0]!.message)![1]!;
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    await c.run('CREATE TABLE t (id INTEGER, a INTEGER); INSERT INTO t VALUES (1, 1), (1, 2);');
    await expect(c.run('ALTER TABLE t ADD PRIMARY KEY (id)')).rejects.toThrow(quoted);
    await expect(c.run('CREATE UNIQUE INDEX u ON t(id)')).rejects.toThrow(quoted);
    c.closeSync();
    instance.closeSync();
  });

  it('missing IF NOT EXISTS in a file that is otherwise idempotent, but not in a rebuild', async () => {
    const mixed = await lintAgainstDuckDB({ '001_mixed.sql': 'CREATE TABLE IF NOT EXISTS a (id INTEGER);\nCREATE TABLE b (id INTEGER);\nCREATE INDEX idx_b ON b(id);\n' });
    expect(mixed.warnings.map((w) => [w.code, w.line])).toEqual([
      ['missing-if-not-exists', 2],
      ['missing-if-not-exists', 3],
    ]);
    // the authoring guide: a rebuild deliberately has no IF NOT EXISTS on its new table
    const rebuild = await lintAgainstDuckDB(
      { '002_rebuild.sql': 'CREATE TABLE items_new (id INTEGER, name VARCHAR);\nINSERT INTO items_new SELECT id, name FROM items;\nDROP TABLE items;\nALTER TABLE items_new RENAME TO items;\nCREATE INDEX IF NOT EXISTS idx_items_name ON items(name);\n' },
      { '001_items.sql': 'CREATE TABLE items (id INTEGER, name VARCHAR, old VARCHAR);\n' },
    );
    expect(rebuild.truth.failure).toBeUndefined();
    expect(rebuild.warnings).toEqual([]);
  });

  it('session settings: warned, because DuckDB keeps them after a ROLLBACK', async () => {
    const { warnings } = await lintAgainstDuckDB({ '001_settings.sql': "SET threads = 1;\nCREATE TABLE z (id INTEGER);\nPRAGMA disable_progress_bar;\n" });
    expect(warnings.map((w) => [w.code, w.line])).toEqual([
      ['non-transactional', 1],
      ['non-transactional', 3],
    ]);
    const instance = await DuckDBInstance.create(join(box.dir, 'settings.duckdb'));
    const c = await instance.connect();
    await c.run("BEGIN; SET default_order = 'DESC'; ROLLBACK;");
    expect((await c.runAndReadAll("SELECT current_setting('default_order')")).getRows()[0]![0]).toBe('DESC');
    c.closeSync();
    instance.closeSync();
  });

  it('CHECKPOINT in a migration that has changes: refused by DuckDB, and the hint says duckmig checkpoints itself', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({ '001_cp.sql': 'CREATE TABLE z (id INTEGER);\nCHECKPOINT;\n' });
    expect(truth.failure?.message).toMatch(/Cannot CHECKPOINT/);
    expect(warnings).toMatchObject([{ code: 'statement-refused', line: 2, hint: expect.stringMatching(/duckmig checkpoints/) }]);
    expectRefusalsTrue(warnings, truth);
  });

  it('a file that generates a lot of data does not hold validation up: past its budget lint claims nothing', async () => {
    box = sandbox({ copyMigrations: false });
    const { db, runner } = await openRunner(box);
    box.write('001_big.sql', 'CREATE TABLE big AS SELECT count(*) AS n FROM range(20000000000) t1;\nALTER TABLE missing DROP COLUMN x;\n');
    const started = Date.now();
    const warnings = (await runner.validate()).filter((p) => p.severity === 'warning');
    // the CREATE alone runs for well over 10 s; the experiment's budget is 2 s
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(refusals(warnings)).toEqual([]);
    await db.close();
  });

  it('a statement that breaks DuckDB itself (an INTERNAL error at COMMIT) is not claimed, and validation goes on', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({ '002_rename_field.sql': STRUCT_RENAME }, { '001_struct_table.sql': STRUCT_TABLE });
    expect(refusals(warnings)).toEqual([]);
    expectRefusalsTrue(warnings, truth);
  });

  it('reads SQL through the one lexer: E-strings, dollar quotes and nested comments hide what they contain', async () => {
    const { warnings, truth } = await lintAgainstDuckDB({
      '001_text.sql': [
        'CREATE TABLE notes (id INTEGER, body VARCHAR);',
        "INSERT INTO notes VALUES (1, E'it\\'s; use IF NOT EXISTS');",
        "INSERT INTO notes VALUES (2, $body$ CREATE TABLE IF NOT EXISTS x; SET threads = 1 $body$);",
        '/* outer /* inner */ SET threads = 1; CREATE TABLE IF NOT EXISTS y (id INTEGER); */',
        'CREATE INDEX idx_notes_body ON notes(body);',
        '',
      ].join('\n'),
    });
    expect(truth.failure).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});
