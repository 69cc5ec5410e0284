// Specification: statement boundaries for display respect quotes, dollar quotes, comments
// and report the line each statement starts on.
import { describe, expect, it } from 'vitest';
import { sqlTokens } from './sql-lexer.js';
import { splitStatements, summarize } from './statement-text.js';

describe('splitStatements', () => {
  it('splits at top-level semicolons and reports start lines', () => {
    const sql = "-- header\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);\n";
    expect(splitStatements(sql)).toEqual([
      { sql: 'CREATE TABLE a (x INT)', offset: 10, line: 2 },
      { sql: 'INSERT INTO a VALUES (1)', offset: 35, line: 4 },
    ]);
  });

  it('ignores semicolons inside strings, identifiers, dollar quotes and comments', () => {
    const sql = `SELECT 'a;b', "c;d", $$e;f$$, $tag$g;h$tag$ /* i; /* nested; */ j; */ -- k;
FROM t;
SELECT E'it\\'s;';`;
    const parts = splitStatements(sql);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.sql).toContain('FROM t');
    expect(parts[1]).toMatchObject({ line: 3 });
  });

  it('keeps a last statement without a semicolon and drops comment-only tails', () => {
    expect(splitStatements('SELECT 1;\n-- only a comment\n').map((s) => s.sql)).toEqual(['SELECT 1']);
    expect(splitStatements('SELECT 1;\nSELECT 2').map((s) => s.sql)).toEqual(['SELECT 1', 'SELECT 2']);
    expect(splitStatements('-- nothing\n/* at all */\n')).toEqual([]);
  });
});

describe('summarize', () => {
  it('returns the first code line, shortened', () => {
    expect(summarize('-- c\n  CREATE TABLE x (\n a INT)')).toBe('CREATE TABLE x (');
    expect(summarize(`SELECT ${'x'.repeat(100)}`, 20)).toHaveLength(20);
  });
});

describe('sqlTokens', () => {
  it('keeps E-strings, dollar quotes, quoted names and nested comments whole', () => {
    const sql = "SELECT E'it\\'s; fine', $t$ a; b $t$, \"odd;name\" /* x /* y */ ; z */ FROM t; -- c;\nSELECT 1";
    const tokens = [...sqlTokens(sql)].map((t) => [t.kind, t.text]);
    expect(tokens).toEqual([
      ['word', 'SELECT'],
      ['string', "E'it\\'s; fine'"],
      ['punctuation', ','],
      ['string', '$t$ a; b $t$'],
      ['punctuation', ','],
      ['identifier', '"odd;name"'],
      ['word', 'FROM'],
      ['word', 't'],
      ['punctuation', ';'],
      ['word', 'SELECT'],
      ['number', '1'],
    ]);
    expect(splitStatements(sql).map((s) => s.line)).toEqual([1, 2]);
  });
});
