// Lint's experiment: runs migration files on a scratch database (a data-free copy of the
// live schema, or an empty one) exactly as a run would — one transaction per file,
// committed — and reports the first statement DuckDB refuses, with DuckDB's own message
// and what the statement's table had at that moment (indexes, keys, references, checks).
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Scratch } from './schema-copy.js';
import type { MigrationFile } from './source.js';
import { identifierName, sqlTokens } from './sql-lexer.js';

/** What depended on a table just before the refused statement ran. */
export interface TableDependents {
  table: string;
  /** indexes made with CREATE INDEX */
  indexes: string[];
  /** PRIMARY KEY / UNIQUE constraints, as DuckDB prints them */
  keys: string[];
  /** tables whose FOREIGN KEYs reference this one */
  referencedBy: string[];
  /** CHECK constraints, as DuckDB prints them */
  checks: string[];
}

export interface ExperimentFailure {
  migration: MigrationFile;
  /** where DuckDB refused: its parser, a statement, or the COMMIT */
  stage: 'parse' | 'statement' | 'commit';
  /** 0-based index among DuckDB's statements of the file (stage 'statement') */
  statementIndex?: number;
  /** the refused statement's text as DuckDB extracted it */
  sql?: string;
  /** DuckDB's message, first line */
  message: string;
  dependents?: TableDependents;
}

const firstLine = (err: unknown) =>
  String((err as Error)?.message ?? err)
    .replace(/^Failed to extract statements: /, '')
    .split('\n')[0]!
    .trim();

async function rollback(connection: DuckDBConnection): Promise<void> {
  try {
    await connection.run('ROLLBACK');
  } catch {
    // DuckDB already ended the transaction
  }
}

/** The table an ALTER TABLE / DROP TABLE / CREATE INDEX … ON statement acts on. */
export function targetTable(sql: string): string | undefined {
  const t = [...sqlTokens(sql)];
  const word = (i: number) => (t[i]?.kind === 'word' ? t[i]!.text.toUpperCase() : undefined);
  let i = -1;
  if (word(0) === 'ALTER' && word(1) === 'TABLE') i = 2;
  else if (word(0) === 'DROP' && word(1) === 'TABLE') i = 2;
  else {
    const on = t.findIndex((tok) => tok.kind === 'word' && tok.text.toUpperCase() === 'ON');
    if (word(0) === 'CREATE' && on > 0) i = on + 1;
  }
  if (i < 0) return undefined;
  if (word(i) === 'IF') i += word(i + 1) === 'NOT' ? 3 : 2;
  // a qualified name: the last part names the table
  while (t[i + 1]?.text === '.' && t[i + 2]) i += 2;
  const name = t[i];
  if (name?.kind === 'identifier') return identifierName(name);
  return name?.kind === 'word' ? name.text : undefined;
}

async function dependentsOf(connection: DuckDBConnection, table: string): Promise<TableDependents> {
  const list = async (sql: string) => (await connection.runAndReadAll(sql, [table])).getRows().map((r) => String(r[0]));
  const scope = 'database_name = current_database() AND lower(table_name) = lower(?)';
  return {
    table,
    indexes: await list(`SELECT index_name FROM duckdb_indexes() WHERE ${scope} ORDER BY index_name`),
    keys: await list(`SELECT constraint_text FROM duckdb_constraints() WHERE ${scope} AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY constraint_index`),
    referencedBy: await list(
      `SELECT DISTINCT table_name FROM duckdb_constraints() WHERE database_name = current_database() AND constraint_type = 'FOREIGN KEY'
        AND lower(referenced_table) = lower(?) AND lower(table_name) <> lower(referenced_table) ORDER BY table_name`,
    ),
    checks: await list(`SELECT constraint_text FROM duckdb_constraints() WHERE ${scope} AND constraint_type = 'CHECK' ORDER BY constraint_index`),
  };
}

/** Runs a file statement by statement to find which one DuckDB refuses (the fast path failed). */
async function locate(connection: DuckDBConnection, m: MigrationFile): Promise<ExperimentFailure | undefined> {
  // extract inside the transaction: statements extracted before BEGIN and run inside it
  // fail in DuckDB 1.5 (an ADD COLUMN with a nextval default then reports "cannot start a
  // transaction within a transaction")
  await connection.run('BEGIN TRANSACTION');
  let extracted;
  try {
    extracted = await connection.extractStatements(m.sql);
  } catch (err) {
    await rollback(connection);
    return { migration: m, stage: 'parse', message: firstLine(err) };
  }
  for (let i = 0; i < extracted.count; i++) {
    const prepared = await extracted.prepare(i).catch((err: unknown) => err as Error);
    try {
      if (prepared instanceof Error) throw prepared;
      await prepared.run();
    } catch (err) {
      await rollback(connection);
      const sql = m.statements[i]?.sql ?? '';
      const failure: ExperimentFailure = { migration: m, stage: 'statement', statementIndex: i, sql, message: firstLine(err) };
      const table = targetTable(sql);
      if (table) failure.dependents = await dependentsBefore(connection, i, table);
      return failure;
    } finally {
      if (!(prepared instanceof Error)) prepared.destroySync();
    }
  }
  try {
    await connection.run('COMMIT');
  } catch (err) {
    await rollback(connection);
    return { migration: m, stage: 'commit', message: firstLine(err) };
  }
  return undefined;

  /** Replays the statements that succeeded, reads the table's dependents, rolls back. */
  async function dependentsBefore(c: DuckDBConnection, done: number, table: string): Promise<TableDependents | undefined> {
    try {
      await c.run('BEGIN TRANSACTION');
      // an extracted statement can be prepared once: extract the file again
      const again = await c.extractStatements(m.sql);
      for (let i = 0; i < done; i++) {
        const p = await again.prepare(i);
        try {
          await p.run();
        } finally {
          p.destroySync();
        }
      }
      return await dependentsOf(c, table);
    } catch {
      return undefined;
    } finally {
      await rollback(c);
    }
  }
}

export interface ExperimentOptions {
  /**
   * Wall-clock budget in ms: a file that copies or generates a lot of data must not hold up
   * validate or status. When it runs out, the running statement is interrupted and the
   * experiment ends without a verdict.
   */
  budgetMs?: number;
}

/**
 * DuckDB errors that say more about the scratch database than about the migration, or that
 * are DuckDB's own faults (an INTERNAL error can invalidate the whole instance).
 */
const INCONCLUSIVE = /^(INTERRUPT Error|Interrupted|Out of Memory Error|Permission Error|IO Error|HTTP Error|Extension|Invalid Configuration Error|INTERNAL Error|FATAL Error)/i;

/**
 * Applies `migrations` in order on the scratch database, each file in its own committed
 * transaction, and stops at the first refusal (a real run stops there too). Undefined: no
 * refusal seen, or none that is certain (budget spent, resources of the scratch database).
 */
export async function runExperiment(scratch: Scratch, migrations: MigrationFile[], options: ExperimentOptions = {}): Promise<ExperimentFailure | undefined> {
  const { connection } = scratch;
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    connection.interrupt();
  }, options.budgetMs ?? 2000);
  try {
    for (const m of migrations) {
      if (expired) return undefined;
      if (m.statements.length === 0) continue;
      // fast path: the whole file as one text; on failure, locate the statement
      await connection.run('BEGIN TRANSACTION');
      try {
        await connection.run(m.sql);
        await connection.run('COMMIT');
        continue;
      } catch {
        await rollback(connection);
      }
      if (expired) return undefined;
      const failure = await locate(connection, m);
      if (failure && (expired || INCONCLUSIVE.test(failure.message))) return undefined;
      if (failure) return failure;
    }
    return undefined;
  } catch {
    // the scratch database itself failed (e.g. invalidated by an INTERNAL error): no verdict
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
