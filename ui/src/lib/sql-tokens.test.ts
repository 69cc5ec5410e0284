import { describe, expect, it } from 'vitest';
import { tokenize, toLines } from './sql-tokens.js';

const join = (tokens: { text: string }[]) => tokens.map((t) => t.text).join('');

describe('tokenize', () => {
  it('keeps every character: the tokens join back to the input exactly', () => {
    const inputs = [
      "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, note VARCHAR DEFAULT 'it''s');\n-- done\n",
      'SELECT 1.5e3, .5, "Quoted ""id""" FROM x /* block\ncomment */ WHERE a <> b;',
      "unterminated 'string\nstill string",
      '/* unterminated comment',
      'CREATE MACRO m(a) AS $$ body $$; ∑ unicode ✓ \t\r\n',
      '',
    ];
    for (const input of inputs) expect(join(tokenize(input))).toBe(input);
  });

  it('treats <script> as plain text tokens, never markup', () => {
    const input = "SELECT '<script>alert(1)</script>' AS x; -- <img src=x onerror=alert(1)>\n<b>bold</b>";
    const tokens = tokenize(input);
    expect(join(tokens)).toBe(input);
    expect(tokens.find((t) => t.kind === 'string')?.text).toBe("'<script>alert(1)</script>'");
    expect(tokens.find((t) => t.kind === 'comment')?.text).toBe('-- <img src=x onerror=alert(1)>');
    // the stray markup after the comment is split into operators/identifiers, text intact
    expect(join(tokens.slice(tokens.findIndex((t) => t.kind === 'comment') + 1))).toBe('\n<b>bold</b>');
  });

  it('classifies keywords, types, strings, numbers, comments and quoted identifiers', () => {
    const kinds = (sql: string) => tokenize(sql).filter((t) => t.kind !== 'space').map((t) => [t.kind, t.text]);
    expect(kinds(`create table "Order" (n integer default 42) -- hi`)).toEqual([
      ['keyword', 'create'],
      ['keyword', 'table'],
      ['quoted', '"Order"'],
      ['punctuation', '('],
      ['identifier', 'n'],
      ['type', 'integer'],
      ['keyword', 'default'],
      ['number', '42'],
      ['punctuation', ')'],
      ['comment', '-- hi'],
    ]);
    expect(kinds(`'a''b' || x`)).toEqual([
      ['string', "'a''b'"],
      ['operator', '||'],
      ['identifier', 'x'],
    ]);
  });
});

describe('toLines', () => {
  it('splits multi-line tokens at line breaks and keeps their kind', () => {
    const lines = toLines(tokenize("SELECT 1; /* a\nb */\n'x\ny'"));
    expect(lines.map((line) => join(line))).toEqual(['SELECT 1; /* a', 'b */', "'x", "y'"]);
    expect(lines[1]![0]).toEqual({ kind: 'comment', text: 'b */' });
    expect(lines[3]![0]).toEqual({ kind: 'string', text: "y'" });
  });

  it('keeps empty lines', () => {
    expect(toLines(tokenize('a\n\nb')).map((line) => join(line))).toEqual(['a', '', 'b']);
  });
});
