// Checks every migration file with DuckDB's own parser before anything runs: syntax
// errors come back with file, statement number and line; a file that tries to manage
// its own transaction is refused (duckmig wraps each file in one), and so is a statement
// that would change the connection's state (its type as DuckDB prepares it: sandbox.ts).
import type { DuckDBConnection, DuckDBExtractedStatements } from '@duckdb/node-api';
import type { ValidationProblem } from '../contract/index.js';
import { connectionStateStatements } from './sandbox.js';
import type { MigrationFile } from './source.js';
import { statementBoundaries } from './statement-boundaries.js';
import type { StatementText } from './statement-text.js';

const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK|ABORT|END|START\s+TRANSACTION)\b/i;

/** "LINE 4: ..." in a DuckDB parser error, relative to the text that was parsed. */
export function errorLine(message: string): number | undefined {
  const m = /\bLINE (\d+):/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** The index of the statement that contains a 1-based line. */
export function statementAtLine(migration: MigrationFile, line: number): number {
  let index = 0;
  migration.statements.forEach((s, i) => {
    if (s.line <= line) index = i;
  });
  return index;
}

function cleanParserMessage(message: string): string {
  return message.replace(/^Failed to extract statements: /, '').split('\n')[0]!.trim();
}

/**
 * What DuckDB's parser said about one file's text: its statement count (and DuckDB's own
 * statements when the display split counts differently; undefined if they could not be
 * found), or the error (and the failing statement's line and index when DuckDB's message
 * has no "LINE n"). `connectionState`: the statements that would change the connection.
 */
type ParseOutcome =
  | { count: number; statements?: StatementText[] | undefined; connectionState: { index: number; reason: string }[] }
  | { error: string; line?: number; statementIndex?: number };

/** DuckDB parser outcomes by file checksum: what a runner keeps, or several runners of one process share (RunnerOptions.parsed). */
export type ParseCache = Map<string, ParseOutcome>;

/** Files parsed at once on the one connection: keeps DuckDB busy while JS handles results. */
const IN_FLIGHT = 8;

async function parseOne(connection: DuckDBConnection, m: MigrationFile): Promise<ParseOutcome> {
  let extracted: DuckDBExtractedStatements;
  try {
    extracted = await connection.extractStatements(m.sql);
  } catch (err) {
    const error = (err as Error).message;
    if (errorLine(error) !== undefined) return { error };
    const found = await statementBoundaries(connection, m.sql);
    return 'failedAt' in found ? { error, line: found.failedAt.line, statementIndex: found.failedAt.statementIndex } : { error };
  }
  const count = extracted.count;
  if (count === m.statements.length) return { count, connectionState: await connectionStateStatements(connection, extracted, m.statements) };
  const found = await statementBoundaries(connection, m.sql, count);
  const statements = 'statements' in found ? found.statements : undefined;
  return { count, statements, connectionState: await connectionStateStatements(connection, extracted, statements ?? m.statements) };
}

/** How many statements DuckDB's parser found in the file with this checksum, if it parsed. */
export function duckdbStatementCount(cache: Map<string, ParseOutcome>, checksum: string): number | undefined {
  const outcome = cache.get(checksum);
  return outcome && 'count' in outcome ? outcome.count : undefined;
}

/**
 * Parses every file with DuckDB. `cache` (keyed by checksum: the outcome depends only on the
 * text) lets a long-lived runner skip files it has parsed before, e.g. on every status.
 */
export async function parseCheck(
  connection: DuckDBConnection,
  migrations: MigrationFile[],
  cache: Map<string, ParseOutcome> = new Map(),
): Promise<ValidationProblem[]> {
  const todo = migrations.filter((m) => m.statements.length > 0 && !cache.has(m.checksum));
  for (let i = 0; i < todo.length; i += IN_FLIGHT) {
    const batch = todo.slice(i, i + IN_FLIGHT);
    const outcomes = await Promise.all(batch.map((m) => parseOne(connection, m)));
    batch.forEach((m, k) => cache.set(m.checksum, outcomes[k]!));
  }
  const problems: ValidationProblem[] = [];
  for (const m of migrations) {
    if (m.statements.length === 0) continue; // reported as empty-file by the source
    const outcome = cache.get(m.checksum)!;
    if ('error' in outcome) {
      const message = outcome.error;
      const line = errorLine(message) ?? outcome.line;
      const statementIndex = outcome.statementIndex ?? (line === undefined ? undefined : statementAtLine(m, line));
      problems.push({
        code: 'syntax-error',
        severity: 'error',
        file: m.file,
        version: m.version,
        line,
        statementIndex,
        message: `${m.file}${line ? `:${line}` : ''}: ${cleanParserMessage(message)}${
          statementIndex === undefined ? '' : ` (statement ${statementIndex + 1})`
        }`,
        hint: 'fix the SQL; `duckmig validate` re-checks without a database',
      });
      continue;
    }
    // DuckDB's own statements replace the display split's, so that plans, progress and
    // failures number and place them as DuckDB runs them
    if (outcome.statements) m.statements = outcome.statements;
    if (outcome.count !== m.statements.length) {
      problems.push({
        code: 'statement-count-mismatch',
        severity: 'warning',
        file: m.file,
        version: m.version,
        message: `${m.file}: DuckDB sees ${outcome.count} statements where duckmig's display split sees ${m.statements.length}; statement numbers and lines in reports may be off`,
        hint: 'end every statement with a semicolon on its own terms; report this file to the duckmig maintainers',
      });
    }
    for (const { index, reason } of outcome.connectionState) {
      const st = m.statements[index];
      const at = st ? `${m.file}:${st.line}` : `${m.file} (statement ${index + 1})`;
      problems.push({
        code: 'connection-state',
        severity: 'error',
        file: m.file,
        version: m.version,
        line: st?.line,
        statementIndex: index,
        message: `${at}: ${st ? `${st.sql.split(/\s+/).slice(0, 2).join(' ')}: ` : ''}${reason}; migrations may not change the connection's state`,
        hint: 'qualify names instead of USE/SET (schema.table); seed files are read through the allow-list (DUCKMIG_ALLOWED_PATHS), not ATTACH',
      });
    }
    m.statements.forEach((st, i) => {
      if (TRANSACTION_CONTROL.test(st.sql)) {
        problems.push({
          code: 'non-transactional',
          severity: 'error',
          file: m.file,
          version: m.version,
          line: st.line,
          statementIndex: i,
          message: `${m.file}:${st.line}: migrations must not control transactions themselves (${st.sql.split(/\s+/)[0]})`,
          hint: 'remove BEGIN/COMMIT/ROLLBACK: duckmig runs each file in its own transaction together with its ledger row',
        });
      }
    });
  }
  return problems;
}
