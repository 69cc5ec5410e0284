// SQL tokens for display: the one SQL lexer's tokens (core/sql-lexer.ts, shared with
// statement splitting and lint), comments and white space included, classified for
// highlighting. Their concatenation is exactly the input, so highlighting never changes,
// drops or interprets a character. The result is rendered as text nodes inside <span>s
// (Svelte escapes them); it is never turned into HTML.
import { sqlTokens, type SqlToken, type SqlTokenKind } from '../../../core/sql-lexer.js';

export type TokenKind = 'keyword' | 'type' | 'identifier' | 'quoted' | 'string' | 'number' | 'comment' | 'operator' | 'punctuation' | 'space' | 'text';

export interface Token {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set(
  `add all alter and any as asc attach begin between by cascade case cast check checkpoint column commit constraint
  copy create cross current_date current_time current_timestamp database default delete desc detach distinct do drop
  else end except exists explain false first foreign from full function group having if ilike in index inner insert
  install intersect into is join key last left like limit load macro natural not null nulls offset on or order outer
  over partition pragma primary references rename replace restrict returning right rollback schema select sequence set
  table temp temporary then to transaction true type union unique update using vacuum values view when where window with`
    .split(/\s+/)
    .filter(Boolean),
);

const TYPES = new Set(
  `bigint bit blob bool boolean bytea char date datetime decimal double enum float float4 float8 hugeint int int1 int2 int4
  int8 integer interval json list long map numeric real short smallint string struct text time timestamp timestamptz
  tinyint ubigint uhugeint uinteger union usmallint utinyint uuid varchar varint`
    .split(/\s+/)
    .filter(Boolean),
);

/** the display kind of each lexer kind; words are told apart by the lists above */
const DISPLAY: Record<Exclude<SqlTokenKind, 'word'>, TokenKind> = {
  identifier: 'quoted',
  string: 'string',
  number: 'number',
  operator: 'operator',
  punctuation: 'punctuation',
  comment: 'comment',
  space: 'space',
  other: 'text',
};

function displayKind(token: SqlToken): TokenKind {
  if (token.kind !== 'word') return DISPLAY[token.kind];
  const lower = token.text.toLowerCase();
  return KEYWORDS.has(lower) ? 'keyword' : TYPES.has(lower) ? 'type' : 'identifier';
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  for (const token of sqlTokens(input, { trivia: true })) {
    const kind = displayKind(token);
    const last = tokens[tokens.length - 1];
    if (last && last.kind === kind && (kind === 'text' || kind === 'space')) last.text += token.text;
    else tokens.push({ kind, text: token.text });
  }
  return tokens;
}

/** the tokens split at line breaks (a multi-line comment or string spans several lines) */
export function toLines(tokens: readonly Token[]): Token[][] {
  const lines: Token[][] = [[]];
  for (const token of tokens) {
    const parts = token.text.split('\n');
    parts.forEach((part, index) => {
      if (index > 0) lines.push([]);
      if (part) lines[lines.length - 1]!.push({ kind: token.kind, text: part });
    });
  }
  return lines;
}
