// Locates statement boundaries in a migration file for display: each statement's text,
// start offset and 1-based start line. A character-level scanner (quotes, dollar quotes,
// E'' strings, line and nested block comments) — not a regex split. DuckDB's own parser
// remains the authority: the runner executes DuckDB's extracted statements and checks
// that its count matches this one.

export interface StatementText {
  /** the statement without its trailing semicolon, surrounding comments trimmed off the front */
  sql: string;
  /** offset of the statement's first token in the file */
  offset: number;
  /** 1-based line of the statement's first token */
  line: number;
}

/** 1-based line number of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function skipQuoted(text: string, i: number, quote: string, backslashEscapes: boolean): number {
  // i points just after the opening quote; returns the index after the closing quote
  while (i < text.length) {
    const ch = text[i];
    if (backslashEscapes && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return i;
}

function skipBlockComment(text: string, i: number): number {
  // i points at "/*"; block comments nest, as in PostgreSQL's (and DuckDB's) grammar
  let depth = 0;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (text.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return i;
}

const DOLLAR_TAG = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0xfeff;
const isWordStart = (ch: string) => /[A-Za-z_\u0080-\uffff]/.test(ch);
const isWordPart = (ch: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(ch);

/** One lexical token of SQL text; comments and white space are not tokens. */
export interface SqlToken {
  /** word: keyword or bare identifier; identifier: "quoted"; string: '…', E'…' or $tag$…$tag$; symbol: anything else, one character */
  kind: 'word' | 'identifier' | 'string' | 'number' | 'symbol';
  /** the token's text as written (a quoted identifier without its quotes) */
  text: string;
  /** offset of the token's first character */
  offset: number;
  /** offset just after the token */
  end: number;
}

/**
 * The one SQL lexer: quotes ('', "", E'' with backslash escapes, dollar quotes), line and
 * nested block comments. Statement splitting, lint and display all read SQL through it.
 */
export function* sqlTokens(text: string): Generator<SqlToken> {
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (ch === '/' && text[i + 1] === '*') {
      i = skipBlockComment(text, i);
    } else if (isSpace(text.charCodeAt(i))) {
      i++;
    } else if (ch === "'") {
      const end = skipQuoted(text, i + 1, "'", false);
      yield { kind: 'string', text: text.slice(i, end), offset: i, end };
      i = end;
    } else if ((ch === 'E' || ch === 'e') && text[i + 1] === "'") {
      const end = skipQuoted(text, i + 2, "'", true);
      yield { kind: 'string', text: text.slice(i, end), offset: i, end };
      i = end;
    } else if (ch === '"') {
      const end = skipQuoted(text, i + 1, '"', false);
      yield { kind: 'identifier', text: text.slice(i + 1, Math.max(i + 1, end - 1)).replace(/""/g, '"'), offset: i, end };
      i = end;
    } else if (ch === '$' && DOLLAR_TAG.test(text.slice(i, i + 64))) {
      const tag = DOLLAR_TAG.exec(text.slice(i, i + 64))![0];
      const close = text.indexOf(tag, i + tag.length);
      const end = close === -1 ? text.length : close + tag.length;
      yield { kind: 'string', text: text.slice(i, end), offset: i, end };
      i = end;
    } else if (isWordStart(ch)) {
      let j = i + 1;
      while (j < text.length && isWordPart(text[j]!)) j++;
      yield { kind: 'word', text: text.slice(i, j), offset: i, end: j };
      i = j;
    } else if (/[0-9]/.test(ch)) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE_]/.test(text[j]!)) j++;
      yield { kind: 'number', text: text.slice(i, j), offset: i, end: j };
      i = j;
    } else {
      yield { kind: 'symbol', text: ch, offset: i, end: i + 1 };
      i++;
    }
  }
}

/** Splits SQL text into statements at top-level semicolons. Comment-only pieces are dropped. */
export function splitStatements(text: string): StatementText[] {
  const out: StatementText[] = [];
  // statements come in order, so lines are counted once from the previous statement on
  let countedTo = 0;
  let line = 1;
  const lineOf = (offset: number) => {
    for (; countedTo < offset; countedTo++) if (text.charCodeAt(countedTo) === 10) line++;
    return line;
  };
  let first: SqlToken | undefined;
  let last: SqlToken | undefined;
  const flush = () => {
    if (first && last) out.push({ sql: text.slice(first.offset, last.end).trim(), offset: first.offset, line: lineOf(first.offset) });
    first = last = undefined;
  };
  for (const token of sqlTokens(text)) {
    if (token.kind === 'symbol' && token.text === ';') {
      flush();
      continue;
    }
    first ??= token;
    last = token;
  }
  flush();
  return out;
}

/** The first line of a statement, shortened, for progress lines and logs. */
export function summarize(sql: string, max = 80): string {
  const first = sql.split('\n').map((l) => l.trim()).find((l) => l.length > 0 && !l.startsWith('--')) ?? '';
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

/**
 * Where a statement starts at or after `from`: blanks, comments and empty statements (`;`)
 * skipped. A line comment ends at a line feed or a carriage return, as in DuckDB's parser
 * (the display split ends it at a line feed only: one of the cases where they disagree).
 */
export function statementStartAt(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    if (isSpace(text.charCodeAt(i)) || text[i] === ';') i++;
    else if (text.startsWith('--', i)) {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (text.startsWith('/*', i)) i = skipBlockComment(text, i);
    else break;
  }
  return i;
}
