// The run and undo events the worker announces (it sees each job start and end exactly
// once): run.started / undo.started, and run.succeeded / run.failed (undo.succeeded /
// undo.failed), built from the job and its result. Only counts, versions, codes and which
// file failed: never SQL, nor DuckDB's error text (it quotes statements and values); the
// job itself has the details.
import type { ErrorCode, JobData, NotificationInput, RunResult } from '../contract/index.js';

/** The jobs that are announced: runs and undos (dry-runs, previews, replays and restores are not). */
export type AnnouncedJob = Extract<JobData, { kind: 'run' | 'undo' }>;

export const isAnnounced = (data: JobData): data is AnnouncedJob => data.kind === 'run' || data.kind === 'undo';

const who = (data: AnnouncedJob) => ({ requestedBy: data.requestedBy, ...(data.reason && { reason: data.reason }) });

export function runStarted(jobId: string, data: AnnouncedJob): NotificationInput {
  return { event: `${data.kind}.started`, jobId, ...who(data) };
}

/** One line naming what failed, without DuckDB's text. */
function failureSummary(result: RunResult | null, errorCode: ErrorCode): string {
  const failed = result?.migrations.find((m) => m.status === 'failed' || m.status === 'cancelled');
  if (failed) {
    const line = failed.error?.line ? ` (line ${failed.error.line})` : '';
    return `${failed.file}${line} ${failed.status === 'cancelled' ? 'was cancelled' : 'failed'} and was rolled back; the job has the details`;
  }
  return `the ${result?.mode === 'undo' ? 'undo' : 'run'} ended with ${errorCode}; the job has the details`;
}

/**
 * succeeded for success and nothing-to-do; failed for everything else, with its code and
 * a summary (`message`: given for refusals decided by the worker, whose text is its own).
 * `applied` counts the migrations applied (a run) or undone (an undo).
 */
export function runEnded(jobId: string, data: AnnouncedJob, result: RunResult | null, errorCode: ErrorCode | null, message?: string): NotificationInput {
  const done = data.kind === 'undo' ? 'undone' : 'applied';
  const counts = result && {
    fromVersion: result.fromVersion,
    toVersion: result.toVersion,
    applied: result.migrations.filter((m) => m.status === done).length,
    durationMs: result.durationMs,
  };
  if (errorCode === null) return { event: `${data.kind}.succeeded`, jobId, ...who(data), ...counts };
  return { event: `${data.kind}.failed`, jobId, ...who(data), ...counts, errorCode, message: message ?? failureSummary(result, errorCode) };
}
