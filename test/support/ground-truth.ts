// What DuckDB itself does with a sequence of migration files, computed without duckmig:
// each file in its own transaction on a fresh database, statement by statement as DuckDB's
// parser splits them, committed; the first failure stops. Also the statement boundaries
// (found by asking DuckDB's parser where statements end) and a schema dump to compare
// databases with. The specification the corpus and the lint tests hold duckmig to.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface TruthFile {
  file: string;
  sql: string;
}

export interface TruthFailure {
  file: string;
  /** 0-based statement index in DuckDB's split; undefined when the COMMIT failed */
  statementIndex?: number;
  /** 1-based line where the failing statement starts; undefined for COMMIT failures */
  line?: number;
  /** DuckDB's message (first line) */
  message: string;
  stage: 'parse' | 'statement' | 'commit';
}

export interface GroundTruth {
  /** files committed, in order */
  applied: string[];
  failure?: TruthFailure;
  /** the schema after the last committed file */
  schema: string[];
  /** the first file DuckDB's parser refuses, wherever it stands (a run would never reach a later one) */
  unparsable?: { file: string; message: string };
}

const firstLine = (err: unknown) =>
  String((err as Error)?.message ?? err)
    .replace(/^Failed to extract statements: /, '')
    .split('\n')[0]!
    .trim();

/** Offset of the first character that is neither white space nor a comment, from `i`. */
function skipTrivia(text: string, i: number): number {
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else return i;
  }
}

/** Only white space and comments: a file with no statement. */
const isBlank = (text: string) => skipTrivia(text, 0) === text.length;

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/**
 * 1-based start line of each of DuckDB's statements: a `;` ends statement k exactly when the
 * text up to it parses into k + 1 statements (a `;` in a string or comment does not).
 */
export async function statementLines(connection: DuckDBConnection, text: string): Promise<number[]> {
  const lines: number[] = [];
  let count = 0;
  let start = skipTrivia(text, 0);
  for (let i = text.indexOf(';'); i !== -1; i = text.indexOf(';', i + 1)) {
    let n: number;
    try {
      n = (await connection.extractStatements(text.slice(0, i + 1))).count;
    } catch {
      continue;
    }
    if (n > count) {
      for (; count < n; count++) lines.push(lineOf(text, start));
      start = skipTrivia(text, i + 1);
    }
  }
  const total = (await connection.extractStatements(text)).count;
  for (; count < total; count++) lines.push(lineOf(text, start));
  return lines;
}

/** Tables, columns, constraints, indexes, views, sequences and macros, one line each, sorted. */
export async function dumpSchema(connection: DuckDBConnection, exclude: readonly string[] = []): Promise<string[]> {
  const skip = new Set(exclude.map((t) => t.toLowerCase()));
  const scope = 'database_name = current_database()';
  const out: string[] = [];
  const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowsJson().map((r) => r.map((v) => JSON.stringify(v)));
  const keep = (table: unknown) => !skip.has(String(JSON.parse(String(table))).toLowerCase());
  for (const [s, t, c, i, type, nullable, def] of await rows(
    `SELECT schema_name, table_name, column_name, column_index, data_type, is_nullable, column_default FROM duckdb_columns() WHERE ${scope} AND NOT internal ORDER BY ALL`,
  )) {
    if (keep(t)) out.push(`column ${s}.${t}.${c} #${i} ${type} nullable=${nullable} default=${def}`);
  }
  for (const [s, t, type, text] of await rows(`SELECT schema_name, table_name, constraint_type, constraint_text FROM duckdb_constraints() WHERE ${scope} ORDER BY ALL`)) {
    if (keep(t)) out.push(`constraint ${s}.${t} ${type} ${text}`);
  }
  for (const [s, t, name, unique, exprs] of await rows(`SELECT schema_name, table_name, index_name, is_unique, expressions FROM duckdb_indexes() WHERE ${scope} ORDER BY ALL`)) {
    if (keep(t)) out.push(`index ${s}.${name} on ${t} unique=${unique} ${exprs}`);
  }
  for (const [s, v, sql] of await rows(`SELECT schema_name, view_name, sql FROM duckdb_views() WHERE ${scope} AND NOT internal ORDER BY ALL`)) out.push(`view ${s}.${v} ${sql}`);
  for (const [s, q] of await rows(`SELECT schema_name, sequence_name FROM duckdb_sequences() WHERE ${scope} ORDER BY ALL`)) out.push(`sequence ${s}.${q}`);
  for (const [s, f, def] of await rows(`SELECT schema_name, function_name, macro_definition FROM duckdb_functions() WHERE ${scope} AND NOT internal AND function_type IN ('macro', 'table_macro') ORDER BY ALL`)) {
    out.push(`macro ${s}.${f} ${def}`);
  }
  return out.sort();
}

/** Applies `files` on a fresh DuckDB file at `path` as DuckDB alone would. */
export async function groundTruth(path: string, files: TruthFile[]): Promise<GroundTruth> {
  let instance = await DuckDBInstance.create(path);
  let connection = await instance.connect();
  const applied: string[] = [];
  let failure: TruthFailure | undefined;
  let unparsable: GroundTruth['unparsable'];
  try {
    for (const f of files) {
      if (isBlank(f.sql)) continue;
      try {
        await connection.extractStatements(f.sql);
      } catch (err) {
        unparsable ??= { file: f.file, message: firstLine(err) };
      }
    }
    for (const f of files) {
      // statements are extracted inside the transaction: extracted before BEGIN, some fail
      // when run inside it (DuckDB 1.5: ADD COLUMN … DEFAULT nextval(…))
      if (isBlank(f.sql)) {
        // nothing for DuckDB to run (golang-migrate's empty placeholder files): an empty
        // transaction, committed; the parser API itself refuses empty text
        applied.push(f.file);
        continue;
      }
      await connection.run('BEGIN TRANSACTION');
      let extracted;
      try {
        extracted = await connection.extractStatements(f.sql);
      } catch (err) {
        failure = { file: f.file, message: firstLine(err), stage: 'parse' };
        await connection.run('ROLLBACK').catch(() => {});
        break;
      }
      for (let i = 0; i < extracted.count && !failure; i++) {
        try {
          const prepared = await extracted.prepare(i);
          try {
            await prepared.run();
          } finally {
            prepared.destroySync();
          }
        } catch (err) {
          const lines = await statementLines(connection, f.sql).catch(() => []);
          failure = { file: f.file, statementIndex: i, line: lines[i], message: firstLine(err), stage: 'statement' };
        }
      }
      if (failure) {
        await connection.run('ROLLBACK').catch(() => {});
        break;
      }
      try {
        await connection.run('COMMIT');
      } catch (err) {
        failure = { file: f.file, message: firstLine(err), stage: 'commit' };
        await connection.run('ROLLBACK').catch(() => {});
        break;
      }
      applied.push(f.file);
    }
    let schema: string[];
    try {
      schema = await dumpSchema(connection);
    } catch {
      // a failure DuckDB could not survive invalidates the instance: what the file holds is
      // what a reopen finds
      try {
        connection.closeSync();
        instance.closeSync();
      } catch {
        // already unusable
      }
      instance = await DuckDBInstance.create(path);
      connection = await instance.connect();
      schema = await dumpSchema(connection);
    }
    return { applied, failure, unparsable, schema };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
