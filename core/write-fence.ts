// The writer fence inside a database file: the highest fencing token that wrote the file,
// per shard. A writer that holds a token (a fleet worker's shard lease) claims the fence in
// its run's first write transaction: it is refused when the file holds a higher token (a
// newer owner wrote it since) or when it knows it lost its lease, and otherwise its token is
// stored in that same transaction. From then on it holds the file's lock (DuckDB lets one
// process write a file at a time), so no other writer can store a newer token while it
// works: each later transaction only confirms that the lease is still held before its
// COMMIT, without reading the file again. So an owner that was paused, lost its lease and
// woke up cannot write under its old token (docs/fleet.md#fencing). No Redis here: the token
// is just a number the caller holds.
//
// Where the token is kept ('runs' or 'table', chosen by the Ledger): in the run history, on
// the claiming run's own row (`schema_migration_runs.fence_shard`, `fence_token`: a run
// history created by a fenced run has these columns), or, in a file whose run history
// predates them, in the table `duckmig_fence(shard, token)`, as before.
import type { DuckDBConnection } from '@duckdb/node-api';

export const FENCE_TABLE = 'duckmig_fence';

/** the fence table of a file whose run history has no fence columns, created by a run's first transaction when missing (run-setup.ts) */
export const FENCE_DDL = `CREATE TABLE IF NOT EXISTS ${FENCE_TABLE} (
    shard VARCHAR NOT NULL,
    token BIGINT  NOT NULL
)`;

/** The run-history columns that carry a fenced run's token. */
export const FENCE_COLUMNS = ['fence_shard', 'fence_token'] as const;

/** Where a file keeps its fence (see the header). */
export type FenceStore = 'runs' | 'table';

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

const STORED: Record<FenceStore, string> = {
  runs: 'SELECT max(fence_token) FROM schema_migration_runs WHERE fence_shard = ?',
  table: `SELECT max(token) FROM ${FENCE_TABLE} WHERE shard = ?`,
};

async function storedToken(connection: DuckDBConnection, store: FenceStore, shard: string): Promise<number | null> {
  const value = (await connection.runAndReadAll(STORED[store], [shard])).getRows()[0]?.[0];
  return value === null || value === undefined ? null : Number(value);
}

/** The token the file holds for a shard (null: none yet, or nothing fenced it). */
export async function readFence(connection: DuckDBConnection, shard: string): Promise<number | null> {
  const found = await connection.runAndReadAll(
    `SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = '${FENCE_TABLE}'),
            (SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main'
               AND table_name = 'schema_migration_runs' AND column_name = 'fence_token')`,
  );
  const [table, column] = (found.getRows()[0] ?? [0, 0]).map(Number);
  const tokens = [...(column ? [await storedToken(connection, 'runs', shard)] : []), ...(table ? [await storedToken(connection, 'table', shard)] : [])];
  const known = tokens.filter((t): t is number => t !== null);
  return known.length === 0 ? null : Math.max(...known);
}

/**
 * The claim, inside a run's first write transaction (the store exists; `empty`: it was
 * created by this very transaction, so there is nothing to read): throws FenceRefusedError,
 * or stores the writer's token in the table so that it commits with the transaction. In the
 * 'runs' store the run's own 'running' row carries the token: the caller writes it.
 */
export async function claimFence(connection: DuckDBConnection, fence: WriteFence, store: FenceStore, empty: boolean): Promise<void> {
  if (!fence.held()) throw new FenceRefusedError(fence.shard, fence.token, null);
  const stored = empty ? null : await storedToken(connection, store, fence.shard);
  if (stored !== null && stored > fence.token) throw new FenceRefusedError(fence.shard, fence.token, stored);
  if (store === 'runs' || stored === fence.token) return;
  if (stored === null) await connection.run(`INSERT INTO ${FENCE_TABLE} (shard, token) VALUES (?, ?)`, [fence.shard, fence.token]);
  else await connection.run(`UPDATE ${FENCE_TABLE} SET token = ? WHERE shard = ?`, [fence.token, fence.shard]);
}

/**
 * Before each later COMMIT of a run whose claim committed: the file's lock has been held since,
 * so only the lease can have changed. Throws FenceRefusedError once the writer knows it is lost.
 */
export function confirmFence(fence: WriteFence): void {
  if (!fence.held()) throw new FenceRefusedError(fence.shard, fence.token, null);
}
