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

/** Splits SQL text into statements at top-level semicolons. Comment-only pieces are dropped. */
const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0xfeff;

export function splitStatements(text: string): StatementText[] {
  const out: StatementText[] = [];
  let start = 0;
  let firstToken = -1;
  // statements come in order, so lines are counted once from the previous statement on
  let countedTo = 0;
  let line = 1;
  const lineOf = (offset: number) => {
    for (; countedTo < offset; countedTo++) if (text.charCodeAt(countedTo) === 10) line++;
    return line;
  };
  const flush = (end: number) => {
    if (firstToken >= 0) {
      const sql = text.slice(firstToken, end).trim();
      if (sql.length > 0) out.push({ sql, offset: firstToken, line: lineOf(firstToken) });
    }
    firstToken = -1;
    start = end + 1;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      i = skipBlockComment(text, i);
      continue;
    }
    if (isSpace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    if (ch === ';') {
      flush(i);
      i++;
      continue;
    }
    if (firstToken < 0) firstToken = i;
    if (ch === "'") {
      const prev = text[i - 1];
      const escaped = (prev === 'E' || prev === 'e') && !/[A-Za-z0-9_]/.test(text[i - 2] ?? ' ');
      i = skipQuoted(text, i + 1, "'", escaped);
    } else if (ch === '"') {
      i = skipQuoted(text, i + 1, '"', false);
    } else if (ch === '$') {
      const m = DOLLAR_TAG.exec(text.slice(i, i + 64));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        i = close === -1 ? text.length : close + m[0].length;
      } else i++;
    } else i++;
  }
  if (start < text.length) flush(text.length);
  return out;
}

/** The first line of a statement, shortened, for progress lines and logs. */
export function summarize(sql: string, max = 80): string {
  const first = sql.split('\n').map((l) => l.trim()).find((l) => l.length > 0 && !l.startsWith('--')) ?? '';
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

/** Where a statement starts at or after `from`: blanks, comments and empty statements (`;`) skipped. */
export function statementStartAt(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    if (isSpace(text.charCodeAt(i)) || text[i] === ';') i++;
    else if (text.startsWith('--', i)) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (text.startsWith('/*', i)) i = skipBlockComment(text, i);
    else break;
  }
  return i;
}
