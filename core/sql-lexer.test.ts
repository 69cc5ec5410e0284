// Specification: one reading of SQL. Statement splitting, lint and the UI highlighter are
// fed the same tricky texts (E-strings, dollar quotes and a $body$ macro, nested block
// comments, semicolons in quoted names and strings) and must give one answer: the same
// literal and comment boundaries, and DuckDB's own statement count — which DuckDB itself
// supplies here, running the SQL to prove what it claims.
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { tokenize } from '../ui/src/lib/sql-tokens.js';
import { identifierName, sqlTokens } from './sql-lexer.js';
import { splitStatements } from './statement-text.js';

interface Case {
  name: string;
  sql: string;
  /** statements DuckDB counts */
  statements: number;
  /** strings, quoted names and comments, as written, in order: each one token */
  literals: string[];
  /** the last statement's rows when DuckDB runs the text */
  lastRows: unknown[][];
}

// Each literal hides "; SET threads = 1": a reader that ends it early sees a SET statement.
const CASES: Case[] = [
  {
    name: "E'' strings with backslash escapes, '' escapes",
    sql: "SELECT E'it\\'s; SET threads = 1' AS a;\nSELECT 'it''s; SET threads = 1' AS b;\n",
    statements: 2,
    literals: ["E'it\\'s; SET threads = 1'", "'it''s; SET threads = 1'"],
    lastRows: [["it's; SET threads = 1"]],
  },
  {
    name: 'dollar quotes: a $body$ macro holding $$, and $$…$$',
    sql: "CREATE MACRO shout(a) AS $body$hi; SET threads = 1; $$ $body$ || a;\nSELECT shout('x') AS s;\nSELECT $$a; SET threads = 1$$ AS d, shout('y') AS e;\n",
    statements: 3,
    literals: ['$body$hi; SET threads = 1; $$ $body$', "'x'", '$$a; SET threads = 1$$', "'y'"],
    lastRows: [['a; SET threads = 1', 'hi; SET threads = 1; $$ y']],
  },
  {
    name: 'nested block comments',
    sql: '/* outer /* inner */ SET threads = 1; */\nSELECT 1 AS one;\nSELECT /* a /* b; */ SET threads = 1; */ 2 AS two;\n',
    statements: 2,
    literals: ['/* outer /* inner */ SET threads = 1; */', '/* a /* b; */ SET threads = 1; */'],
    lastRows: [[2]],
  },
  {
    name: 'semicolons and doubled quotes in quoted identifiers',
    sql: 'CREATE TABLE "semi;colon" ("say ""hi""; SET threads = 1" INTEGER);\nINSERT INTO "semi;colon" VALUES (7);\nSELECT "say ""hi""; SET threads = 1" FROM "semi;colon";\n',
    statements: 3,
    literals: ['"semi;colon"', '"say ""hi""; SET threads = 1"', '"semi;colon"', '"say ""hi""; SET threads = 1"', '"semi;colon"'],
    lastRows: [[7]],
  },
];

const LITERAL = new Set(['string', 'identifier', 'comment']);
const SHOWN_AS_LITERAL = new Set(['string', 'quoted', 'comment']);

/** The highlighter's tokens with their offsets, from their lengths (they join back to the input). */
function highlighted(sql: string): { kind: string; text: string; offset: number }[] {
  let offset = 0;
  return tokenize(sql).map((t) => {
    const at = { ...t, offset };
    offset += t.text.length;
    return at;
  });
}

describe.each(CASES)('$name', (c) => {
  it('DuckDB counts the statements and runs them', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    try {
      const connection = await instance.connect();
      const extracted = await connection.extractStatements(c.sql);
      expect(extracted.count).toBe(c.statements);
      let rows: unknown[][] = [];
      for (let i = 0; i < extracted.count; i++) rows = (await (await extracted.prepare(i)).runAndReadAll()).getRows();
      expect(rows).toEqual(c.lastRows);
    } finally {
      instance.closeSync();
    }
  });

  it('the lexer keeps each literal and comment whole, and its tokens join back to the text', () => {
    const tokens = [...sqlTokens(c.sql, { trivia: true })];
    expect(tokens.map((t) => t.text).join('')).toBe(c.sql);
    expect(tokens.filter((t) => LITERAL.has(t.kind)).map((t) => t.text)).toEqual(c.literals);
    for (const t of tokens) expect(c.sql.slice(t.offset, t.end)).toBe(t.text);
  });

  it('splitting finds DuckDB\'s statements', () => {
    expect(splitStatements(c.sql)).toHaveLength(c.statements);
  });

  it('the highlighter shows the same literals at the same places, and one statement end per statement', () => {
    const shown = highlighted(c.sql);
    const lexed = [...sqlTokens(c.sql, { trivia: true })].filter((t) => LITERAL.has(t.kind));
    expect(shown.filter((t) => SHOWN_AS_LITERAL.has(t.kind)).map((t) => [t.offset, t.text])).toEqual(lexed.map((t) => [t.offset, t.text]));
    expect(shown.filter((t) => t.kind === 'punctuation' && t.text === ';')).toHaveLength(c.statements);
  });
});

describe('lint reads the same statements', () => {
  let box: Sandbox;
  let warnings: { code: string; file?: string; line?: number; statementIndex?: number }[];
  beforeAll(async () => {
    box = sandbox({ copyMigrations: false });
    // each file: the case, then a real SET, which lint warns about at its statement and line
    CASES.forEach((c, i) => box.write(`00${i + 1}_case.sql`, `${c.sql}SET threads = 1;\n`));
    const { db, runner } = await openRunner(box);
    try {
      warnings = (await runner.validate()).filter((p) => p.severity === 'warning');
    } finally {
      await db.close();
    }
  });
  afterAll(() => box?.cleanup());

  it('warns about each real SET, and nothing a literal or comment hides', () => {
    const expected = CASES.map((c, i) => ({
      code: 'non-transactional',
      file: `00${i + 1}_case.sql`,
      line: c.sql.split('\n').length,
      statementIndex: c.statements,
    }));
    expect(warnings.map(({ code, file, line, statementIndex }) => ({ code, file, line, statementIndex }))).toEqual(expected);
  });
});

describe('identifierName', () => {
  it('unquotes a quoted identifier and undoes doubled quotes', () => {
    const [token] = [...sqlTokens('"say ""hi""; ok"')];
    expect(identifierName(token!)).toBe('say "hi"; ok');
  });
});
