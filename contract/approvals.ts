// Run approvals: the policy (which runs need another admin's approval), what makes a
// batch destructive, the approval a run job carries while it waits and once decided, the
// record the worker keeps in the database, and the HTTP bodies of the approvals routes.
import { z } from 'zod';
import { PendingMigration, UndoStep } from './results.js';

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

/**
 * A previewed undo's plan as the worker keeps it for the API (keys.undoPlan): which down
 * scripts the plan id pins and what in them is destructive, so an undo request pinned to it
 * can be classified and its approvers shown what it runs.
 */
export const UndoPlanRecord = z.object({
  planId: z.string(),
  to: z.number().int(),
  fromVersion: z.number().int(),
  steps: z.array(UndoStep),
  previewedAt: z.string(),
});
export type UndoPlanRecord = z.infer<typeof UndoPlanRecord>;

/** How long the worker keeps a previewed undo's plan (an undo pinned to a forgotten one counts as destructive). */
export const UNDO_PLAN_TTL_MS = 7 * 24 * 3600 * 1000;

/** A run or undo request waiting for an admin: what it would apply (or undo) and who may decide. */
export const AwaitingApproval = z.object({
  jobId: z.string(),
  /** a run applies `migrations`; an undo runs the down scripts `undo.steps` back to `undo.to` */
  kind: z.enum(['run', 'undo']),
  requestedBy: z.string(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  reason: z.string().nullable(),
  policy: ApprovalPolicy.exclude(['off']),
  /** the pinned plan: the run applies exactly these files or is refused as plan-changed */
  plan: z.string().nullable(),
  target: z.number().int().nullable(),
  /** the pending migrations of the plan, by the worker's latest status (a run; empty for an undo) */
  migrations: z.array(PendingMigration),
  /** an undo: the version it goes back to and its down scripts, newest first (empty when the worker no longer keeps its preview) */
  undo: z.object({ to: z.number().int(), steps: z.array(UndoStep) }).nullable(),
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
