// The undo preview the Undo dialog shows: starts an undo-preview job (the worker rehearses
// the down scripts on a copy) and follows it until it ends. The API holds the answer for
// up to 30 s; a longer rehearsal is followed by asking for the job again.
import { asJobView, type Api } from './api.js';
import type { JobView, UndoReport } from './types.js';

const FINAL = new Set(['completed', 'failed']);
const POLL_MS = 1_500;

/** The finished preview job of an undo back to `to`; `stale()` stops following (the dialog closed or asked again). */
export async function previewUndo(api: Api, to: number, stale: () => boolean): Promise<JobView | null> {
  const answer = await api.previewUndo({ to }, 30);
  let view = asJobView(answer);
  const jobId = view?.id ?? ('jobId' in answer ? answer.jobId : null);
  if (!jobId) throw new Error('The API did not say which job runs the undo preview');
  while (!view || !FINAL.has(view.state)) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (stale()) return null;
    view = await api.job(jobId);
  }
  return view;
}

/** What a finished preview says, for the dialog: the report, and whether the undo may go ahead with its plan. */
export function previewVerdict(job: JobView): { report: UndoReport | null; plan: string | null; refusal: string | null } {
  const result = job.result;
  const report = result?.undo ?? null;
  if (job.state === 'completed' && result?.status === 'success' && result.planId) return { report, plan: result.planId, refusal: null };
  if (job.state === 'completed' && result?.status === 'nothing-to-do') return { report, plan: null, refusal: 'Nothing to undo: no migration is applied above that version.' };
  return { report, plan: null, refusal: result?.error ?? job.failedReason ?? 'The preview did not finish.' };
}
