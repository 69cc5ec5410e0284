// What the run dialog says about the last dry-run preview: how the rehearsal of the
// pending batch ended and how long ago, or that the files changed since (its plan id is
// not the batch's any more), or that there was none. A failed or outdated preview makes
// the run a risk the user confirms once more.
import { formatAge } from './format.js';
import { migrationLabel } from './progress.js';
import type { JobView } from './types.js';

/** The outcome of a finished preview, kept after its panel is closed. */
export interface LastPreview {
  /** the plan the preview rehearsed, null when it ended before planning */
  planId: string | null;
  ok: boolean;
  /** the migration it failed at, e.g. 006_add_index */
  failedAt: string | null;
  /** why it failed */
  message: string | null;
  finishedAt: number;
}

export type PreviewCheck =
  | { state: 'none'; text: string; risky: false }
  | { state: 'success'; text: string; risky: false }
  | { state: 'failed'; text: string; risky: true }
  | { state: 'changed'; text: string; risky: true };

/** The outcome of a finished dry-run job; null while it has not ended. */
export function previewOf(job: JobView, now = Date.now()): LastPreview | null {
  if (job.state !== 'completed' && job.state !== 'failed') return null;
  const result = job.result;
  const finishedAt = job.finishedAt ? Date.parse(job.finishedAt) : now;
  if (!result) return { planId: null, ok: false, failedAt: null, message: job.failedReason ?? 'the preview failed', finishedAt };
  const ok = result.status === 'success' || result.status === 'nothing-to-do';
  const failed = result.migrations.find((m) => m.status === 'failed' || m.status === 'cancelled');
  return {
    planId: result.planId ?? null,
    ok,
    failedAt: ok || !failed ? null : migrationLabel(failed.version, failed.name),
    message: ok ? null : (failed?.error?.message ?? result.error ?? job.failedReason ?? result.status),
    finishedAt,
  };
}

/**
 * What the dialog shows for a run of `planId` (the plan of every pending migration):
 * the preview counts only when it rehearsed exactly that plan.
 */
export function checkPreview(last: LastPreview | null, planId: string | null | undefined, now: number): PreviewCheck {
  if (!last) return { state: 'none', text: 'No preview yet: the batch was not rehearsed.', risky: false };
  const age = formatAge(now - last.finishedAt);
  if (last.planId !== null && planId && last.planId !== planId) {
    return { state: 'changed', text: `Files changed since the preview (${age}): what will run was not rehearsed.`, risky: true };
  }
  if (last.ok) return { state: 'success', text: `Rehearsed ${age}: success`, risky: false };
  const where = last.failedAt ? ` at ${last.failedAt}` : '';
  return { state: 'failed', text: `Preview failed${where} (${age}): ${last.message ?? 'unknown error'}`, risky: true };
}
