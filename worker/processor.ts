// The BullMQ job processor: one job = one call on the worker's database. `run` applies
// (taking a restore point first, when enabled), `dry-run` plans (and rehearses),
// `undo` runs down scripts (a restore point first, too) and `undo-preview` rehearses them,
// `restore` puts a restore point back, each under the job id as its run id; `schema-at`
// replays the schema at a version (its outcome has no result). Every job,
// whatever its end, stores its outcome (RunResult or null, and an error code) in its data
// before it settles; success / nothing-to-do then complete (the return value repeats the
// result for bull-board), everything else throws UnrecoverableError (never retried) whose
// message is for people. After every job, before BullMQ hears the outcome, the snapshot is
// republished, so a client that sees `completed` reads a current status. Runs announce
// run.started and their end (notify), undos undo.started and theirs; a run due outside every maintenance window waits
// for the next one (moved back to delayed) or is refused, by the policy. A run that needed
// approval (a run or an undo) records its decision (approval-gate.ts) and runs only when approved.
// A successful undo preview hands its plan to rememberUndoPlan, so the API can tell whether
// an undo pinned to it runs destructive down scripts.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { JobData, WORKER_DIED_MESSAGE, type ErrorCode, type JobDataWithOutcome, type JobOutcome, type JobProgress, type NotificationInput, type PlanEntry, type RunResult, type RunSummary } from '../contract/index.js';
import { historyRowOf } from '../core/finished-run.js';
import type { MaintenanceSettings } from '../config/governance.js';
import { nextWindowOpening, windowOpenAt } from '../core/maintenance-window.js';
import type { DatabaseOwner } from './database-owner.js';
import { approvalGate } from './approval-gate.js';
import { createProgressReporter } from './progress.js';
import { expiredMessage } from './run-deadline.js';
import { isAnnounced, runEnded, runStarted } from './run-notifications.js';
import { RestorePointError, errorExcerpt } from '../core/index.js';

/** A schema-at job's return value is null: its schema goes to the cache (keys.schemaAt). */
export type MigrationJob = Job<JobDataWithOutcome, RunResult | null, string, JobProgress>;

export interface ProcessorDeps {
  /** the database and its runner; every use goes through owner.exclusive() */
  owner: DatabaseOwner;
  logger: Logger;
  /**
   * runs after every job, before BullMQ records its outcome: publishes the snapshot;
   * `onlyRow`: the history row of a run that applied nothing, the one change it made
   */
  afterJob: (result: RunResult | null, onlyRow?: RunSummary) => Promise<void>;
  /** the job in progress changed (heartbeat's busyWith) */
  onBusy?: (jobId: string | null) => void;
  /** for runs and restores with a deadline: true once the API confirmed the job (run-deadline.ts) */
  confirmed?: (jobId: string, notAfterMs: number) => Promise<boolean>;
  /** what a pinned plan contained (published plan links), so a refusal names each changed file */
  lookupPlan?: (planId: string) => Promise<PlanEntry[] | null>;
  /** replays the applied files up to a version and caches its schema ('schema-at' jobs) */
  schemaAt?: (data: Extract<JobData, { kind: 'schema-at' }>) => Promise<void>;
  /** announces run events to webhooks (notify/notifier.ts); never throws */
  notify?: (input: NotificationInput) => Promise<void>;
  /** when runs may start; checked again when a run job starts */
  maintenance?: MaintenanceSettings;
  /** keeps a previewed undo's plan (its down scripts and what in them is destructive) for the API */
  rememberUndoPlan?: (result: RunResult) => Promise<void>;
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

/**
 * The history row a run that applied nothing wrote, as the history reads it back (the
 * runner records it from the same result and request); undefined for every other job, and
 * for a run that also recorded an approval.
 */
function onlyHistoryRow(data: JobData, jobId: string, result: RunResult | null): RunSummary | undefined {
  if (data.kind !== 'run' || data.approval || result?.mode !== 'apply' || result.status !== 'nothing-to-do') return undefined;
  return historyRowOf(result, { jobId, requestedBy: data.requestedBy, reason: data.reason });
}

/** null for a run that succeeded; otherwise the code the core set (a result without one is a bug: 'internal'). */
export function errorCodeOf(result: RunResult): ErrorCode | null {
  if (result.status === 'success' || result.status === 'nothing-to-do') return null;
  return result.errorCode ?? 'internal';
}

export function createProcessor(deps: ProcessorDeps) {
  const { owner, logger, afterJob, onBusy, confirmed, lookupPlan, schemaAt, notify = async () => undefined, maintenance, rememberUndoPlan } = deps;

  // In the job's data, not its return value: BullMQ keeps a return value only for a
  // completed job, data for a failed one too, so every reader looks in one place.
  const storeOutcome = (job: MigrationJob, outcome: JobOutcome, log: Logger) =>
    job.updateData({ ...job.data, outcome }).catch((err: unknown) => log.warn({ err }, 'job outcome not stored'));
  const refuse = async (job: MigrationJob, log: Logger, errorCode: ErrorCode, message: string, data?: JobData) => {
    await storeOutcome(job, { result: null, errorCode }, log);
    if (data && isAnnounced(data)) await notify(runEnded(job.id ?? 'unknown', data, null, errorCode, message));
    return new UnrecoverableError(message);
  };

  // Three declared parameters: BullMQ only creates the AbortSignal (cancelJob) for
  // processors whose length is at least 3.
  return async function processMigrationJob(job: MigrationJob, token: string | undefined, signal: AbortSignal | undefined): Promise<RunResult | null> {
    const jobId = job.id ?? 'unknown';
    const log = logger.child({ jobId, kind: job.name });

    const parsed = JobData.safeParse(job.data);
    if (!parsed.success) {
      throw await refuse(job, log, 'internal', `invalid job data: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    const data = parsed.data;
    if (job.stalledCounter > 0) {
      // Only reached when a queue allows stalls (maxStalledCount > 0): this worker never
      // re-runs a job whose worker died; the ledger already shows what that run committed.
      await job.log(WORKER_DIED_MESSAGE).catch(() => undefined);
      throw await refuse(job, log, 'crashed', WORKER_DIED_MESSAGE, data);
    }
    // each wait for a maintenance window started the job once more without running it
    const windowWaits = data.kind === 'run' ? (data.windowWaits ?? 0) : 0;
    if (job.attemptsStarted > 1 + windowWaits) {
      throw await refuse(job, log, 'crashed', 'this job already started once; duckmig never retries a run: enqueue a new one to continue with what is pending', data);
    }
    if ((data.kind === 'run' || data.kind === 'restore' || data.kind === 'undo') && data.notAfter && confirmed && !(await confirmed(jobId, Date.parse(data.notAfter)))) {
      log.warn({ event: 'job:expired', notAfter: data.notAfter }, `job ${jobId} refused: not confirmed by its deadline`);
      throw await refuse(job, log, 'deadline-passed', expiredMessage(data.kind, data.notAfter), data);
    }
    // a request that was not approved ends now, windows or not; an approved one is recorded when it runs
    const gate = isAnnounced(data) && data.approval ? approvalGate(jobId, { ...data, approval: data.approval }) : null;
    if (gate?.refusal) {
      await owner.exclusive(({ runner }) => runner.recordApproval(gate.record));
      log.info({ event: 'job:approval', decision: gate.record.decision, decidedBy: gate.record.decidedBy }, `job ${jobId} ${gate.record.decision}`);
      const error = await refuse(job, log, gate.refusal.errorCode, gate.refusal.message, data);
      await afterJob(null).catch((err: unknown) => log.warn({ err }, 'snapshot not published after the job'));
      throw error;
    }
    if (data.kind === 'run' && maintenance && !windowOpenAt(maintenance.windows, Date.now())) {
      const next = new Date(nextWindowOpening(maintenance.windows, Date.now())).toISOString();
      if (maintenance.policy === 'wait' && token) {
        await job.updateData({ ...job.data, kind: 'run', windowWaits: windowWaits + 1, scheduledFor: next });
        await job.moveToDelayed(Date.parse(next), token);
        const why = `became due outside the maintenance window: waits until ${next}`;
        await job.log(why).catch(() => undefined);
        log.info({ event: 'job:window-wait', next }, `job ${jobId} ${why}`);
        throw new DelayedError();
      }
      log.warn({ event: 'job:outside-window', next }, `job ${jobId} refused: outside the maintenance window`);
      throw await refuse(job, log, 'outside-maintenance-window', `run refused, nothing was applied: it became due outside the maintenance window (the next opens at ${next})`, data);
    }

    if (gate) {
      await owner.exclusive(({ runner }) => runner.recordApproval(gate.record));
      log.info({ event: 'job:approval', decision: gate.record.decision, decidedBy: gate.record.decidedBy }, `job ${jobId} approved`);
    }

    if (data.kind === 'schema-at') {
      // reads files and an in-memory database only: no progress, no snapshot to refresh
      if (!schemaAt) throw await refuse(job, log, 'internal', 'this worker does not replay schemas');
      onBusy?.(jobId);
      try {
        await schemaAt(data);
      } catch (err) {
        log.warn({ event: 'job:failed', reason: (err as Error)?.message }, `job ${jobId} (schema-at ${data.version}) failed`);
        const why = `the schema at version ${data.version} could not be replayed: ${(err as Error)?.message ?? String(err)}`;
        throw await refuse(job, log, 'replay-failed', errorExcerpt(why));
      } finally {
        onBusy?.(null);
      }
      log.info({ event: 'job:done', version: data.version }, `job ${jobId} (schema-at ${data.version}) done`);
      await storeOutcome(job, { result: null, errorCode: null }, log);
      return null;
    }

    if (isAnnounced(data)) await notify(runStarted(jobId, data));
    const reporter = createProgressReporter(job, log);
    let result: RunResult | null = null;
    let crash: unknown;
    onBusy?.(jobId);
    try {
      log.info({ event: 'job:start', requestedBy: data.requestedBy }, `job ${jobId} (${data.kind}) started`);
      if (data.kind === 'restore') {
        const { restorePointId: id, requestedBy, reason } = data;
        result = await owner.restore({ id, requestedBy, reason, jobId, runId: jobId, emit: reporter.onEvent });
      } else {
        const previewedPlan = data.kind === 'run' && data.plan ? ((await lookupPlan?.(data.plan).catch(() => null)) ?? undefined) : undefined;
        const restorePoints = () => owner.listRestorePoints();
        result = await owner.exclusive((held) => {
          const unsubscribe = held.runner.events.onEvent(reporter.onEvent);
          const call =
            data.kind === 'run'
              ? owner.run(held, {
                  target: data.target,
                  allOrNothing: data.allOrNothing,
                  appliedBy: data.requestedBy,
                  reason: data.reason,
                  jobId,
                  runId: jobId,
                  signal,
                  plan: data.plan,
                  previewedPlan,
                  beforeApply: owner.restorePointHook(held, data.reason ?? `before job ${jobId}`),
                }, data.allowDrift)
              : data.kind === 'undo'
                ? held.runner.undo({
                    to: data.to,
                    plan: data.plan,
                    appliedBy: data.requestedBy,
                    reason: data.reason,
                    jobId,
                    runId: jobId,
                    signal,
                    restorePoints,
                    beforeApply: owner.restorePointHook(held, data.reason ?? `before undo job ${jobId}`),
                  })
                : data.kind === 'undo-preview'
                  ? held.runner.previewUndo({ to: data.to, jobId, runId: jobId, signal, restorePoints })
                  : held.runner.dryRun({ target: data.target, rehearse: data.rehearse, jobId, runId: jobId, signal });
          return call.finally(unsubscribe);
        });
      }
    } catch (err) {
      crash = err;
      if (data.kind === 'run' || data.kind === 'undo') {
        // the run history says so now rather than at the next start (when the file still takes writes)
        const why = `the run ended without a result: ${(err as Error)?.message ?? String(err)}`;
        await owner.exclusive(({ runner }) => runner.recordCrashedRuns(why)).catch((e: unknown) => log.warn({ err: e }, 'crashed run not recorded yet; the next start records it'));
      }
    } finally {
      // the last progress, the outcome and the snapshot go out together, all before BullMQ hears the outcome
      const errorCode = result ? errorCodeOf(result) : crash instanceof RestorePointError ? 'restore-refused' : 'crashed';
      await Promise.all([
        reporter.finish().then(() => (crash ? reporter.log(`job ended without a result: ${(crash as Error).message ?? String(crash)}`) : undefined)),
        storeOutcome(job, { result, errorCode }, log),
        afterJob(result, onlyHistoryRow(data, jobId, result)).catch((err: unknown) => log.warn({ err }, 'snapshot not published after the job')),
      ]);
      onBusy?.(null);
    }

    if (isAnnounced(data)) await notify(runEnded(jobId, data, result, result ? errorCodeOf(result) : 'crashed'));
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
    if (data.kind === 'undo-preview' && result.status === 'success' && rememberUndoPlan) {
      await rememberUndoPlan(result).catch((err: unknown) => log.warn({ err }, 'undo plan not kept; an undo pinned to it counts as destructive'));
    }
    if (result.status === 'success' || result.status === 'nothing-to-do') return result;
    throw new UnrecoverableError(errorExcerpt(failureReason(data.kind, result, signal)));
  };
}
