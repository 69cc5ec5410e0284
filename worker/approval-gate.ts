// The worker's half of approvals (the API's is api/approvals.ts). A run or undo job that
// needed approval reaches the worker once decided (or when its approval window ends): the
// decision is recorded in the database first (schema_migration_approvals), then an approved
// job runs as usual, and a rejected, withdrawn or undecided one ends with its code and
// nothing applied (or undone).
import type { ApprovalRecord, ErrorCode, JobApproval, JobData } from '../contract/index.js';

type RunData = Extract<JobData, { kind: 'run' | 'undo' }> & { approval: JobApproval };

export interface GateOutcome {
  record: ApprovalRecord;
  /** null: the run may go ahead */
  refusal: { errorCode: ErrorCode; message: string } | null;
}

/** What the database keeps about the request and whether the run may go ahead. */
export function approvalGate(jobId: string, data: RunData, now = new Date()): GateOutcome {
  const { approval } = data;
  const decision = approval.decision ?? 'expired';
  const record: ApprovalRecord = {
    runId: jobId,
    requestedBy: data.requestedBy,
    requestedAt: approval.requestedAt,
    reason: data.reason ?? null,
    plan: data.plan ?? null,
    decision,
    decidedBy: approval.decidedBy ?? null,
    decidedAt: approval.decidedAt ?? now.toISOString(),
    comment: approval.comment ?? null,
  };
  const why = approval.comment ? `: ${approval.comment}` : '';
  const [what, nothing] = data.kind === 'undo' ? ['undo', 'nothing was undone'] : ['run', 'nothing was applied'];
  switch (decision) {
    case 'approved':
      return { record, refusal: null };
    case 'rejected':
      return { record, refusal: { errorCode: 'approval-rejected', message: `${what} rejected by ${approval.decidedBy ?? 'an admin'}, ${nothing}${why}` } };
    case 'withdrawn':
      return { record, refusal: { errorCode: 'approval-withdrawn', message: `${what} withdrawn by ${data.requestedBy} before a decision, ${nothing}${why}` } };
    default:
      return {
        record,
        refusal: { errorCode: 'approval-expired', message: `${what} not started: nobody approved it by ${approval.expiresAt}; ${nothing}, request it again` },
      };
  }
}
