// Run approvals: the policy (which runs need another admin's approval), what makes a
// batch destructive, the approval a run job carries while it waits and once decided, the
// record the worker keeps in the database, and the HTTP bodies of the approvals routes.
import { z } from 'zod';
import { PendingMigration } from './results.js';

/** DUCKMIG_APPROVALS: no approvals, every run, or only runs whose batch is destructive. */
export const ApprovalPolicy = z.enum(['off', 'all', 'destructive']);
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

/** How a request awaiting approval ended: decided by an admin, withdrawn by its requester, or left undecided too long. */
export const ApprovalDecision = z.enum(['approved', 'rejected', 'withdrawn', 'expired']);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/** The approval a run job carries (job data): set when it is requested, decided later. */
export const JobApproval = z.object({
  policy: ApprovalPolicy.exclude(['off']),
  requestedAt: z.string(),
  /** after this the request expires: the worker records it as expired and runs nothing */
  expiresAt: z.string(),
  decision: ApprovalDecision.exclude(['expired']).optional(),
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  comment: z.string().max(1000).optional(),
});
export type JobApproval = z.infer<typeof JobApproval>;

/** One request's approval as the database keeps it (schema_migration_approvals). */
export const ApprovalRecord = z.object({
  /** the run id (= job id) of the request */
  runId: z.string(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  reason: z.string().nullable(),
  plan: z.string().nullable(),
  decision: ApprovalDecision,
  decidedBy: z.string().nullable(),
  decidedAt: z.string(),
  comment: z.string().nullable(),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecord>;

/** A run request waiting for an admin: what it would apply and who may decide. */
export const AwaitingApproval = z.object({
  jobId: z.string(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  reason: z.string().nullable(),
  policy: ApprovalPolicy.exclude(['off']),
  /** the pinned plan: the run applies exactly these files or is refused as plan-changed */
  plan: z.string().nullable(),
  target: z.number().int().nullable(),
  /** the pending migrations of the plan, by the worker's latest status */
  migrations: z.array(PendingMigration),
  /** whether the caller may approve or reject it, and why not */
  youMayDecide: z.boolean(),
  whyNot: z.string().nullable(),
  /** whether the caller may withdraw it (its requester) */
  youMayWithdraw: z.boolean(),
});
export type AwaitingApproval = z.infer<typeof AwaitingApproval>;

export const ApprovalsResponse = z.object({
  policy: ApprovalPolicy,
  awaiting: z.array(AwaitingApproval),
  /** recent decisions, newest first, as the database keeps them */
  decided: z.array(ApprovalRecord),
});
export type ApprovalsResponse = z.infer<typeof ApprovalsResponse>;

export const ApproveRequest = z.object({ comment: z.string().trim().max(1000).optional() }).strict();
export type ApproveRequest = z.infer<typeof ApproveRequest>;
/** A rejection says why. */
export const RejectRequest = z.object({ comment: z.string().trim().min(1, 'a rejection needs a comment').max(1000) }).strict();
export type RejectRequest = z.infer<typeof RejectRequest>;
/** Withdrawing may say why, as approving may. */
export const WithdrawRequest = z.object({ comment: z.string().trim().max(1000).optional() }).strict();

export const ApprovalDecisionResponse = z.object({
  jobId: z.string(),
  decision: ApprovalDecision.exclude(['expired']),
  statusUrl: z.string(),
});
export type ApprovalDecisionResponse = z.infer<typeof ApprovalDecisionResponse>;
