// Locates statement boundaries in a migration file for display: each statement's text,
// start offset and 1-based start line, read through the one SQL lexer (sql-lexer.ts), not
// a regex split. DuckDB's own parser remains the authority: the runner executes DuckDB's
// extracted statements and checks that its count matches this one.
import { sqlTokens, type SqlToken } from './sql-lexer.js';

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
    if (token.kind === 'punctuation' && token.text === ';') {
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
  for (const token of sqlTokens(text, { from, carriageReturnEndsComment: true })) {
    if (!(token.kind === 'punctuation' && token.text === ';')) return token.offset;
  }
  return text.length;
}
