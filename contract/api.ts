// HTTP request and response bodies of /api/v1 as zod schemas. The API validates with
// them and generates its OpenAPI document from them; the UI and the CLI's remote mode
// import the inferred types.
import { z } from 'zod';
import { JobData, JobProgress, RunSummary, WorkerSnapshot } from './queue.js';
import { PlanId } from './plan.js';
import { ErrorCode, LedgerEntry, PlannedStatement, RunMode, RunResult, RunStatus } from './results.js';

export const API_PREFIX = '/api/v1';
export const ADMIN_PREFIX = `${API_PREFIX}/admin/migrations`;
export const SCHEMA_PREFIX = `${API_PREFIX}/admin/schema`;

export const Role = z.enum(['viewer', 'operator', 'admin']);
export type Role = z.infer<typeof Role>;

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const RunRequest = z
  .object({
    target: z.number().int().positive().optional(),
    reason: z.string().trim().max(500).optional(),
    allOrNothing: z.boolean().optional(),
    /** a plan id (from a dry-run, or a pending migration's planId): refused with 409 when the files changed since */
    plan: PlanId.optional(),
    /** start no earlier than this (ISO 8601 with offset): a scheduled run, waiting as a delayed job */
    at: z.string().datetime({ offset: true }).optional(),
    /** apply even when the live schema drifted from what the applied migrations produce (refused with 409 `drifted` otherwise) */
    allowDrift: z.boolean().optional(),
  })
  .strict();
export type RunRequest = z.infer<typeof RunRequest>;

export const DryRunRequest = z
  .object({
    target: z.number().int().positive().optional(),
    rehearse: z.boolean().default(true),
  })
  .strict();
export type DryRunRequest = z.infer<typeof DryRunRequest>;

export const RestoreRequest = z
  .object({ restorePointId: z.string().min(1).max(200), reason: z.string().trim().max(500).optional() })
  .strict();
export type RestoreRequest = z.infer<typeof RestoreRequest>;

export const UndoRequest = z
  .object({
    /** the version to go back to: every migration applied above it is undone, newest first */
    to: z.number().int().min(0),
    reason: z.string().trim().max(500).optional(),
    /** the undo preview's planId: refused when the down scripts or the applied migrations changed since */
    plan: PlanId.optional(),
  })
  .strict();
export type UndoRequest = z.infer<typeof UndoRequest>;

export const UndoPreviewRequest = z.object({ to: z.number().int().min(0) }).strict();
export type UndoPreviewRequest = z.infer<typeof UndoPreviewRequest>;

export const EnqueuedResponse = z.object({
  jobId: z.string(),
  statusUrl: z.string(),
  eventsUrl: z.string(),
  /** a scheduled run: when it is due (its `at`, or the next maintenance window's opening) */
  scheduledFor: z.string().optional(),
  /** true when the run waits for another admin's approval (DUCKMIG_APPROVALS) before it is queued to run */
  awaitingApproval: z.boolean().optional(),
});
export type EnqueuedResponse = z.infer<typeof EnqueuedResponse>;

/**
 * `RunResult | null` as a union rather than with .nullable(): zod-to-openapi writes a
 * component that it first meets through .nullable() as nullable itself.
 */
const RunResultOrNull = z.union([RunResult, z.null()]);

export const JobState = z.enum(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized', 'waiting-children', 'unknown']);
export type JobState = z.infer<typeof JobState>;

export const JobView = z.object({
  id: z.string(),
  kind: z.string(),
  state: JobState,
  data: JobData,
  progress: JobProgress.nullable(),
  /** the run's result once the job ended, whatever the outcome (null before, or when it ended without one) */
  result: RunResultOrNull,
  /** why the job did not succeed, as a code (null while it runs and when it succeeded) */
  errorCode: ErrorCode.nullable().default(null),
  /** the same for people: BullMQ's reason, explained; never matched by clients */
  failedReason: z.string().nullable(),
  logs: z.array(z.string()),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** who asked to cancel this job (the token name), when someone did */
  cancelledBy: z.string().nullable().optional(),
});
export type JobView = z.infer<typeof JobView>;

export const WorkerLiveness = z.object({
  online: z.boolean(),
  lastHeartbeatAt: z.string().nullable(),
  /** age of the last published snapshot in ms, null when none was ever published */
  snapshotAgeMs: z.number().nullable(),
  busyWith: z.string().nullable(),
});
export type WorkerLiveness = z.infer<typeof WorkerLiveness>;

export const QueueCounts = z.object({
  waiting: z.number().int(),
  active: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  /** of `failed`, the dry-runs: previews that found a problem (they changed nothing) */
  failedDryRuns: z.number().int(),
  delayed: z.number().int(),
  /** paused from outside (bull-board, queue.pause()): no job starts until it is resumed */
  paused: z.boolean(),
});

export const StatusResponse = z.object({
  snapshot: WorkerSnapshot.nullable(),
  worker: WorkerLiveness,
  queue: QueueCounts,
  /** the run job that is waiting or active, if any */
  activeJob: z.object({ jobId: z.string(), kind: z.string(), state: JobState }).nullable(),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

/** A day (YYYY-MM-DD, UTC) or an ISO date-time with offset. */
const HistoryInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** Filters of GET …/history and …/history/export; every one narrows, all together AND. */
export const HistoryFilter = z.object({
  outcome: RunStatus.optional(),
  mode: RunMode.optional(),
  /** part of the requester's token name (case-insensitive) */
  who: z.string().trim().min(1).max(100).optional(),
  /** runs started at or after this instant (a day: from its start) */
  from: HistoryInstant.optional(),
  /** runs started at or before this instant (a day: up to its end) */
  to: HistoryInstant.optional(),
  /** a version number, or part of a migration's name or file (case-insensitive) */
  migration: z.string().trim().min(1).max(200).optional(),
  /** text search in the reason and the errors (case-insensitive) */
  q: z.string().trim().min(1).max(200).optional(),
});
export type HistoryFilter = z.infer<typeof HistoryFilter>;

export const HISTORY_PAGE_MAX = 200;
export const HistoryQuery = HistoryFilter.extend({
  limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryExportQuery = HistoryFilter.extend({ format: z.enum(['csv', 'json']).default('csv') });
export type HistoryExportQuery = z.infer<typeof HistoryExportQuery>;

/** A run of the history, with who cancelled it when it was cancelled through the API. */
export const HistoryRun = RunSummary.extend({ cancelledBy: z.string().optional() });
export type HistoryRun = z.infer<typeof HistoryRun>;

/** Which body GET …/status answers: the small summary pollers want, or the whole snapshot. */
export const StatusView = z.enum(['summary', 'full']);
export type StatusView = z.infer<typeof StatusView>;

/** How many pending migrations the summary names (pendingCount says how many there are). */
export const SUMMARY_PENDING_LIMIT = 20;

/**
 * GET …/status by default: what a poller needs, a few hundred bytes, identical (and
 * served as 304 with its ETag) until the snapshot, the worker's liveness or the queue change.
 */
export const StatusSummary = z.object({
  /** null until the worker has published a snapshot */
  schema: z
    .object({
      currentVersion: z.number().int(),
      latestVersion: z.number().int(),
      pendingCount: z.number().int(),
      /** the first pending migrations, oldest first (at most SUMMARY_PENDING_LIMIT) */
      pending: z.array(z.object({ version: z.number().int(), name: z.string() })),
      /** the plan id of a run applying every pending migration (pin it with run's `plan`) */
      planId: z.string(),
      problems: z.object({ errors: z.number().int(), warnings: z.number().int() }),
      /** when the worker read this status from the database */
      generatedAt: z.string(),
      /** when the worker published it */
      publishedAt: z.string(),
    })
    .nullable(),
  /** liveness without the timestamps that change at every heartbeat (the full view has them) */
  worker: WorkerLiveness.pick({ online: true, busyWith: true }),
  queue: QueueCounts,
  activeJob: StatusResponse.shape.activeJob,
});
export type StatusSummary = z.infer<typeof StatusSummary>;

export const HistoryResponse = z.object({
  /** one page of the runs matching the filters, most recent first */
  runs: z.array(HistoryRun),
  /** how many runs match the filters (all pages) */
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  ledger: z.array(LedgerEntry),
  /** recent queue jobs (all kinds), newest first */
  jobs: z.array(JobView.omit({ logs: true })),
});
export type HistoryResponse = z.infer<typeof HistoryResponse>;

export const WhoAmIResponse = z.object({ name: z.string(), role: Role });
export type WhoAmIResponse = z.infer<typeof WhoAmIResponse>;

/** GET /api/v1/session: whether this browser is signed in (200 either way), and as whom. */
export const SessionCheckResponse = z.discriminatedUnion('signedIn', [
  z.object({ signedIn: z.literal(false) }),
  WhoAmIResponse.extend({ signedIn: z.literal(true) }),
]);
export type SessionCheckResponse = z.infer<typeof SessionCheckResponse>;

/**
 * The live channel's state message: sent first, then whenever the snapshot, the worker's
 * liveness, the queue's counts or the active run change. Unfiltered clients get the whole
 * status (as GET …/status answers it); clients following one job (`?jobId=`) get `worker` only.
 */
export const LiveStatusMessage = z.object({
  type: z.literal('status'),
  worker: WorkerLiveness,
  snapshot: WorkerSnapshot.nullable().optional(),
  queue: QueueCounts.optional(),
  activeJob: StatusResponse.shape.activeJob.optional(),
});
export type LiveStatusMessage = z.infer<typeof LiveStatusMessage>;

/** Why the API cannot tell the current state: its Redis connection is lost. */
export const DegradedReason = z.enum(['redis-unavailable']);
export type DegradedReason = z.infer<typeof DegradedReason>;

/** Messages on the live channel (WebSocket frames / SSE events). */
export const LiveMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), jobId: z.string(), progress: JobProgress }),
  z.object({ type: z.literal('completed'), jobId: z.string(), result: RunResultOrNull, errorCode: ErrorCode.nullable().default(null) }),
  z.object({
    type: z.literal('failed'),
    jobId: z.string(),
    result: RunResultOrNull.default(null),
    errorCode: ErrorCode.nullable().default(null),
    failedReason: z.string(),
  }),
  z.object({ type: z.literal('active'), jobId: z.string() }),
  z.object({ type: z.literal('waiting'), jobId: z.string() }),
  LiveStatusMessage,
  /** the API lost Redis: status and job events stop until `recovered`; what was shown is out of date */
  z.object({ type: z.literal('degraded'), reason: DegradedReason, message: z.string(), since: z.string() }),
  /** Redis answers again; a fresh `status` follows */
  z.object({ type: z.literal('recovered'), reason: DegradedReason }),
]);
export type LiveMessage = z.infer<typeof LiveMessage>;

/** POST /api/v1/session: sign in with a token (or with the Authorization header). */
export const SessionRequest = z.object({ token: z.string().min(1).max(1024) }).strict();
export type SessionRequest = z.infer<typeof SessionRequest>;

/** Answer of POST …/jobs/:id/cancel. */
export const CancelResponse = z.object({
  jobId: z.string(),
  /** removed: the job was still waiting and is gone; cancel-requested: the worker was asked to stop it */
  outcome: z.enum(['removed', 'cancel-requested']),
  /** how many worker processes received the cancel request (0: no worker listening) */
  workersNotified: z.number().int(),
});
export type CancelResponse = z.infer<typeof CancelResponse>;

/** GET …/pending/:version/sql: one page of a pending migration's statements, each capped. */
export const PendingSqlResponse = z.object({
  version: z.number().int(),
  name: z.string(),
  file: z.string(),
  checksum: z.string(),
  sizeBytes: z.number().int(),
  statementCount: z.number().int(),
  offset: z.number().int(),
  /** statements offset … offset + statements.length - 1 */
  statements: z.array(PlannedStatement),
  /** how many statements can be paged through (fewer than statementCount when the worker kept only the first ones) */
  available: z.number().int(),
  /** the byte cap of each statement's text */
  statementPreviewBytes: z.number().int(),
});
export type PendingSqlResponse = z.infer<typeof PendingSqlResponse>;

/** 202 of GET …/schema/diff: the replays still under way (one job per version not cached yet). */
export const SchemaPendingResponse = z.object({ jobs: z.array(EnqueuedResponse) });
export type SchemaPendingResponse = z.infer<typeof SchemaPendingResponse>;
