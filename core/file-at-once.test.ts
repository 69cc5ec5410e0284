// Specification: a run nobody follows statement by statement runs each file in one DuckDB
// call, and keeps every guarantee of the statement-by-statement run: one transaction per
// file with its ledger row, a failure rolled back and named by statement and line, later
// files not run. A listener for statement events gets every statement, timed, as before.
import { afterEach, describe, expect, it } from 'vitest';
import type { RunnerEvent } from '../contract/index.js';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const FIRST = `-- two tables and a row
CREATE TABLE a (id INTEGER PRIMARY KEY, name VARCHAR);
INSERT INTO a VALUES (1, 'one');
CREATE TABLE b (id INTEGER);
`;
// the third statement (line 6) fails; the first two ran in the same transaction
const FAILING = `-- a table, a row, then a reference to a table that does not exist
CREATE TABLE c (id INTEGER);
INSERT INTO c VALUES (1);

-- line 5 is this comment, the failing statement starts on line 6
INSERT INTO c SELECT id FROM missing_table;
CREATE TABLE d (id INTEGER);
`;
const LATER = 'CREATE TABLE e (id INTEGER);\n';

function write(box: Sandbox): void {
  box.write('001_first.sql', FIRST);
  box.write('002_failing.sql', FAILING);
  box.write('003_later.sql', LATER);
}

async function tables(db: Parameters<typeof scalar>[0]): Promise<string[]> {
  const rows = await rowsOf(db, "SELECT table_name FROM duckdb_tables() WHERE table_name IN ('a', 'b', 'c', 'd', 'e') ORDER BY table_name");
  return rows.map((r) => String(r.table_name));
}

describe('a run nobody follows statement by statement', () => {
  it('applies each file with its ledger row, and names a failing statement and its line as DuckDB counts them', async () => {
    box = sandbox({ copyMigrations: false });
    write(box);
    const { db, runner } = await openRunner(box);
    const events: RunnerEvent[] = [];
    runner.events.onEvent((e) => events.push(e), { statements: false });
    const result = await runner.run();

    expect(result.status).toBe('failed');
    expect(result.migrations.map((m) => m.status)).toEqual(['applied', 'failed', 'not-run']);
    const error = result.migrations[1]!.error!;
    expect(error).toMatchObject({ statementIndex: 2, line: 6, file: '002_failing.sql' });
    expect(error.message).toMatch(/missing_table/);
    expect(error.sql).toMatch(/^INSERT INTO c SELECT id FROM missing_table/);
    // nothing of the failed file stays, the later one did not run
    expect(await tables(db)).toEqual(['a', 'b']);
    expect(await scalar(db, 'SELECT count(*) FROM a')).toBe(1n);
    const ledger = await rowsOf(db, 'SELECT version, status, error FROM schema_migrations ORDER BY version');
    expect(ledger.map((r) => [r.version, r.status])).toEqual([
      [1, 'applied'],
      [2, 'failed'],
    ]);
    expect(String(ledger[1]!.error)).toMatch(/\[statement 3, line 6\]/);
    // a listener that asked for no statement events gets none, and each file is announced once
    expect(events.some((e) => e.type.startsWith('statement:'))).toBe(false);
    expect(events.filter((e) => e.type === 'migration:start').map((e) => 'version' in e && e.version)).toEqual([1, 2]);
    expect(events.filter((e) => e.type === 'migration:failed')).toHaveLength(1);
    await db.close();
  });

  it('runs to the same outcome as a run followed statement by statement, which also times every statement', async () => {
    const outcomes = [];
    for (const followed of [false, true]) {
      box = sandbox({ copyMigrations: false });
      box.write('001_first.sql', FIRST);
      box.write('002_second.sql', FAILING.replace('missing_table', 'c'));
      const { db, runner } = await openRunner(box);
      const statementEvents: RunnerEvent[] = [];
      if (followed) runner.events.on('statement:done', (e) => statementEvents.push(e));
      const result = await runner.run();
      expect(result.status).toBe('success');
      outcomes.push({
        statuses: result.migrations.map((m) => m.status),
        tables: await tables(db),
        rows: await scalar(db, 'SELECT count(*) FROM c'),
        ledger: (await rowsOf(db, "SELECT version FROM schema_migrations WHERE status = 'applied' ORDER BY version")).map((r) => r.version),
      });
      if (followed) {
        expect(statementEvents).toHaveLength(3 + 4);
        expect(result.migrations.map((m) => m.statementTimings?.map((t) => t.line))).toEqual([
          [2, 3, 4],
          [2, 3, 6, 7],
        ]);
      } else {
        expect(result.migrations.every((m) => m.statementTimings === undefined)).toBe(true);
      }
      await db.close();
      box.cleanup();
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toEqual({ statuses: ['applied', 'applied'], tables: ['a', 'b', 'c', 'd'], rows: 2n, ledger: [1, 2] });
  });

  it('runs a file with a statement whose first keyword does not rule out a change of the connection statement by statement', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_first.sql', FIRST);
    box.write('002_select.sql', 'CREATE TABLE s (id INTEGER);\nSELECT count(*) FROM s;\n');
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('success');
    // the file with a SELECT went statement by statement (timed); the other one at once
    expect(result.migrations.map((m) => m.statementTimings?.length)).toEqual([undefined, 2]);
    await db.close();
  });
});
