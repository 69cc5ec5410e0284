// Reads a DuckDB file the way an operator would after the worker stopped: a plain
// DuckDBInstance.create (no WAL recovery), so a test also proves the file opens directly.
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonRows } from './rows.js';

export async function queryFile(path: string, ...sql: string[]): Promise<Record<string, unknown>[][]> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const results: Record<string, unknown>[][] = [];
    for (const q of sql) results.push(jsonRows(await connection.runAndReadAll(q)));
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Tables of the main schema, by name. */
export const TABLES_SQL = "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name";
/** Ledger rows, oldest first. */
export const LEDGER_SQL = 'SELECT version, status, job_id, error FROM schema_migrations ORDER BY applied_at, rowid';
