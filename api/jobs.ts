// Everything the API does with the BullMQ queue: enqueue with the single-in-flight
// rule, read jobs as contract JobViews, list recent jobs, find the run that holds the
// lock, cancel. No HTTP here; routes call these and map outcomes to status codes.
import { randomUUID } from 'node:crypto';
import type { Job, JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { RedisConnection } from '../config/redis-connection.js';
import {
  JobOutcome,
  JobState,
  explainFailedReason,
  type CancelResponse,
  type ErrorCode,
  type JobData,
  type JobDataWithOutcome,
  type JobProgress,
  type JobView,
  type PendingMigration,
  type RunResult,
  type ScheduledRun,
} from '../contract/index.js';
import { ApiError } from './errors.js';
import type { WorkerKeys } from './worker-state.js';

export type MigrationQueue = Queue<JobData>;
export type MigrationJob = Job<JobDataWithOutcome>;

/**
 * Deduplication id shared by run and restore jobs. BullMQ keeps it while the job
 * waits or runs and atomically hands back the holder to any other add(), which is
 * what makes "one run in flight" exact under concurrency and across API instances.
 */
export const RUN_LOCK_ID = 'duckmig-run';

const IN_FLIGHT: ReadonlySet<JobState> = new Set(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);

const BASE_OPTIONS: JobsOptions = {
  attempts: 1, // run jobs are never retried blindly
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
};

export interface Enqueued {
  job: MigrationJob;
  jobId: string;
  /** false when another run/restore job holds the lock: jobId is that job */
  accepted: boolean;
}

/** `delayMs`: a scheduled job, delayed until then (it holds the run lock while it waits). */
export async function enqueue(queue: MigrationQueue, data: JobData, delayMs = 0): Promise<Enqueued> {
  const jobId = randomUUID();
  const exclusive = data.kind === 'run' || data.kind === 'restore' || data.kind === 'undo';
  // one replay per version at a time: concurrent readers of a version share its job
  const dedupe = exclusive ? RUN_LOCK_ID : data.kind === 'schema-at' ? `schema-at:${data.version}` : undefined;
  const job = await queue.add(data.kind, data, {
    ...BASE_OPTIONS,
    jobId,
    ...(delayMs > 0 && { delay: delayMs }),
    ...(dedupe ? { deduplication: { id: dedupe } } : {}),
  });
  const holder = job.id ?? jobId;
  return { job, jobId: holder, accepted: holder === jobId };
}

function toState(state: string): JobState {
  const parsed = JobState.safeParse(state);
  return parsed.success ? parsed.data : 'unknown';
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

export interface JobEnd {
  result: RunResult | null;
  errorCode: ErrorCode | null;
  /** for people only: BullMQ's reason, explained (the one place it is) */
  failedReason: string | null;
}

/**
 * How a job ended, as every reader gets it: the outcome the worker stored in its data.
 * A failed job without one lost its worker before it could store it: crashed.
 */
export function jobEndOf(job: { failedReason?: string; data?: JobDataWithOutcome }): JobEnd {
  const stored = JobOutcome.safeParse(job.data?.outcome);
  const failedReason = job.failedReason ? explainFailedReason(job.failedReason) : null;
  if (stored.success) return { ...stored.data, failedReason };
  return { result: null, errorCode: failedReason !== null ? 'crashed' : null, failedReason };
}

/** The job's request as it was made (the outcome is shown on its own). */
function requestOf(data: JobDataWithOutcome): JobData {
  const { outcome: _outcome, ...request } = data;
  return request;
}

/** A job as the contract's JobView (without logs; add them with `jobWithLogs`). */
export function toJobView(job: MigrationJob, state: string): Omit<JobView, 'logs'> {
  // BullMQ's progress is 0 until the worker reports; only objects are contract progress.
  const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as JobProgress) : null;
  return {
    id: job.id ?? '',
    kind: job.name,
    state: toState(state),
    data: requestOf(job.data),
    progress,
    ...jobEndOf(job),
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
  };
}

/** The full JobView of one job, or null when the queue does not know it; `cancelledBy` looks up who asked to cancel it. */
export async function getJobView(queue: MigrationQueue, jobId: string, cancelledBy?: (jobId: string) => Promise<string | null>): Promise<JobView | null> {
  let job = await queue.getJob(jobId);
  if (!job) return null;
  const [state, { logs }, canceller] = await Promise.all([job.getState(), queue.getJobLogs(jobId), cancelledBy?.(jobId) ?? null]);
  // The job may have ended between reading it and its state: a final state is shown with
  // the job as it ended (its stored reason and outcome), never with the running job.
  if ((state === 'completed' || state === 'failed') && !job.finishedOn) job = (await queue.getJob(jobId)) ?? job;
  return { ...toJobView(job, state), logs, ...(canceller && { cancelledBy: canceller }) };
}

const LISTED_STATES = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

/** The most recent jobs of every kind and state, newest (by creation) first. */
export async function listRecentJobs(queue: MigrationQueue, limit = 50): Promise<Omit<JobView, 'logs'>[]> {
  const perState = await Promise.all(
    LISTED_STATES.map(async (state) => {
      const jobs = await queue.getJobs(state, 0, limit - 1, false);
      // a job removed between listing and fetching comes back undefined
      return jobs.filter(Boolean).map((job) => toJobView(job as MigrationJob, state));
    }),
  );
  return perState
    .flat()
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
    .slice(0, limit);
}

/** Run jobs waiting for their time or a maintenance window (delayed), soonest first; not those only awaiting approval (api/approvals.ts lists them). */
export async function listScheduledRuns(queue: MigrationQueue, pending: readonly PendingMigration[]): Promise<ScheduledRun[]> {
  const jobs = (await queue.getJobs('delayed', 0, 99, true)) as (MigrationJob | undefined)[];
  return jobs
    .filter((job): job is MigrationJob => job?.data.kind === 'run' && !(job.data.approval && !job.data.scheduledFor))
    .map((job) => {
      const data = job.data as Extract<JobData, { kind: 'run' }>;
      return {
        jobId: job.id ?? '',
        scheduledFor: data.scheduledFor ?? new Date(job.timestamp + job.delay).toISOString(),
        requestedBy: data.requestedBy,
        reason: data.reason ?? null,
        target: data.target ?? null,
        createdAt: new Date(job.timestamp).toISOString(),
        plan: data.plan ?? null,
        migrations: scheduledBatch(pending, data.plan, data.target),
        awaitingApproval: data.approval !== undefined && data.approval.decision === undefined,
      };
    })
    .sort((a, b) => Date.parse(a.scheduledFor) - Date.parse(b.scheduledFor));
}

/** A pinned run applies the pending migrations up to its plan's (none when the files changed since); an unpinned one those up to its target. */
function scheduledBatch(pending: readonly PendingMigration[], plan: string | undefined, target: number | undefined): PendingMigration[] {
  if (plan === undefined) return pending.filter((m) => target === undefined || m.version <= target);
  const end = pending.findIndex((m) => m.planId === plan);
  return end < 0 ? [] : pending.slice(0, end + 1);
}

/** The run or restore job that holds the single-in-flight lock, if it is still waiting or active. */
export async function findActiveRun(queue: MigrationQueue): Promise<{ jobId: string; kind: string; state: JobState } | null> {
  const jobId = await queue.getDeduplicationJobId(RUN_LOCK_ID);
  if (!jobId) return null;
  const job = await queue.getJob(jobId);
  if (!job) return null;
  const state = toState(await job.getState());
  return IN_FLIGHT.has(state) ? { jobId, kind: job.name, state } : null;
}

/**
 * Cancels a job: a job that has not started is removed (which also frees the run
 * lock); an active one is announced on the cancel channel, where the worker that runs
 * it calls worker.cancelJob(). A finished job cannot be cancelled (409).
 */
/** How long the API remembers who asked to cancel a job (finished jobs are kept up to the last 1000). */
const CANCELLED_BY_TTL_S = 90 * 24 * 3600;

export async function cancelJob(queue: MigrationQueue, redis: RedisConnection, keys: WorkerKeys, jobId: string, requestedBy: string): Promise<CancelResponse> {
  const job = await queue.getJob(jobId);
  if (!job) throw new ApiError(404, 'job-not-found', `no job ${jobId}`);
  let state = toState(await job.getState());
  if (state !== 'active' && IN_FLIGHT.has(state)) {
    try {
      await job.remove();
      return { jobId, outcome: 'removed', workersNotified: 0 };
    } catch (err) {
      // It was picked up between getState and remove (the job is now locked).
      state = toState(await job.getState());
      if (state !== 'active') throw err;
    }
  }
  if (state === 'active') {
    // recorded before the worker hears it, so whoever reads the cancelled job sees who asked
    await redis.set(keys.cancelledBy(jobId), requestedBy, 'EX', CANCELLED_BY_TTL_S);
    const workersNotified = await redis.publish(keys.cancel, JSON.stringify({ jobId, requestedBy }));
    return { jobId, outcome: 'cancel-requested', workersNotified };
  }
  throw new ApiError(409, 'job-finished', `job ${jobId} is ${state} and cannot be cancelled`, { details: { jobId, state } });
}

/**
 * A queue paused from outside (bull-board's Pause, queue.pause()) starts no job: a
 * request that enqueues is answered at once (409) rather than left waiting for nothing.
 */
export async function refuseWhenPaused(queue: MigrationQueue): Promise<void> {
  if (await queue.isPaused()) {
    throw new ApiError(409, 'queue-paused', `the queue "${queue.name}" is paused (in bull-board, for instance), so no job would start; resume it first`, {
      details: { queue: queue.name },
    });
  }
}

/**
 * Waits up to `ms` for a job to finish. Failing or timing out is not an error here:
 * the caller reads the job's state afterwards and answers 200 or 202.
 */
export async function waitForJob(job: MigrationJob | undefined, queueEvents: QueueEvents, ms: number): Promise<void> {
  if (!job || ms <= 0) return;
  await job.waitUntilFinished(queueEvents, ms).catch(() => undefined);
}
