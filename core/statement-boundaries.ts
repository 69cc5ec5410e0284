// DuckDB's own statement boundaries in a migration file, for when the display split
// (statement-text.ts) and DuckDB's parser disagree, and the statement a parser error is in
// when DuckDB's message carries no "LINE n". DuckDB's client API parses a text into
// statements without saying where each one starts, so the boundaries are found by asking
// the parser about pieces: a statement ends at a semicolon (or at the end of the text), and
// a piece from one boundary to the next parses as exactly one statement. Semicolons inside
// strings, quoted names, dollar quotes and comments are tried too and rejected by the
// parser (an unterminated literal) or by the count (a piece cut inside a line comment leaves
// a remainder that does not add up), with backtracking, within a parse budget.
import type { DuckDBConnection } from '@duckdb/node-api';
import { statementStartAt, lineAt, type StatementText } from './statement-text.js';

export type Boundaries =
  /** DuckDB's statements, in order */
  | { statements: StatementText[] }
  /** the text does not parse: where the statement DuckDB cannot parse starts */
  | { failedAt: { offset: number; line: number; statementIndex: number; message?: string } }
  /** the search ran out of budget without an answer */
  | { unknown: true };

/** Characters parsed at most, as a multiple of the text's length (plus a constant). */
const BUDGET_FACTOR = 24;
/** Semicolons tried at most from one start (statements rarely hold more in literals). */
const CUTS_PER_START = 256;

type Parse = { count: number } | { error: string };

async function parse(connection: DuckDBConnection, sql: string): Promise<Parse> {
  try {
    return { count: (await connection.extractStatements(sql)).count };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function statementOf(text: string, start: number, end: number): StatementText {
  const offset = statementStartAt(text, start);
  const sql = text.slice(offset, text[end - 1] === ';' ? end - 1 : end).trim();
  return { sql, offset, line: lineAt(text, offset) };
}

interface Choice {
  /** where the piece starts */
  start: number;
  /** index into the cuts: where it ends */
  cut: number;
  /** false for a piece of only comments and blanks */
  statement: boolean;
}

/**
 * Finds DuckDB's statements in `text`, or where DuckDB's parser fails. `expected` is
 * DuckDB's count for the whole text when it parses (computed when not given).
 */
export async function statementBoundaries(connection: DuckDBConnection, text: string, expected?: number): Promise<Boundaries> {
  const whole = expected === undefined ? await parse(connection, text) : { count: expected };
  const cuts: number[] = [];
  for (let i = text.indexOf(';'); i !== -1; i = text.indexOf(';', i + 1)) cuts.push(i + 1);
  if (cuts.at(-1) !== text.length) cuts.push(text.length);
  let budget = BUDGET_FACTOR * text.length + 4096;

  /** The first cut from `start` whose piece parses as one statement or none; null at a dead end. */
  const advance = async (start: number, from: number): Promise<Choice | null | 'budget'> => {
    for (let cut = from, tried = 0; cut < cuts.length && tried < CUTS_PER_START; cut++, tried++) {
      const piece = text.slice(start, cuts[cut]);
      budget -= piece.length;
      if (budget < 0) return 'budget';
      const outcome = await parse(connection, piece);
      if ('error' in outcome) continue; // cut inside a literal or a comment, or a real error
      if (outcome.count > 1) return null; // past the statement's end: no longer piece holds one
      return { start, cut, statement: outcome.count === 1 };
    }
    return null;
  };

  const chosen: Choice[] = [];
  let start = 0;
  let from = 0;
  // the furthest dead end, and how many statements lay before it
  let deepest = { start: 0, statements: 0 };
  for (;;) {
    if (start >= text.length) {
      if ('count' in whole && chosen.filter((c) => c.statement).length === whole.count) {
        return { statements: chosen.filter((c) => c.statement).map((c) => statementOf(text, c.start, cuts[c.cut]!)) };
      }
    } else {
      const next = await advance(start, from);
      if (next === 'budget') break;
      if (next) {
        chosen.push(next);
        start = cuts[next.cut]!;
        from = next.cut + 1;
        continue;
      }
      if (start >= deepest.start) deepest = { start, statements: chosen.filter((c) => c.statement).length };
    }
    // a dead end: take the last choice back and try its next cut
    const last = chosen.pop();
    if (!last) break;
    start = last.start;
    from = last.cut + 1;
  }
  if ('count' in whole) return { unknown: true };
  // the statement DuckDB cannot parse starts where the search got furthest
  const stuck = start > deepest.start ? { start, statements: chosen.filter((c) => c.statement).length } : deepest;
  const failing = stuck.start;
  const offset = statementStartAt(text, failing);
  const statementIndex = stuck.statements;
  const alone = await parse(connection, text.slice(failing));
  const message = 'error' in alone ? alone.error : whole.error;
  const relative = /\bLINE (\d+):/.exec(message);
  const line = relative ? lineAt(text, failing) + Number(relative[1]) - 1 : lineAt(text, offset);
  return { failedAt: { offset, line, statementIndex, message } };
}
