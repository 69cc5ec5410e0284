// Live progress of one job, computed from what the API tells about it: the live
// channel's messages (progress events, active, completed, failed) and JobView snapshots
// fetched after a reconnect. Pure functions over plain objects, so the store that holds
// the state (run-tracker.svelte.ts) stays thin and this logic is tested without a DOM.
//
// Events carry a `seq` that grows by one per event of a job: anything at or below the
// last seen seq is a duplicate (a replay after reconnecting) and is ignored. Missed
// events are tolerated: a later event (migration 3 started) implies the earlier ones.
//
// A restore (mode 'restore') is followed the same way: it reports run:start with no
// migrations and run:done, and its result says which version the database went back to.
//
// What runs at this moment is always the latest event's: a statement from its
// statement:start (with DuckDB's percent from statement:progress samples) until its
// statement:done, a phase (committing, checkpointing, copying…) until the next event.
// One file on purpose: the reducer, its state type and the small views of that state
// change together whenever an event is added.
import type {
  ErrorCode,
  JobProgress,
  JobView,
  LiveMessage,
  MigrationError,
  MigrationResult,
  RestorePointRef,
  RunMode,
  RunPhaseName,
  RunResult,
  RunStatus,
  RunnerEvent,
} from './types.js';
import { formatBytes } from './format.js';

export type MigrationPhase = 'pending' | 'running' | MigrationResult['status'];

export interface MigrationProgress {
  version: number;
  name: string;
  statements: number;
  /** statements finished so far */
  done: number;
  phase: MigrationPhase;
  durationMs: number | null;
  error: MigrationError | null;
}

export interface CurrentStep {
  version: number;
  name: string;
  /** 0-based position of the migration in this run */
  index: number;
  total: number;
  statementCount: number;
  /** 0-based index of the running statement (or the last finished one), null before the first starts */
  statementIndex: number | null;
  summary: string | null;
  line: number | null;
  /** when the statement at statementIndex started, while it runs; null once it finished */
  runningSince: string | null;
  /** DuckDB's latest progress sample of the running statement */
  sample: StatementSample | null;
}

export interface StatementSample {
  percent: number;
  rowsProcessed: number;
  totalRows: number;
  /** time left at the moment of the sample */
  etaMs: number | null;
  at: string;
}

/** a step between statements: committing, checkpointing, copying a file… */
export interface Activity {
  phase: RunPhaseName;
  since: string;
  bytes: number | null;
  /** bytes copied so far, while a copy reports them */
  bytesDone: number | null;
}

/** A sample of something already under way (DuckDB's percent, a copy's bytes): it does not end the phase. */
const isSample = (event: JobProgress['event']) =>
  event.type === 'statement:progress' || event.type === 'migration:progress' || (event.type === 'phase' && event.bytesDone !== undefined);

export type RunPhase = 'waiting' | 'active' | 'finished';

export interface RunProgress {
  jobId: string;
  /** job kind ("run", "dry-run", "restore") once known */
  kind: string | null;
  lastSeq: number;
  phase: RunPhase;
  percent: number;
  mode: RunMode | null;
  totalStatements: number | null;
  migrations: MigrationProgress[];
  current: CurrentStep | null;
  /** the phase under way, until the run's next event */
  activity: Activity | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** the run's outcome once finished (a job can complete with a failed run) */
  outcome: RunStatus | null;
  /** run-level error: the runner's error, the failed migration's message or the job's failedReason */
  error: string | null;
  result: RunResult | null;
  /** a restore's restore point (known when it was started here, or from its result) */
  restorePoint: RestorePointRef | null;
}

export interface PlannedItem {
  version: number;
  name: string;
  statements: number;
}

export function newRun(jobId: string, planned: readonly PlannedItem[] = [], kind: string | null = null, restorePoint: RestorePointRef | null = null): RunProgress {
  return {
    jobId,
    kind,
    lastSeq: -1,
    phase: 'waiting',
    percent: 0,
    mode: null,
    totalStatements: planned.length ? planned.reduce((sum, m) => sum + m.statements, 0) : null,
    migrations: planned.map((m) => pendingMigration(m)),
    current: null,
    activity: null,
    startedAt: null,
    finishedAt: null,
    outcome: null,
    error: null,
    result: null,
    restorePoint,
  };
}

function pendingMigration(m: PlannedItem): MigrationProgress {
  return { version: m.version, name: m.name, statements: m.statements, done: 0, phase: 'pending', durationMs: null, error: null };
}

const clampPercent = (value: number) => Math.min(100, Math.max(0, Number.isFinite(value) ? value : 0));

/** replaces the migration `version` (adding it in version order when unknown) */
function updateMigration(run: RunProgress, ref: PlannedItem, change: (m: MigrationProgress) => MigrationProgress): MigrationProgress[] {
  const known = run.migrations.some((m) => m.version === ref.version);
  const list = known ? run.migrations : [...run.migrations, pendingMigration(ref)].sort((a, b) => a.version - b.version);
  return list.map((m) => (m.version === ref.version ? change(m) : m));
}

/** the phase of a migration the run finished: an undo takes versions back, its preview rehearses that */
export function donePhase(mode: RunMode | null): MigrationPhase {
  return mode === 'rehearse' || mode === 'undo-preview' ? 'rehearsed' : mode === 'undo' ? 'undone' : 'applied';
}

/** migrations the run reached before `version` (lower ones; higher ones for an undo, which goes newest first) that are still pending or running must have finished */
function settleEarlier(migrations: MigrationProgress[], version: number, mode: RunMode | null): MigrationProgress[] {
  const done = donePhase(mode);
  const earlier = (v: number) => (mode === 'undo' || mode === 'undo-preview' ? v > version : v < version);
  return migrations.map((m) =>
    earlier(m.version) && (m.phase === 'pending' || m.phase === 'running') ? { ...m, phase: done, done: m.statements } : m,
  );
}

function applyEvent(run: RunProgress, event: RunnerEvent, at: string): RunProgress {
  switch (event.type) {
    case 'run:start':
      return {
        ...run,
        mode: event.mode,
        startedAt: run.startedAt ?? at,
        totalStatements: event.totalStatements,
        migrations: event.migrations.map((m) => {
          const previous = run.migrations.find((p) => p.version === m.version);
          return previous && previous.phase !== 'pending' ? previous : pendingMigration(m);
        }),
      };
    case 'migration:start': {
      const ref = { version: event.version, name: event.name, statements: event.statements };
      const migrations = settleEarlier(
        updateMigration(run, ref, (m) => ({ ...m, name: event.name, statements: event.statements, phase: 'running' })),
        event.version,
        run.mode,
      );
      return {
        ...run,
        migrations,
        current: {
          ...ref,
          statementCount: event.statements,
          index: event.index,
          total: event.total,
          statementIndex: null,
          summary: null,
          line: null,
          runningSince: null,
          sample: null,
        },
      };
    }
    case 'statement:start':
    case 'statement:done': {
      const finished = event.type === 'statement:done' ? event.statementIndex + 1 : event.statementIndex;
      const ref = { version: event.version, name: event.name, statements: event.statementCount };
      const migrations = settleEarlier(
        updateMigration(run, ref, (m) => ({ ...m, phase: 'running', statements: event.statementCount, done: Math.max(m.done, finished) })),
        event.version,
        run.mode,
      );
      const index = migrations.findIndex((m) => m.version === event.version);
      const previous = run.current?.version === event.version ? run.current : null;
      return {
        ...run,
        migrations,
        current: {
          version: event.version,
          name: event.name,
          index: previous?.index ?? index,
          total: previous?.total ?? migrations.length,
          statementCount: event.statementCount,
          statementIndex: event.statementIndex,
          summary: event.summary,
          line: event.line,
          runningSince: event.type === 'statement:start' ? at : null,
          sample: null,
        },
      };
    }
    case 'statement:progress': {
      const current = run.current;
      // a sample for a statement not known to be running (its start was missed) is dropped
      if (!current || current.version !== event.version || current.statementIndex !== event.statementIndex || current.runningSince === null) return run;
      if (current.sample && current.sample.percent >= event.percent) return run;
      const sample: StatementSample = { percent: event.percent, rowsProcessed: event.rowsProcessed, totalRows: event.totalRows, etaMs: event.etaMs ?? null, at };
      return { ...run, current: { ...current, sample } };
    }
    case 'migration:progress':
      // a file run as one call has no running statement to attach DuckDB's percent to; the
      // run's percent (on the report) still moves with it
      return run;
    case 'phase': {
      // the same phase again with its bytes so far: it began at its first event
      const since = event.bytesDone !== undefined && run.activity?.phase === event.phase ? run.activity.since : at;
      return { ...run, activity: { phase: event.phase, since, bytes: event.bytes ?? null, bytesDone: event.bytesDone ?? null } };
    }
    case 'migration:done': {
      const ref = { version: event.version, name: event.name, statements: 0 };
      const phase = donePhase(run.mode);
      return {
        ...run,
        migrations: settleEarlier(
          updateMigration(run, ref, (m) => ({ ...m, phase, done: m.statements, durationMs: event.durationMs })),
          event.version,
          run.mode,
        ),
      };
    }
    case 'migration:failed': {
      const ref = { version: event.version, name: event.name, statements: 0 };
      return {
        ...run,
        error: event.error.message,
        migrations: settleEarlier(
          updateMigration(run, ref, (m) => ({ ...m, phase: event.cancelled ? 'cancelled' : 'failed', durationMs: event.durationMs, error: event.error })),
          event.version,
          run.mode,
        ),
      };
    }
    case 'run:done':
      return {
        ...run,
        mode: event.mode,
        outcome: event.status,
        current: null,
        activity: null,
        percent: event.status === 'success' || event.status === 'nothing-to-do' ? 100 : run.percent,
        migrations: run.migrations.map((m) => (m.phase === 'pending' || m.phase === 'running' ? { ...m, phase: 'not-run' } : m)),
      };
  }
}

/** applies one progress report; reports at or below the last seen seq are ignored */
export function applyProgress(run: RunProgress, progress: JobProgress): RunProgress {
  if (progress.seq <= run.lastSeq) return run;
  // a phase lasts until the run's next step
  const settled = isSample(progress.event) ? run : { ...run, activity: null };
  const next = applyEvent(settled, progress.event, progress.at);
  return {
    ...next,
    lastSeq: progress.seq,
    phase: run.phase === 'finished' ? 'finished' : 'active',
    startedAt: next.startedAt ?? progress.at,
    percent: next.phase === 'finished' || next.outcome ? next.percent : Math.max(run.percent, clampPercent(progress.percent)),
  };
}

function fromResult(m: MigrationResult): MigrationProgress {
  const finished = m.status === 'applied' || m.status === 'rehearsed' || m.status === 'skipped' || m.status === 'undone';
  return {
    version: m.version,
    name: m.name,
    statements: m.statements,
    done: finished ? m.statements : (m.statementTimings?.length ?? 0),
    phase: m.status,
    durationMs: m.durationMs ?? null,
    error: m.error ?? null,
  };
}

/** folds in the runner's result: it is the authority on every migration and the outcome */
function absorbResult(run: RunProgress, result: RunResult): RunProgress {
  const ok = result.status === 'success' || result.status === 'nothing-to-do';
  const failed = result.migrations.find((m) => m.status === 'failed' || m.status === 'cancelled');
  return {
    ...run,
    mode: result.mode,
    outcome: result.status,
    result,
    restorePoint: result.restorePoint ?? run.restorePoint,
    startedAt: run.startedAt ?? result.startedAt,
    migrations: result.migrations.length ? result.migrations.map(fromResult) : run.migrations,
    error: result.error ?? failed?.error?.message ?? (ok ? null : run.error),
    percent: ok ? 100 : run.percent,
    current: null,
    activity: null,
  };
}

/** the job completed (its return value, when given, is the runner's result) */
export function finishWithResult(run: RunProgress, result: RunResult | null, finishedAt: string | null): RunProgress {
  if (!result) {
    const ok = run.outcome === null || run.outcome === 'success' || run.outcome === 'nothing-to-do';
    return {
      ...run,
      phase: 'finished',
      finishedAt: finishedAt ?? run.finishedAt,
      outcome: run.outcome ?? 'success',
      percent: ok ? 100 : run.percent,
      current: null,
      activity: null,
    };
  }
  return { ...absorbResult(run, result), phase: 'finished', finishedAt: finishedAt ?? result.finishedAt };
}

/** how a failed job ended, as the job view and the live 'failed' message give it */
export interface JobFailure {
  result: RunResult | null;
  errorCode: ErrorCode | null;
  failedReason: string | null;
}

/** the job failed (its run failed, was refused or cancelled, or the worker gave up): the result, when any, is the authority */
export function finishWithFailure(run: RunProgress, failure: JobFailure, finishedAt: string | null): RunProgress {
  const base = failure.result ? absorbResult(run, failure.result) : run;
  const cancelled = failure.errorCode === 'cancelled';
  return {
    ...base,
    phase: 'finished',
    finishedAt: finishedAt ?? base.result?.finishedAt ?? base.finishedAt,
    outcome: base.outcome && base.outcome !== 'success' && base.outcome !== 'nothing-to-do' ? base.outcome : cancelled ? 'cancelled' : 'failed',
    error: base.error ?? failure.failedReason ?? 'the job failed',
    current: null,
    activity: null,
    migrations: base.migrations.map((m) =>
      m.phase === 'running' ? { ...m, phase: cancelled ? 'cancelled' : 'failed' } : m.phase === 'pending' ? { ...m, phase: 'not-run' } : m,
    ),
  };
}

/** applies a live-channel message about this job (others are ignored) */
export function applyLiveMessage(run: RunProgress, message: LiveMessage, now: string): RunProgress {
  if (!('jobId' in message) || message.jobId !== run.jobId) return run;
  switch (message.type) {
    case 'progress':
      return applyProgress(run, message.progress);
    case 'active':
      return run.phase === 'finished' ? run : { ...run, phase: 'active', startedAt: run.startedAt ?? now };
    case 'waiting':
      return run; // already the initial phase; a job never goes back to waiting once active
    case 'completed':
      return finishWithResult(run, message.result, now);
    case 'failed':
      return finishWithFailure(run, message, now);
  }
}

/** folds a fetched JobView in: its latest progress, its state and, when it ended, its result */
export function applyJobView(run: RunProgress, job: JobView): RunProgress {
  let next: RunProgress = { ...run, kind: job.data.kind, startedAt: run.startedAt ?? job.startedAt };
  if (job.progress) next = applyProgress(next, job.progress);
  switch (job.state) {
    case 'completed':
      return run.phase === 'finished' && run.result ? next : finishWithResult(next, job.result, job.finishedAt);
    case 'failed':
      return run.phase === 'finished' ? next : finishWithFailure(next, job, job.finishedAt);
    case 'active':
      return next.phase === 'finished' ? next : { ...next, phase: 'active' };
    default:
      return next;
  }
}

export function statementsDone(run: RunProgress): number {
  return run.migrations.reduce((sum, m) => sum + m.done, 0);
}

export function isInFlight(run: RunProgress | null): boolean {
  return run !== null && run.phase !== 'finished';
}

/** the run reported its end (run:done) or the job finished; the job may still be closing */
export function hasEnded(run: RunProgress): boolean {
  return run.phase === 'finished' || run.outcome !== null;
}

/** "002_add_project_context" from version 2 and a name with or without its number */
export function migrationLabel(version: number, name: string): string {
  return /^\d+_/.test(name) ? name : `${String(version).padStart(3, '0')}_${name}`;
}

const outcomeText: Record<RunStatus, string> = {
  success: 'succeeded',
  failed: 'failed',
  cancelled: 'was cancelled',
  invalid: 'was refused: validation problems',
  'nothing-to-do': 'had nothing to do',
  crashed: 'crashed: the worker stopped before it finished',
};

export function isRestore(run: RunProgress): boolean {
  return run.mode === 'restore' || run.kind === 'restore';
}

/** what the job is called in headings and announcements */
function jobWord(run: RunProgress): 'Run' | 'Dry-run' | 'Restore' | 'Undo' | 'Undo preview' {
  if (isRestore(run)) return 'Restore';
  if (run.mode === 'undo' || run.kind === 'undo') return 'Undo';
  if (run.mode === 'undo-preview' || run.kind === 'undo-preview') return 'Undo preview';
  return run.mode === 'rehearse' || run.kind === 'dry-run' ? 'Dry-run' : 'Run';
}

/** the version a restore goes back to: its result's, else its restore point's */
export function restoreVersion(run: RunProgress): number | null {
  return run.result?.toVersion ?? run.restorePoint?.version ?? null;
}

const endings: Record<RunStatus, string> = {
  success: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  invalid: 'refused: validation problems',
  'nothing-to-do': 'had nothing to do',
  crashed: 'crashed',
};

/** the progress panel's heading: "Run in progress", "Dry-run failed", "Restored to version 0"… */
export function headline(run: RunProgress): string {
  const what = jobWord(run);
  if (run.phase === 'waiting') return `${what} waiting for the worker`;
  if (isRestore(run)) {
    const version = restoreVersion(run);
    if (!hasEnded(run)) return version === null ? 'Restoring the database…' : `Restoring to version ${version}…`;
    if (run.outcome === 'success') return version === null ? 'Restored' : `Restored to version ${version}`;
  }
  if (!hasEnded(run)) return `${what} in progress`;
  return `${what} ${endings[run.outcome ?? 'failed']}`;
}

/** one sentence for screen readers (aria-live): changes per migration, not per statement */
export function announce(run: RunProgress): string {
  if (isRestore(run) && run.phase !== 'waiting' && (!hasEnded(run) || run.outcome === 'success')) {
    const line = headline(run);
    return line.endsWith('…') ? line : `${line}.`;
  }
  const what = jobWord(run);
  if (run.phase === 'waiting') return `${what} is waiting for the worker.`;
  if (hasEnded(run)) {
    const done = donePhase(run.mode);
    const count = run.migrations.filter((m) => m.phase === done).length;
    const base = `${what} ${outcomeText[run.outcome ?? 'failed']}`;
    if (run.outcome === 'success') return `${base}: ${count} of ${run.migrations.length} migrations ${done}.`;
    return run.error ? `${base}: ${run.error}` : `${base}.`;
  }
  if (run.current) {
    return `Applying ${migrationLabel(run.current.version, run.current.name)} (${run.current.index + 1} of ${run.current.total}).`;
  }
  return `${what} started.`;
}

/** the outcome word used in badges and history */
export function outcomeLabel(status: RunStatus): string {
  return status === 'nothing-to-do' ? 'nothing to do' : status;
}

const activityText: Record<RunPhaseName, string> = {
  committing: 'committing',
  checkpointing: 'checkpointing',
  'restore-point': 'taking a restore point of the current state',
  copying: 'copying the restore point',
  swapping: 'swapping the database file',
  recording: 'recording the restore',
};

/** how far a copy got, 0–100, when its size and bytes so far are known */
export function activityPercent(activity: Activity): number | null {
  if (activity.bytes === null || activity.bytesDone === null || activity.bytes <= 0) return null;
  return Math.min(100, (activity.bytesDone / activity.bytes) * 100);
}

/** "committing…", "copying the restore point (12 MiB)…", "copying the restore point (40 % of 1.2 GiB)…" */
export function activityLabel(activity: Activity): string {
  const percent = activityPercent(activity);
  const size =
    activity.bytes === null
      ? activity.bytesDone === null
        ? ''
        : ` (${formatBytes(activity.bytesDone)} so far)`
      : percent === null
        ? ` (${formatBytes(activity.bytes)})`
        : ` (${Math.floor(percent)} % of ${formatBytes(activity.bytes)})`;
  return `${activityText[activity.phase]}${size}…`;
}

export interface RunningStatement {
  elapsedMs: number;
  /** DuckDB's percent within the statement, once it reported any */
  percent: number | null;
  /** time left, counted down from the last sample */
  etaMs: number | null;
}

/** the running statement at `nowMs` (the UI's clock), or null when none runs */
export function runningStatement(run: RunProgress, nowMs: number): RunningStatement | null {
  const current = run.current;
  if (!current?.runningSince || hasEnded(run)) return null;
  const elapsedMs = Math.max(0, nowMs - Date.parse(current.runningSince));
  const sample = current.sample;
  if (!sample) return { elapsedMs, percent: null, etaMs: null };
  const etaMs = sample.etaMs === null ? null : Math.max(0, sample.etaMs - Math.max(0, nowMs - Date.parse(sample.at)));
  return { elapsedMs, percent: sample.percent, etaMs };
}
