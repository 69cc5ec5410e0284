// A small SQL tokenizer for display: splits text into tokens whose concatenation is
// exactly the input, so highlighting never changes, drops or interprets a character.
// The result is rendered as text nodes inside <span>s (Svelte escapes them); it is
// never turned into HTML. Not a parser: DuckDB's own parser decides what SQL is.

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

const WORD = /[A-Za-z_][A-Za-z0-9_$]*/y;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const SPACE = /\s+/y;
const OPERATOR = /[-+*/<>=!|%^~&:@#]+/y;
const PUNCTUATION = /[(),;.[\]{}]/y;

function matchAt(re: RegExp, input: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(input);
  return m ? m[0] : null;
}

/** end index (exclusive) of a quoted run starting at `at` with `quote`, doubled quotes escape */
function quotedEnd(input: string, at: number, quote: string): number {
  let i = at + 1;
  while (i < input.length) {
    if (input[i] === quote) {
      if (input[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return input.length; // unterminated: the rest belongs to it
}

/** whitespace, a word, a number, punctuation, an operator or one other character */
function plainToken(input: string, at: number): [TokenKind, string] {
  const space = matchAt(SPACE, input, at);
  if (space) return ['space', space];
  const word = matchAt(WORD, input, at);
  if (word) {
    const lower = word.toLowerCase();
    return [KEYWORDS.has(lower) ? 'keyword' : TYPES.has(lower) ? 'type' : 'identifier', word];
  }
  const number = matchAt(NUMBER, input, at);
  if (number) return ['number', number];
  const punctuation = matchAt(PUNCTUATION, input, at);
  if (punctuation) return ['punctuation', punctuation];
  const operator = matchAt(OPERATOR, input, at);
  if (operator) return ['operator', operator];
  return ['text', input[at]!];
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, text: string) => {
    const last = tokens[tokens.length - 1];
    if (last && last.kind === kind && (kind === 'text' || kind === 'space')) last.text += text;
    else tokens.push({ kind, text });
  };
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    const next = input[i + 1];
    let end: number;
    if (ch === '-' && next === '-') {
      const nl = input.indexOf('\n', i);
      end = nl === -1 ? input.length : nl;
      push('comment', input.slice(i, end));
    } else if (ch === '/' && next === '*') {
      const close = input.indexOf('*/', i + 2);
      end = close === -1 ? input.length : close + 2;
      push('comment', input.slice(i, end));
    } else if (ch === "'") {
      end = quotedEnd(input, i, "'");
      push('string', input.slice(i, end));
    } else if (ch === '"') {
      end = quotedEnd(input, i, '"');
      push('quoted', input.slice(i, end));
    } else if (ch === '$' && next === '$') {
      const close = input.indexOf('$$', i + 2);
      end = close === -1 ? input.length : close + 2;
      push('string', input.slice(i, end));
    } else {
      const [kind, text] = plainToken(input, i);
      push(kind, text);
      end = i + text.length;
    }
    i = end;
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
