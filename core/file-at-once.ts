// A migration file run in one DuckDB call, BEGIN included, instead of one call per
// statement. Only for files whose statements DuckDB's parser counted as the display split
// does (so the per-statement rerun after a failure, runner.ts, numbers them the same) and
// whose every statement keeps the connection where it is (sandbox.ts: neither the runtime
// refusal nor the home check has anything to catch). DuckDB runs a multi-statement text
// statement by statement and stops at the first error, so a failure leaves the open
// transaction to be rolled back.
import type { DuckDBConnection } from '@duckdb/node-api';
import { keepsConnection } from './sandbox.js';
import type { MigrationFile } from './source.js';

/** Whether `m` may run at once; `duckdbCount`: DuckDB's statement count from validation, when known. */
export function runsAtOnce(m: MigrationFile, duckdbCount: number | undefined): boolean {
  return m.statements.length > 0 && duckdbCount === m.statements.length && m.statements.every((s) => keepsConnection(s.sql));
}

/**
 * Opens a transaction and runs the whole file in it. The file parsed on its own (validation),
 * and a statement never spans the line break after BEGIN's semicolon, so DuckDB sees BEGIN
 * and then exactly the file's statements.
 */
export async function beginAndRunAtOnce(connection: DuckDBConnection, m: MigrationFile): Promise<void> {
  await connection.run(`BEGIN TRANSACTION;\n${m.sql}`);
}
