// Specification of `duckmig undo` in local mode: --preview shows what would be dropped with
// row counts and the plan id, an undo without --yes is a usage error (exit 2), and --yes with
// the plan runs the down scripts (exit 0) leaving a file that opens directly at the version.
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../test/support/cli.js';
import { sandbox, type Sandbox } from '../test/support/db.js';
import { queryFile } from '../test/support/duckdb-file.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

describe('duckmig undo (local mode)', () => {
  it('previews, refuses without --yes, then undoes exactly the previewed plan', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_notes.sql', "CREATE TABLE notes (id INTEGER, body VARCHAR);\nINSERT INTO notes VALUES (1, 'a'), (2, 'b');\n");
    box.write('001_notes.down.sql', 'DROP TABLE notes;\n');
    const local = ['--db', box.dbPath, '--dir', box.migrationsDir];
    expect((await runCli(['run', ...local])).code).toBe(0);

    const preview = await runCli(['undo', '--to', '0', '--preview', ...local]);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('DROPS table notes: 2 row(s)');
    const plan = /duckmig undo --to 0 --plan ([0-9a-f]{64})/.exec(preview.stdout)?.[1];
    expect(plan).toBeDefined();

    const unconfirmed = await runCli(['undo', '--to', '0', ...local]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--yes/);

    const undone = await runCli(['undo', '--to', '0', '--yes', '--plan', plan!, '--skip-restore-point', ...local]);
    expect(undone.code).toBe(0);
    expect(undone.stdout).toContain('done: version 1 → 0');
    const [tables, ledger] = await queryFile(box.dbPath, "SELECT table_name FROM duckdb_tables() WHERE table_name = 'notes'", 'SELECT version, status FROM schema_migrations ORDER BY applied_at, rowid');
    expect(tables).toEqual([]);
    expect(ledger).toEqual([
      { version: 1, status: 'applied' },
      { version: 1, status: 'undone' },
    ]);
  });
});
