// A run's first write to its file, in ONE transaction instead of a commit each: the ledger
// tables the file lacks, the writer fence's claim (RunOptions.fence), and the run's
// 'running' mark. A fence that refuses the run rolls it all back: nothing is written. The
// mark still commits before anything is applied (so a run whose process dies is found and
// recorded as crashed), and the claim still comes before any other write. Runs an earlier
// process left marked 'running', and legacy versions to adopt, are recorded by the caller
// between this transaction and the mark (their own transactions), as before; a ledger
// created by this very transaction has neither, so it is not even read for them.
import type { Ledger } from './ledger.js';
import type { RunStart } from './run-history.js';
import { FENCE_DDL, FenceRefusedError, passFence, type WriteFence } from './write-fence.js';

export interface RunSetup {
  fence?: WriteFence;
  /** the run's 'running' mark; null when the run applies nothing */
  start: RunStart | null;
  /** legacy versions wait to be adopted before the mark */
  adopting: boolean;
}

/**
 * Opens the run. `settled`: nothing is left for the caller (no crashed run, nothing to adopt,
 * the mark written when there is one); otherwise the caller adopts, records crashed runs and
 * writes the mark. Throws FenceRefusedError, and any failure of the transaction, after
 * rolling back.
 */
export async function setUpRun(ledger: Ledger, setup: RunSetup): Promise<{ settled: boolean }> {
  const { connection } = ledger;
  const hadRuns = await ledger.has('schema_migration_runs');
  const missing = await ledger.missingTables();
  const { fence } = setup;
  // a writer that knows its lease is gone writes nothing at all
  if (fence && !fence.held()) throw new FenceRefusedError(fence.shard, fence.token, null);
  let settled = false;
  try {
    // BEGIN and the tables' DDL in one call (no parameters: one text of several statements)
    await connection.run(['BEGIN TRANSACTION', ...missing.ddl, ...(fence ? [FENCE_DDL] : [])].join(';\n'));
    if (fence) await passFence(connection, fence);
    const crashed = hadRuns && Number((await connection.runAndReadAll("SELECT count(*) FROM schema_migration_runs WHERE status = 'running'")).getRows()[0]?.[0] ?? 0) > 0;
    settled = !crashed && !setup.adopting;
    if (setup.start && settled) await ledger.runs.start(setup.start);
    await connection.run('COMMIT');
  } catch (err) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  ledger.created(...missing.tables);
  return { settled };
}
