// The API's half of approvals (the worker's is worker/approval-gate.ts). A run or undo that
// needs approval is added to the queue as a delayed job: it holds the single-run slot
// from the start (the same deduplication id as any run), carries its pinned plan and its
// approval, and cannot start before its approval window ends. Whether an undo needs one
// under the destructive policy comes from its previewed plan (keys.undoPlan). A decision (approve,
// reject, withdraw) is written into the job's data once (a Redis NX key makes it the only
// one) and the job is promoted: the worker records the decision in the database and runs
// the job, or ends it with the decision's code. Why this design: docs/governance.md#approvals.
import type { RedisConnection } from '../config/redis-connection.js';
import {
  ADMIN_PREFIX,
  type ApprovalDecisionResponse,
  type ApprovalPolicy,
  type AwaitingApproval,
  type JobApproval,
  type JobData,
  type PendingMigration,
  UndoPlanRecord,
} from '../contract/index.js';
import type { Principal } from './context.js';
import { ApiError } from './errors.js';
import type { MigrationJob, MigrationQueue } from './jobs.js';
import { acceptedKey, confirmWithinDeadline } from './run-deadline.js';
import type { WorkerKeys } from './worker-state.js';

/** How long a run request waits for a decision before the worker records it as expired (3 days). */
export const APPROVAL_WINDOW_MS = 3 * 24 * 3600 * 1000;

type RunData = Extract<JobData, { kind: 'run' | 'undo' }>;

/** Whether a run of `batch` (the pending migrations it would apply) needs approval under `policy`. */
export function needsApproval(policy: ApprovalPolicy, batch: readonly PendingMigration[]): boolean {
  if (policy === 'off') return false;
  return policy === 'all' || batch.some((m) => (m.destructive ?? []).length > 0);
}

/** The approval a new request carries; a scheduled run (`due`) must be decided by its time. */
export function newApproval(policy: Exclude<ApprovalPolicy, 'off'>, due?: string, now = Date.now()): JobApproval {
  return { policy, requestedAt: new Date(now).toISOString(), expiresAt: due ?? new Date(now + APPROVAL_WINDOW_MS).toISOString() };
}

/** A previewed undo's plan as the worker kept it, or null (never previewed, or forgotten). */
export async function readUndoPlan(redis: RedisConnection, keys: WorkerKeys, planId: string): Promise<UndoPlanRecord | null> {
  const raw = await redis.get(keys.undoPlan(planId));
  if (raw === null) return null;
  const parsed = UndoPlanRecord.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : null;
}

/** Whether an undo pinned to `plan` needs approval under `policy`: one whose down scripts are unknown counts as destructive. */
export function undoNeedsApproval(policy: ApprovalPolicy, plan: UndoPlanRecord | null): boolean {
  if (policy === 'off') return false;
  return policy === 'all' || plan === null || plan.steps.some((s) => (s.destructive ?? []).length > 0);
}

/** The approval of a job still awaiting a decision, or null. */
function awaitingOf(job: MigrationJob | undefined): (RunData & { approval: JobApproval }) | null {
  const data = job?.data;
  if (!data || (data.kind !== 'run' && data.kind !== 'undo') || !data.approval || data.approval.decision) return null;
  return data as RunData & { approval: JobApproval };
}

/** Why `principal` may not approve or reject a request of `requestedBy`, or null when they may. */
export function whyNotDecide(principal: Principal, requestedBy: string): string | null {
  if (principal.role !== 'admin') return `only an admin may approve or reject; "${principal.name}" is ${principal.role}`;
  if (principal.name === requestedBy) return `"${principal.name}" requested this: another admin must decide on it`;
  return null;
}

/** The run and undo requests awaiting a decision, oldest first: a run's migrations by the latest status, an undo's down scripts by its preview. */
export async function listAwaiting(
  queue: MigrationQueue,
  principal: Principal,
  pending: readonly PendingMigration[],
  undoPlan: (planId: string) => Promise<UndoPlanRecord | null>,
): Promise<AwaitingApproval[]> {
  const delayed = (await queue.getJobs('delayed', 0, 99, true)) as (MigrationJob | undefined)[];
  const out: AwaitingApproval[] = [];
  for (const job of delayed) {
    const data = awaitingOf(job);
    if (!job?.id || !data) continue;
    // the plan's migrations: those up to the one whose plan id it is (none when the files changed since)
    const end = data.kind === 'run' ? pending.findIndex((m) => m.planId === data.plan) : -1;
    const undo = data.kind === 'undo' ? { to: data.to, steps: (data.plan ? await undoPlan(data.plan) : null)?.steps ?? [] } : null;
    const whyNot = whyNotDecide(principal, data.requestedBy);
    out.push({
      jobId: job.id,
      kind: data.kind,
      requestedBy: data.requestedBy,
      requestedAt: data.approval.requestedAt,
      expiresAt: data.approval.expiresAt,
      reason: data.reason ?? null,
      policy: data.approval.policy,
      plan: data.plan ?? null,
      target: data.kind === 'run' ? (data.target ?? null) : null,
      migrations: end < 0 ? [] : pending.slice(0, end + 1),
      undo,
      youMayDecide: whyNot === null,
      whyNot,
      youMayWithdraw: principal.name === data.requestedBy,
    });
  }
  return out.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
}

export interface DecideOptions {
  queue: MigrationQueue;
  redis: RedisConnection;
  keys: WorkerKeys;
  /** an approved run is confirmed again with this deadline (run-deadline.ts) */
  runDeadlineMs: number;
}

/**
 * Decides a request awaiting approval: approve or reject (an admin other than its
 * requester), or withdraw (its requester). Exactly one decision wins; the job then goes to
 * the worker, which records it and runs the job or ends it.
 */
export async function decide(
  { queue, redis, keys, runDeadlineMs }: DecideOptions,
  jobId: string,
  principal: Principal,
  decision: 'approved' | 'rejected' | 'withdrawn',
  comment: string | undefined,
): Promise<ApprovalDecisionResponse> {
  const job = (await queue.getJob(jobId)) as MigrationJob | undefined;
  const data = awaitingOf(job);
  if (!job || !data) {
    const decided = (job?.data.kind === 'run' || job?.data.kind === 'undo') && job.data.approval?.decision;
    if (decided) throw new ApiError(409, 'approval-decided', `${job.data.kind} ${jobId} was already ${decided}`, { details: { jobId, decision: decided } });
    throw new ApiError(404, 'approval-not-found', `no run or undo request ${jobId} is awaiting approval`);
  }
  if (decision === 'withdrawn') {
    if (principal.name !== data.requestedBy) {
      throw new ApiError(403, 'not-requester', `only "${data.requestedBy}", who requested ${data.kind} ${jobId}, may withdraw it`, { details: { requestedBy: data.requestedBy } });
    }
  } else {
    const whyNot = whyNotDecide(principal, data.requestedBy);
    if (whyNot) throw new ApiError(403, principal.role === 'admin' ? 'self-approval' : 'forbidden', whyNot, { details: { requestedBy: data.requestedBy } });
  }
  const ttlMs = Math.max(60_000, Date.parse(data.approval.expiresAt) - Date.now() + APPROVAL_WINDOW_MS);
  const first = await redis.set(keys.approvalDecided(jobId), `${decision}:${principal.name}`, 'PX', ttlMs, 'NX');
  if (first !== 'OK') throw new ApiError(409, 'approval-decided', `${data.kind} ${jobId} was decided already`, { details: { jobId } });

  const approval: JobApproval = { ...data.approval, decision, decidedBy: principal.name, decidedAt: new Date().toISOString(), ...(comment && { comment }) };
  await job.updateData({ ...data, approval });
  // an approved run starts a new deadline, as if requested now: the worker refuses it unless confirmed
  if (decision === 'approved') await confirmWithinDeadline(redis, acceptedKey(keys.accepted, jobId), Date.now() + runDeadlineMs);
  // a scheduled run, once approved, still waits for its time; anything else goes to the worker now
  const scheduled = decision === 'approved' && data.kind === 'run' && data.scheduledFor !== undefined && Date.parse(data.scheduledFor) > Date.now();
  if (!scheduled) await job.promote();
  return { jobId, decision, statusUrl: `${ADMIN_PREFIX}/jobs/${encodeURIComponent(jobId)}` };
}
