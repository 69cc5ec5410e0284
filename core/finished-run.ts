// The one way a finished run (apply, restore) becomes its row in the run history
// (run-history.ts): the RunResult as it was returned, plus who asked and why. The runner
// and the restore both record through here, so a row always says what the result said,
// under the same run id.
import type { RunResult, RunSummary } from '../contract/index.js';
import type { Ledger } from './ledger.js';

/** Who asked for a run, as the history keeps it. */
export interface RunRequest {
  jobId?: string | null;
  requestedBy?: string | null;
  reason?: string | null;
}

/** The user recorded when nobody is named (local runs, system work). */
export const SYSTEM_USER = 'duckmig';

/** The history row of a finished run: statement timings stay in the result only. */
export function historyRowOf(result: RunResult, request: RunRequest): RunSummary {
  return {
    runId: result.runId,
    jobId: request.jobId ?? null,
    mode: result.mode,
    status: result.status,
    requestedBy: request.requestedBy ?? SYSTEM_USER,
    reason: request.reason ?? null,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    durationMs: result.durationMs,
    fromVersion: result.fromVersion,
    toVersion: result.toVersion,
    error: result.error ?? null,
    migrations: result.migrations.map(({ statementTimings: _t, ...rest }) => rest),
    restorePoint: result.restorePoint ?? null,
    // as the history reads it back: a restore's undo point only when it took one
    ...(result.undoPoint && { undoPoint: result.undoPoint }),
  };
}

/** Writes (or replaces the 'running' mark of) a finished run's history row. */
export async function recordFinishedRun(ledger: Ledger, result: RunResult, request: RunRequest): Promise<void> {
  await ledger.runs.write(historyRowOf(result, request));
}
