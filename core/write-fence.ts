// The writer fence inside a database file: the table `duckmig_fence` keeps, per shard, the
// highest fencing token that wrote the file. A writer that holds a token (a fleet worker's
// shard lease) passes the fence inside each of its write transactions: it is refused when
// the stored token is higher than its own (a newer owner wrote the file since) or when it
// knows it lost its lease, and otherwise stores its token in that same transaction. So an
// owner that was paused, lost its lease and woke up cannot write under its old token
// (docs/fleet.md#fencing). No Redis here: the token is just a number the caller holds.
import type { DuckDBConnection } from '@duckdb/node-api';

export const FENCE_TABLE = 'duckmig_fence';

/** the fence table, created by a run's first transaction when missing (run-setup.ts) */
export const FENCE_DDL = `CREATE TABLE IF NOT EXISTS ${FENCE_TABLE} (
    shard VARCHAR NOT NULL,
    token BIGINT  NOT NULL
)`;

/** What a writer fenced by a token hands the runner (RunOptions.fence). */
export interface WriteFence {
  /** the writers whose tokens compare (a fleet shard) */
  readonly shard: string;
  readonly token: number;
  /** false once the writer knows its token is no longer valid (lease lost): refused without reading */
  held(): boolean;
}

/** The file refuses the writer's token. */
export class FenceRefusedError extends Error {
  override name = 'FenceRefusedError';
  constructor(
    readonly shard: string,
    readonly token: number,
    /** the token the file holds; null when the writer itself knew it lost its lease */
    readonly stored: number | null,
  ) {
    super(
      stored === null
        ? `the lease of shard ${shard} (token ${token}) was lost: nothing more is written under it`
        : `the file was written under token ${stored} of shard ${shard}, newer than this writer's ${token}: its lease was taken over, nothing was written`,
    );
  }
}

/** The token the file holds for a shard (null: none yet, or no fence table). */
export async function readFence(connection: DuckDBConnection, shard: string): Promise<number | null> {
  const tables = await connection.runAndReadAll(
    "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?",
    [FENCE_TABLE],
  );
  if (Number(tables.getRows()[0]?.[0] ?? 0) === 0) return null;
  const reader = await connection.runAndReadAll(`SELECT max(token) FROM ${FENCE_TABLE} WHERE shard = ?`, [shard]);
  const value = reader.getRows()[0]?.[0];
  return value === null || value === undefined ? null : Number(value);
}

/**
 * Inside an open transaction (the fence table exists): throws FenceRefusedError, or stores
 * the writer's token so that it commits with the transaction.
 */
export async function passFence(connection: DuckDBConnection, fence: WriteFence): Promise<void> {
  if (!fence.held()) throw new FenceRefusedError(fence.shard, fence.token, null);
  const reader = await connection.runAndReadAll(`SELECT max(token) FROM ${FENCE_TABLE} WHERE shard = ?`, [fence.shard]);
  const value = reader.getRows()[0]?.[0];
  const stored = value === null || value === undefined ? null : Number(value);
  if (stored !== null && stored > fence.token) throw new FenceRefusedError(fence.shard, fence.token, stored);
  if (stored === fence.token) return;
  if (stored === null) await connection.run(`INSERT INTO ${FENCE_TABLE} (shard, token) VALUES (?, ?)`, [fence.shard, fence.token]);
  else await connection.run(`UPDATE ${FENCE_TABLE} SET token = ? WHERE shard = ?`, [fence.token, fence.shard]);
}
