// The BullMQ job processor: one job = one runner call on the worker's connection.
// `run` applies, `dry-run` plans (and rehearses), `restore` is not there yet (issue 5).
// The job's outcome follows the run's: success / nothing-to-do complete with the
// RunResult as return value; failed / cancelled / invalid throw UnrecoverableError
// (never retried) whose message is the runner's error, while the full RunResult rides
// on the job's last progress. After every job, before BullMQ hears the outcome, the
// snapshot is republished, so a client that sees `completed` reads a current status.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { JobData, WORKER_DIED_MESSAGE, type JobProgress, type RunResult } from '../contract/index.js';
import { createProgressReporter } from './progress.js';
import type { MigrationRunner } from './runner/index.js';

export type MigrationJob = Job<JobData, RunResult, string, JobProgress>;

export interface ProcessorDeps {
  runner: MigrationRunner;
  logger: Logger;
  /** runs after every job, while the database connection is free: publishes the snapshot */
  afterJob: () => Promise<void>;
  /** the job in progress changed (heartbeat's busyWith) */
  onBusy?: (jobId: string | null) => void;
}

export const RESTORE_NOT_SUPPORTED =
  'restore is not supported yet (restore points arrive with issue 5); nothing was changed';

/** The job's failedReason for a run that did not succeed. */
export function failureReason(kind: 'run' | 'dry-run', result: RunResult, signal?: AbortSignal): string {
  const what = kind === 'run' ? 'run' : 'dry-run';
  const error = result.error ?? result.migrations.find((m) => m.error)?.error?.message ?? result.status;
  switch (result.status) {
    case 'cancelled': {
      const reason = signal?.aborted && signal.reason ? String(signal.reason) : 'cancelled';
      return `${what} cancelled (${reason}); the migration in progress was rolled back: ${error}`;
    }
    case 'invalid':
      return `${what} refused, nothing was applied: ${error}`;
    default:
      return `${what} failed; the failing migration was rolled back: ${error}`;
  }
}

export function createProcessor(deps: ProcessorDeps) {
  const { runner, logger, afterJob, onBusy } = deps;

  // Three declared parameters: BullMQ only creates the AbortSignal (cancelJob) for
  // processors whose length is at least 3.
  return async function processMigrationJob(job: MigrationJob, _token: string | undefined, signal: AbortSignal | undefined): Promise<RunResult> {
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
    if (data.kind === 'restore') throw new UnrecoverableError(RESTORE_NOT_SUPPORTED);

    const reporter = createProgressReporter(job, log);
    const unsubscribe = runner.events.onEvent(reporter.onEvent);
    let result: RunResult | null = null;
    let crash: unknown;
    onBusy?.(jobId);
    try {
      log.info({ event: 'job:start', requestedBy: data.requestedBy }, `job ${jobId} (${data.kind}) started`);
      result =
        data.kind === 'run'
          ? await runner.run({
              target: data.target,
              allOrNothing: data.allOrNothing,
              appliedBy: data.requestedBy,
              reason: data.reason,
              jobId,
              signal,
            })
          : await runner.dryRun({ target: data.target, rehearse: data.rehearse, jobId, signal });
    } catch (err) {
      crash = err;
    } finally {
      unsubscribe();
      await reporter.finish(result);
      if (crash) await reporter.log(`job crashed: ${(crash as Error).message ?? String(crash)}`);
      try {
        await afterJob();
      } catch (err) {
        log.warn({ err }, 'snapshot not published after the job');
      }
      onBusy?.(null);
    }

    if (crash || !result) {
      log.error({ err: crash, event: 'job:crashed' }, `job ${jobId} crashed`);
      // unexpected (the runner returns a result for every migration failure): never retry blindly
      throw new UnrecoverableError(`${data.kind} crashed: ${(crash as Error)?.message ?? String(crash)}`);
    }
    log.info({ event: 'job:done', status: result.status, durationMs: result.durationMs }, `job ${jobId} (${data.kind}) ${result.status}`);
    if (result.status === 'success' || result.status === 'nothing-to-do') return result;
    throw new UnrecoverableError(failureReason(data.kind, result, signal));
  };
}
