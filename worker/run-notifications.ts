// The run events the worker announces (it sees each run start and end exactly once):
// run.started, run.succeeded and run.failed, built from the job and its result. Only
// counts, versions, codes and which file failed: never SQL, nor DuckDB's error text (it
// quotes statements and values); the job itself has the details.
import type { ErrorCode, JobData, NotificationInput, RunResult } from '../contract/index.js';

type RunData = Extract<JobData, { kind: 'run' }>;

const who = (data: RunData) => ({ requestedBy: data.requestedBy, ...(data.reason && { reason: data.reason }) });

export function runStarted(jobId: string, data: RunData): NotificationInput {
  return { event: 'run.started', jobId, ...who(data) };
}

/** One line naming what failed, without DuckDB's text. */
function failureSummary(result: RunResult | null, errorCode: ErrorCode): string {
  const failed = result?.migrations.find((m) => m.status === 'failed' || m.status === 'cancelled');
  if (failed) {
    const line = failed.error?.line ? ` (line ${failed.error.line})` : '';
    return `${failed.file}${line} ${failed.status === 'cancelled' ? 'was cancelled' : 'failed'} and was rolled back; the job has the details`;
  }
  return `the run ended with ${errorCode}; the job has the details`;
}

/**
 * succeeded for success and nothing-to-do; failed for everything else, with its code and
 * a summary (`message`: given for refusals decided by the worker, whose text is its own).
 */
export function runEnded(jobId: string, data: RunData, result: RunResult | null, errorCode: ErrorCode | null, message?: string): NotificationInput {
  const counts = result && {
    fromVersion: result.fromVersion,
    toVersion: result.toVersion,
    applied: result.migrations.filter((m) => m.status === 'applied').length,
    durationMs: result.durationMs,
  };
  if (errorCode === null) return { event: 'run.succeeded', jobId, ...who(data), ...counts };
  return { event: 'run.failed', jobId, ...who(data), ...counts, errorCode, message: message ?? failureSummary(result, errorCode) };
}
