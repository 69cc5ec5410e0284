// Specification: every failure points at the failing statement and its line — a parser
// error whose DuckDB message carries no "LINE n" included, and a file where DuckDB counts
// more statements than duckmig's display split (DuckDB's own boundaries win).
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { statementBoundaries } from './statement-boundaries.js';
import { splitStatements } from './statement-text.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

/**
 * A line comment ended by a lone carriage return: DuckDB ends the comment there, duckmig's
 * display split only at a line feed, so it swallows the first statement into the comment.
 */
const CR_COMMENT = `-- prices in two currencies\rCREATE TABLE price_usd (id INTEGER);

CREATE TABLE price_eur (id INTEGER);
INSERT INTO price_eur VALUES (1);
INSERT INTO price_eur VALUES ('one');
CREATE TABLE never_made (id INTEGER);
`;

async function duckdbCount(sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    return (await (await instance.connect()).extractStatements(sql)).count;
  } finally {
    instance.closeSync();
  }
}

describe('DuckDB statement boundaries', () => {
  it('DuckDB counts five statements where the display split sees four', async () => {
    expect(await duckdbCount(CR_COMMENT)).toBe(5);
    expect(splitStatements(CR_COMMENT)).toHaveLength(4);
  });

  it('finds DuckDB\'s own statements with their lines, semicolons in strings, comments and dollar quotes included', async () => {
    const sql = `/* header; with a semicolon */
SELECT 'a;b' AS x; -- trailing; comment
SELECT 1 -- a comment; that is not the end
  + 2 AS y;
;;
CREATE MACRO m(a) AS $$x;y$$ || a;
SELECT "c;d" FROM (SELECT 1 AS "c;d")`;
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const found = await statementBoundaries(connection, sql);
    instance.closeSync();
    expect(found).toEqual({
      statements: [
        { sql: "SELECT 'a;b' AS x", offset: sql.indexOf("SELECT 'a"), line: 2 },
        { sql: 'SELECT 1 -- a comment; that is not the end\n  + 2 AS y', offset: sql.indexOf('SELECT 1'), line: 3 },
        { sql: 'CREATE MACRO m(a) AS $$x;y$$ || a', offset: sql.indexOf('CREATE MACRO'), line: 6 },
        { sql: 'SELECT "c;d" FROM (SELECT 1 AS "c;d")', offset: sql.indexOf('SELECT "c'), line: 7 },
      ],
    });
  });
});

describe('line numbers', () => {
  it('a parser error without "LINE n" in a later file (syntax error at end of input) is reported with file, line and statement', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);\n');
    box.write('002_b.sql', 'CREATE TABLE b (id INTEGER);\n\n-- unfinished\nCREATE TABLE c (\n  id INTEGER,\n  name VARCHAR\n');
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('invalid');
    const problem = result.problems.find((p) => p.code === 'syntax-error')!;
    expect(problem).toMatchObject({ file: '002_b.sql', line: 4, statementIndex: 1 });
    expect(problem.message).toMatch(/^002_b\.sql:4: .*syntax error at end of input/);
    await db.close();
  });

  it('a parser error DuckDB raises while transforming a statement (no "LINE n") is reported at that statement', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);\n');
    box.write('002_b.sql', 'CREATE TABLE b (id INTEGER);\nCREATE TABLE c (id INTEGER);\n\nCREATE TABLE t (s STRUCT(i INTEGER), g INTEGER AS (t.s.i + 1));\n');
    const { db, runner } = await openRunner(box);
    const problems = await runner.validate();
    expect(problems.find((p) => p.code === 'syntax-error')).toMatchObject({ file: '002_b.sql', line: 4, statementIndex: 2 });
    await db.close();
  });

  it('where DuckDB counts more statements than the display split, the plan shows DuckDB\'s statements and a failure names the right one and its line', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_prices.sql', CR_COMMENT);
    const { db, runner } = await openRunner(box);
    const plan = (await runner.dryRun()).plan![0]!;
    expect(plan.statements.map((s) => s.line)).toEqual([1, 3, 4, 5, 6]);
    expect((await runner.validate()).filter((p) => p.code === 'statement-count-mismatch')).toEqual([]);
    const result = await runner.run();
    expect(result.status).toBe('failed');
    expect(result.migrations[0]!.error).toMatchObject({ statementIndex: 3, line: 5, sql: "INSERT INTO price_eur VALUES ('one')" });
    expect(result.migrations[0]!.statements).toBe(5);
    await db.close();
  });
});
