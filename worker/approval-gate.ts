// The worker's half of run approvals (the API's is api/approvals.ts). A run job that needed
// approval reaches the worker once decided (or when its approval window ends): the decision
// is recorded in the database first (schema_migration_approvals), then an approved run runs
// as usual, and a rejected, withdrawn or undecided one ends with its code and nothing applied.
import type { ApprovalRecord, ErrorCode, JobApproval, JobData } from '../contract/index.js';

type RunData = Extract<JobData, { kind: 'run' }> & { approval: JobApproval };

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
  switch (decision) {
    case 'approved':
      return { record, refusal: null };
    case 'rejected':
      return { record, refusal: { errorCode: 'approval-rejected', message: `run rejected by ${approval.decidedBy ?? 'an admin'}, nothing was applied${why}` } };
    case 'withdrawn':
      return { record, refusal: { errorCode: 'approval-withdrawn', message: `run withdrawn by ${data.requestedBy} before a decision, nothing was applied${why}` } };
    default:
      return {
        record,
        refusal: { errorCode: 'approval-expired', message: `run not started: nobody approved it by ${approval.expiresAt}; nothing was applied, request it again` },
      };
  }
}
