// A run's first write to its file, in ONE transaction instead of a commit each: the ledger
// tables the file lacks, the writer fence's claim (RunOptions.fence), and the run's
// 'running' mark. A fence that refuses the run rolls it all back: nothing is written. The
// mark still commits before anything is applied (so a run whose process dies is found and
// recorded as crashed), and the claim still comes before any other write. Runs an earlier
// process left marked 'running', and legacy versions to adopt, are recorded by the caller
// after this transaction (their own transactions), as before; a ledger created by this very
// transaction has neither, so it is not even read for them. The mark comes after them too,
// unless it carries the fence's claim (write-fence.ts, store 'runs'): then it is written
// here, and the caller leaves it out of the crashed runs it records.
import type { Ledger } from './ledger.js';
import type { RunStart } from './run-history.js';
import { FENCE_DDL, FenceRefusedError, claimFence, type WriteFence } from './write-fence.js';

export interface RunSetup {
  fence?: WriteFence;
  /** the run's 'running' mark; null when the run applies nothing */
  start: RunStart | null;
  /** legacy versions wait to be adopted before the mark */
  adopting: boolean;
  /** whether the run keeps schema_version for old builds (else a file without one gets none) */
  legacy: boolean;
}

/**
 * Opens the run. `settled`: nothing is left for the caller (no crashed run, nothing to adopt);
 * otherwise the caller adopts and records crashed runs. `marked`: the mark is written; otherwise
 * the caller writes it once it is done. Throws FenceRefusedError, and any failure of the
 * transaction, after rolling back.
 */
export async function setUpRun(ledger: Ledger, setup: RunSetup): Promise<{ settled: boolean; marked: boolean }> {
  const { connection } = ledger;
  const hadRuns = await ledger.has('schema_migration_runs');
  const { fence } = setup;
  const store = fence ? await ledger.fenceStore() : undefined;
  const missing = await ledger.missingTables({ legacy: setup.legacy, fenced: store === 'runs' });
  const creatingTable = store === 'table' && !(await ledger.has('duckmig_fence'));
  // a writer that knows its lease is gone writes nothing at all
  if (fence && !fence.held()) throw new FenceRefusedError(fence.shard, fence.token, null);
  let settled = false;
  let marked = false;
  try {
    // BEGIN and the tables' DDL in one call (no parameters: one text of several statements)
    await connection.run(['BEGIN TRANSACTION', ...missing.ddl, ...(creatingTable ? [FENCE_DDL] : [])].join(';\n'));
    // a store this transaction created holds no token yet: nothing to read
    if (fence && store) await claimFence(connection, fence, store, store === 'runs' ? !hadRuns : creatingTable);
    const crashed = hadRuns && Number((await connection.runAndReadAll("SELECT count(*) FROM schema_migration_runs WHERE status = 'running'")).getRows()[0]?.[0] ?? 0) > 0;
    settled = !crashed && !setup.adopting;
    const claimOnMark = store === 'runs' && fence !== undefined;
    if (setup.start && (settled || claimOnMark)) {
      await ledger.runs.start(setup.start, claimOnMark ? fence : undefined);
      marked = true;
    }
    await connection.run('COMMIT');
  } catch (err) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  ledger.created(...missing.tables, ...(creatingTable ? (['duckmig_fence'] as const) : []));
  return { settled, marked };
}
