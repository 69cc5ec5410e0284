// The BullMQ job processor: one job = one call on the worker's database. `run` applies
// (taking a restore point first, when enabled), `dry-run` plans (and rehearses),
// `restore` puts a restore point back. The job's outcome follows the run's: success /
// nothing-to-do complete with the RunResult as return value; failed / cancelled /
// invalid throw UnrecoverableError (never retried) whose message is the runner's error,
// while the full RunResult rides on the job's last progress. After every job, before
// BullMQ hears the outcome, the snapshot is republished, so a client that sees
// `completed` reads a current status.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { JobData, WORKER_DIED_MESSAGE, type JobProgress, type PlanEntry, type RunResult } from '../contract/index.js';
import type { DatabaseOwner } from './database-owner.js';
import { createProgressReporter } from './progress.js';
import { expiredMessage } from './run-deadline.js';
import { RestorePointError, errorExcerpt } from '../core/index.js';

/** A schema-at job's return value is null: its schema goes to the cache (keys.schemaAt). */
export type MigrationJob = Job<JobData, RunResult | null, string, JobProgress>;

export interface ProcessorDeps {
  /** the database and its runner; every use goes through owner.exclusive() */
  owner: DatabaseOwner;
  logger: Logger;
  /** runs after every job, before BullMQ records its outcome: publishes the snapshot */
  afterJob: (result: RunResult | null) => Promise<void>;
  /** the job in progress changed (heartbeat's busyWith) */
  onBusy?: (jobId: string | null) => void;
  /** for runs and restores with a deadline: true once the API confirmed the job (run-deadline.ts) */
  confirmed?: (jobId: string, notAfterMs: number) => Promise<boolean>;
  /** what a pinned plan contained (published plan links), so a refusal names each changed file */
  lookupPlan?: (planId: string) => Promise<PlanEntry[] | null>;
  /** replays the applied files up to a version and caches its schema ('schema-at' jobs) */
  schemaAt?: (data: Extract<JobData, { kind: 'schema-at' }>) => Promise<void>;
}

/** The job's failedReason for a run that did not succeed. */
export function failureReason(kind: JobData['kind'], result: RunResult, signal?: AbortSignal): string {
  const what = kind;
  const error = result.error ?? result.migrations.find((m) => m.error)?.error?.message ?? result.status;
  switch (result.status) {
    case 'cancelled': {
      const reason = signal?.aborted && signal.reason ? String(signal.reason) : 'cancelled';
      return `${what} cancelled (${reason}); the migration in progress was rolled back: ${error}`;
    }
    case 'invalid':
      return `${what} refused, nothing was applied: ${error}`;
    default:
      return result.migrations.some((m) => m.status === 'failed')
        ? `${what} failed; the failing migration was rolled back: ${error}`
        : `${what} failed: ${error}`;
  }
}

export function createProcessor(deps: ProcessorDeps) {
  const { owner, logger, afterJob, onBusy, confirmed, lookupPlan, schemaAt } = deps;

  // Three declared parameters: BullMQ only creates the AbortSignal (cancelJob) for
  // processors whose length is at least 3.
  return async function processMigrationJob(job: MigrationJob, _token: string | undefined, signal: AbortSignal | undefined): Promise<RunResult | null> {
    const jobId = job.id ?? 'unknown';
    const log = logger.child({ jobId, kind: job.name });

    const parsed = JobData.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`invalid job data: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    const data = parsed.data;
    if (job.stalledCounter > 0) {
      // Only reached when a queue allows stalls (maxStalledCount > 0): this worker never
      // re-runs a job whose worker died; the ledger already shows what that run committed.
      await job.log(WORKER_DIED_MESSAGE).catch(() => undefined);
      throw new UnrecoverableError(WORKER_DIED_MESSAGE);
    }
    if (job.attemptsStarted > 1) {
      throw new UnrecoverableError('this job already started once; duckmig never retries a run: enqueue a new one to continue with what is pending');
    }
    if ((data.kind === 'run' || data.kind === 'restore') && data.notAfter && confirmed && !(await confirmed(jobId, Date.parse(data.notAfter)))) {
      log.warn({ event: 'job:expired', notAfter: data.notAfter }, `job ${jobId} refused: not confirmed by its deadline`);
      throw new UnrecoverableError(expiredMessage(data.kind, data.notAfter));
    }

    if (data.kind === 'schema-at') {
      // reads files and an in-memory database only: no progress, no snapshot to refresh
      if (!schemaAt) throw new UnrecoverableError('this worker does not replay schemas');
      onBusy?.(jobId);
      try {
        await schemaAt(data);
      } catch (err) {
        log.warn({ event: 'job:failed', reason: (err as Error)?.message }, `job ${jobId} (schema-at ${data.version}) failed`);
        throw new UnrecoverableError(errorExcerpt(`the schema at version ${data.version} could not be replayed: ${(err as Error)?.message ?? String(err)}`));
      } finally {
        onBusy?.(null);
      }
      log.info({ event: 'job:done', version: data.version }, `job ${jobId} (schema-at ${data.version}) done`);
      return null;
    }

    const reporter = createProgressReporter(job, log);
    let result: RunResult | null = null;
    let crash: unknown;
    onBusy?.(jobId);
    try {
      log.info({ event: 'job:start', requestedBy: data.requestedBy }, `job ${jobId} (${data.kind}) started`);
      if (data.kind === 'restore') {
        const { restorePointId: id, requestedBy, reason } = data;
        result = await owner.restore({ id, requestedBy, reason, jobId, emit: reporter.onEvent });
      } else {
        const previewedPlan = data.kind === 'run' && data.plan ? ((await lookupPlan?.(data.plan).catch(() => null)) ?? undefined) : undefined;
        result = await owner.exclusive((held) => {
          const unsubscribe = held.runner.events.onEvent(reporter.onEvent);
          const call =
            data.kind === 'run'
              ? held.runner.run({
                  target: data.target,
                  allOrNothing: data.allOrNothing,
                  appliedBy: data.requestedBy,
                  reason: data.reason,
                  jobId,
                  signal,
                  plan: data.plan,
                  previewedPlan,
                  beforeApply: owner.restorePointHook(held, data.reason ?? `before job ${jobId}`),
                })
              : held.runner.dryRun({ target: data.target, rehearse: data.rehearse, jobId, signal });
          return call.finally(unsubscribe);
        });
      }
    } catch (err) {
      crash = err;
      if (data.kind === 'run') {
        // the run history says so now rather than at the next start (when the file still takes writes)
        const why = `the run ended without a result: ${(err as Error)?.message ?? String(err)}`;
        await owner.exclusive(({ runner }) => runner.recordCrashedRuns(why)).catch((e: unknown) => log.warn({ err: e }, 'crashed run not recorded yet; the next start records it'));
      }
    } finally {
      // the last progress and the snapshot go out together, both before BullMQ hears the outcome
      await Promise.all([
        reporter.finish(result).then(() => (crash ? reporter.log(`job ended without a result: ${(crash as Error).message ?? String(crash)}`) : undefined)),
        afterJob(result).catch((err: unknown) => log.warn({ err }, 'snapshot not published after the job')),
      ]);
      onBusy?.(null);
    }

    if (crash instanceof RestorePointError) {
      // an unknown or damaged restore point: refused before the database was touched
      log.warn({ event: 'job:refused', reason: crash.message }, `job ${jobId} refused`);
      throw new UnrecoverableError(`restore refused, nothing was changed: ${crash.message}`);
    }
    if (crash || !result) {
      // unexpected (the runner returns a result for every migration failure): never retry blindly
      log.error({ err: crash, event: 'job:crashed' }, `job ${jobId} crashed`);
      throw new UnrecoverableError(errorExcerpt(`${data.kind} crashed: ${(crash as Error)?.message ?? String(crash)}`));
    }
    log.info({ event: 'job:done', status: result.status, durationMs: result.durationMs }, `job ${jobId} (${data.kind}) ${result.status}`);
    if (result.status === 'success' || result.status === 'nothing-to-do') return result;
    throw new UnrecoverableError(errorExcerpt(failureReason(data.kind, result, signal)));
  };
}
