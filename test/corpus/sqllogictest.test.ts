// The corpus's converter: sqllogictest `.test` files (DuckDB's test format) found under
// DUCKMIG_CORPUS_DIR become migration sets at run time, and folders of migration files are
// taken as they are. The test files here are our own text in that format.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileMigrationSource } from '../../core/index.js';
import { externalSets } from './tools/external-sets.js';

const LEDGER_TEST = `# name: test/sql/alter/ledger.test
# description: a ledger table gets a key, the key refuses a duplicate

statement ok
CREATE TABLE ledger (entry_id INTEGER, amount DECIMAL(10, 2));

statement ok
INSERT INTO ledger VALUES (1, 9.99), (2, 5.00);

query I
SELECT count(*) FROM ledger
----
2

statement ok
BEGIN TRANSACTION

statement ok
ALTER TABLE ledger ADD COLUMN memo VARCHAR

statement ok
ROLLBACK

statement ok
ALTER TABLE ledger ADD PRIMARY KEY (entry_id);

statement ok
PRAGMA enable_verification

statement error
INSERT INTO ledger VALUES (1, 1.00);
----
Duplicate key

statement ok
ALTER TABLE ledger ADD COLUMN booked_on DATE;

statement ok
ALTER TABLE ledger ADD COLUMN never_reached INTEGER;
`;

const LOOPING_TEST = `# name: test/sql/alter/loop.test

loop i 0 3

statement ok
CREATE TABLE t\${i} (x INTEGER);

endloop
`;

let scratch: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  scratch = [];
});

const body = (dir: string, file: string) =>
  readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('-- from '))
    .join('\n');

describe('external corpus material', () => {
  it('turns a sqllogictest file into a migration set: statements grouped until a query, rolled-back and non-schema statements dropped, an expected error in a file of its own and one file after it', async () => {
    const root = temp('duckmig-slt-root-');
    mkdirSync(join(root, 'alter'));
    writeFileSync(join(root, 'alter', 'ledger_key.test'), LEDGER_TEST);
    writeFileSync(join(root, 'alter', 'loops.test'), LOOPING_TEST);

    const sets = externalSets(root, temp('duckmig-slt-out-'));

    expect(sets.map((s) => s.name)).toEqual(['alter-ledger-key']);
    const dir = sets[0]!.dir;
    expect(readdirSync(dir).sort()).toEqual(['001_step_1.sql', '002_step_2.sql', '003_step_3.sql', '004_step_4.sql']);
    expect(body(dir, '001_step_1.sql')).toBe('CREATE TABLE ledger (entry_id INTEGER, amount DECIMAL(10, 2));\n\nINSERT INTO ledger VALUES (1, 9.99), (2, 5.00);\n');
    expect(body(dir, '002_step_2.sql')).toBe('ALTER TABLE ledger ADD PRIMARY KEY (entry_id);\n');
    expect(body(dir, '003_step_3.sql')).toBe('INSERT INTO ledger VALUES (1, 1.00);\n');
    expect(body(dir, '004_step_4.sql')).toBe('ALTER TABLE ledger ADD COLUMN booked_on DATE;\n\nALTER TABLE ledger ADD COLUMN never_reached INTEGER;\n');

    // what the corpus then runs is an ordinary migration folder
    const scan = await new FileMigrationSource(dir).scan();
    expect(scan.problems).toEqual([]);
    expect(scan.migrations.map((m) => m.file)).toEqual(['001_step_1.sql', '002_step_2.sql', '003_step_3.sql', '004_step_4.sql']);
  });

  it('takes a folder of migration files as a set as it stands', () => {
    const root = temp('duckmig-slt-root-');
    mkdirSync(join(root, 'shop'));
    writeFileSync(join(root, 'shop', '001_items.sql'), 'CREATE TABLE items (id INTEGER);\n');
    writeFileSync(join(root, 'shop', 'README.md'), 'a shop\n');

    expect(externalSets(root, temp('duckmig-slt-out-'))).toEqual([{ name: 'shop', dir: join(root, 'shop') }]);
  });
});
