// What crosses Redis between the API and the worker: the queue name, job payloads,
// job progress, the worker's status snapshot and heartbeat, and the Redis keys that hold them.
import { z } from 'zod';
import { ApprovalRecord, JobApproval } from './approvals.js';
import { RunnerEvent } from './events.js';
import { ErrorCode, MigrationResult, RestorePointRef, RunMode, RunResult, RunStatus, StatusReport } from './results.js';
import { DriftReport } from './drift.js';
import { AppliedFile } from './schema.js';

export const QUEUE_NAME = 'migrations';

/** Redis keys the worker writes and the API reads (their own "duckmig" prefix, beside BullMQ's "bull"). */
export const redisKeys = (queue = QUEUE_NAME, prefix = 'duckmig') => ({
  snapshot: `${prefix}:${queue}:snapshot`,
  /** pub/sub channel: the worker says the snapshot or its liveness changed (message = publishedAt, or "offline") */
  stateChanged: `${prefix}:${queue}:state-changed`,
  heartbeat: `${prefix}:${queue}:heartbeat`,
  /** pub/sub channel asking the worker to cancel a job: message = `{ jobId, requestedBy }` (or a bare job id) */
  cancel: `${prefix}:${queue}:cancel`,
  /** per job: the token name of who asked to cancel it */
  cancelledBy: (jobId: string) => `${prefix}:${queue}:cancelled-by:${jobId}`,
  /** `<accepted>:<job id>` exists once the API told the client it accepted that run or restore */
  accepted: `${prefix}:${queue}:accepted`,
  /** hash: plan id → its last migration and the id of the plan before it (to name what changed) */
  plans: `${prefix}:${queue}:plans`,
  /** list per file checksum: the previewed statements of a pending migration (JSON, capped) */
  pendingSql: (checksum: string) => `${prefix}:${queue}:sql:${checksum}`,
  /** per previewed undo plan id: its UndoPlanRecord (down scripts, destructive statements), kept a while */
  undoPlan: (planId: string) => `${prefix}:${queue}:undo-plan:${planId}`,
  /** per run request awaiting approval: who decided it first (one decision per request) */
  approvalDecided: (jobId: string) => `${prefix}:${queue}:approval-decided:${jobId}`,
  /** the live schema (LiveSchema JSON), beside the snapshot so a large schema never bloats the status */
  schema: `${prefix}:${queue}:schema`,
  /** the schema replayed at one applied version (VersionSchema JSON, kept for a while) */
  schemaAt: (version: number) => `${prefix}:${queue}:schema-at:${version}`,
  /** the schema the applied files produce, as drift checks expect it (ExpectedSchemaRecord JSON), so a restarted worker need not replay them */
  driftExpected: `${prefix}:${queue}:drift-expected`,
});

/** How long a replayed schema stays cached (it holds while its applied files are unchanged). */
export const SCHEMA_AT_TTL_MS = 7 * 24 * 3600 * 1000;

/** The heartbeat key expires after this long without a refresh: the worker is then offline. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const HEARTBEAT_TTL_MS = 10_000;

const Requester = z.object({
  /** token name of who asked (recorded as applied_by) */
  requestedBy: z.string().min(1).max(100),
  reason: z.string().max(500).optional(),
});

/**
 * Runs and restores carry a deadline: a job the API did not confirm (`accepted` key) by
 * then is refused by the worker, since its client was told it failed (an enqueue that
 * reached a frozen Redis only after the API gave up on it).
 */
const Deadline = z.object({ notAfter: z.string().datetime({ offset: true }).optional() });

export const RunJobData = Requester.extend(Deadline.shape).extend({
  kind: z.literal('run'),
  target: z.number().int().positive().optional(),
  allOrNothing: z.boolean().optional(),
  /** the pinned plan id: the worker refuses the run when the pending files differ */
  plan: z.string().optional(),
  /** times the worker put the run back to wait for a maintenance window (each start counts as an attempt) */
  windowWaits: z.number().int().min(0).optional(),
  /** a scheduled run: when it is due (its `at`, or when a maintenance window opens) */
  scheduledFor: z.string().datetime({ offset: true }).optional(),
  /** apply even when the live schema drifted from what the applied migrations produce */
  allowDrift: z.boolean().optional(),
  /** present when the run needs another admin's approval (DUCKMIG_APPROVALS): it waits, delayed, until decided */
  approval: JobApproval.optional(),
});
export const DryRunJobData = Requester.extend({
  kind: z.literal('dry-run'),
  target: z.number().int().positive().optional(),
  rehearse: z.boolean(),
});
export const RestoreJobData = Requester.extend(Deadline.shape).extend({
  kind: z.literal('restore'),
  restorePointId: z.string().min(1),
});
/** Runs the down scripts of the migrations applied above `to`, newest first (admins only). */
export const UndoJobData = Requester.extend(Deadline.shape).extend({
  kind: z.literal('undo'),
  to: z.number().int().min(0),
  /** the undo preview's plan id: refused when the down scripts or the applied set differ */
  plan: z.string().optional(),
  /** present when the undo needs another admin's approval (DUCKMIG_APPROVALS): it waits, delayed, until decided */
  approval: JobApproval.optional(),
});
/** Rehearses an undo on a copy of the database: schema diff, dropped data with row counts, plan id. */
export const UndoPreviewJobData = Requester.extend({
  kind: z.literal('undo-preview'),
  to: z.number().int().min(0),
});
/** Replays the applied files up to `version` on an empty database and caches the schema (keys.schemaAt). */
export const SchemaAtJobData = Requester.extend({
  kind: z.literal('schema-at'),
  version: z.number().int().min(0),
  /** the files to replay, as the ledger says they were applied (versions ≤ version, in order) */
  applied: z.array(AppliedFile),
});
export const JobData = z.discriminatedUnion('kind', [RunJobData, DryRunJobData, RestoreJobData, UndoJobData, UndoPreviewJobData, SchemaAtJobData]);
export type JobData = z.infer<typeof JobData>;
export type JobKind = JobData['kind'];

/** What job.updateProgress() carries: the runner event plus overall progress. */
export const JobProgress = z.object({
  /** increases by one per event within a job, so clients can order and de-duplicate */
  seq: z.number().int(),
  percent: z.number().min(0).max(100),
  at: z.string(),
  event: RunnerEvent,
});
export type JobProgress = z.infer<typeof JobProgress>;

/**
 * How a job ended: its RunResult (null when it ended before the run produced one) and,
 * unless it succeeded, why as a code. The worker writes it into the job's data before the
 * job settles, completed or failed alike (see JobDataWithOutcome).
 */
export const JobOutcome = z.object({
  result: RunResult.nullable(),
  errorCode: ErrorCode.nullable(),
});
export type JobOutcome = z.infer<typeof JobOutcome>;

/**
 * A job's data once it ended. BullMQ keeps a return value only for a completed job, but
 * data for both, so the outcome lives here and every reader looks in one place.
 */
export type JobDataWithOutcome = JobData & { outcome?: JobOutcome };

/** BullMQ's failedReason for a job whose worker died while running it (maxStalledCount 0). */
export const STALLED_FAILED_REASON = 'job stalled more than allowable limit';

/** What a job that lost its worker means for the database; the worker logs it on the job. */
export const WORKER_DIED_MESSAGE =
  'the worker died during the run (killed or crashed) and the job was not run again; the database is ' +
  'consistent: each migration commits atomically with its ledger row, so a migration that was still ' +
  'running is not applied at all; the status shows what is applied and pending: re-run to continue';

/** The failedReason to show for a job: BullMQ's generic stall message explained, others as they are. */
export function explainFailedReason(reason: string): string {
  return reason === STALLED_FAILED_REASON ? `${WORKER_DIED_MESSAGE} (${reason})` : reason;
}

/** One run kept in the database's own history table (schema_migration_runs). */
export const RunSummary = z.object({
  runId: z.string(),
  jobId: z.string().nullable(),
  mode: RunMode,
  status: RunStatus,
  requestedBy: z.string().nullable(),
  reason: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  error: z.string().nullable(),
  migrations: z.array(MigrationResult),
  /** the restore point taken before this run applied anything (or restored, for mode 'restore') */
  restorePoint: RestorePointRef.nullable().optional(),
  /** restore only: the restore point of the state it replaced */
  undoPoint: RestorePointRef.nullable().optional(),
  /** who approved the run, when it needed approval */
  approval: ApprovalRecord.optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const WorkerInfo = z.object({
  id: z.string(),
  pid: z.number().int(),
  host: z.string(),
  startedAt: z.string(),
  version: z.string(),
});
export type WorkerInfo = z.infer<typeof WorkerInfo>;

/** Published by the worker at start-up and after every job. */
export const WorkerSnapshot = z.object({
  worker: WorkerInfo,
  publishedAt: z.string(),
  status: StatusReport,
  /** most recent runs first */
  runs: z.array(RunSummary),
  /** restore points on the worker's disk, newest first (what POST …/restore accepts) */
  restorePoints: z.array(RestorePointRef).default([]),
  /** the last drift check (null until the first one ended) */
  drift: DriftReport.nullable().default(null),
  /** recent approval decisions (schema_migration_approvals), newest first */
  approvals: z.array(ApprovalRecord).default([]),
});
export type WorkerSnapshot = z.infer<typeof WorkerSnapshot>;

export const Heartbeat = z.object({ workerId: z.string(), at: z.string(), busyWith: z.string().nullable() });
export type Heartbeat = z.infer<typeof Heartbeat>;
