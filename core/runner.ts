// The MigrationRunner: discover → validate → plan → apply → record, on one DuckDB
// connection and one migration source. No Redis, no HTTP, no process-wide state: the
// worker, the CLI's local mode and the tests all use it the same way. It never throws
// for a migration failure; every call returns one result object (kysely's Migrator model).
// Longer than most modules because one class holds the state every step shares (the
// connection and its ledger, replaced on reopen; events; checkpoints; parse and lint
// caches); the steps that need none of it live beside it (file-statements.ts,
// finished-run.ts, run-history.ts, analysis.ts, runner-options.ts).
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import type {
  AppliedFile,
  LedgerEntry,
  LegacyInfo,
  MigrationError,
  MigrationResult,
  PlannedMigration,
  ErrorCode,
  RunMode,
  RunPhaseName,
  RunResult,
  RunStatus,
  RunSummary,
  ApprovalRecord,
  StatementTiming,
  StatusReport,
  ValidationProblem,
} from '../contract/index.js';
import { RunnerEvents } from './events.js';
import {
  LEDGER_TABLES,
  Ledger,
} from './ledger.js';
import { recordFinishedRun, SYSTEM_USER } from './finished-run.js';
import { analyze, type Analysis } from './analysis.js';
import { Checkpointer, DEFAULT_CHECKPOINT_BUDGET } from './checkpoint-policy.js';
import { isInvalidated, withoutStackTrace } from './database.js';
import { openRehearsalDatabase } from './dry-run-database.js';
import { errorExcerpt, errorText } from './error-text.js';
import { duckdbStatementCount, type parseCheck } from './parse-check.js';
import { ConnectionStateError, mayMoveConnection, ensureHome, readHome, type ConnectionHome } from './sandbox.js';
import { fileStatements } from './file-statements.js';
import { beginAndRunAtOnce, runsAtOnce } from './file-at-once.js';
import { sampleProgress } from './statement-progress.js';
import { diffSchema, readSchema } from './schema.js';
import type { MigrationFile, MigrationSource } from './source.js';
import { summarize } from './statement-text.js';
import { excerpt, pendingList, plannedMigration } from './preview.js';
import { describePlanDifference, driftRefusal, planDifference, type PendingMigration } from '../contract/index.js';
import type { DryRunOptions, RunnerOptions, RunOptions, UndoOptions, UndoPreviewOptions } from './runner-options.js';
import { FenceRefusedError, confirmFence } from './write-fence.js';
import { setUpRun } from './run-setup.js';
import type { RunStart } from './run-history.js';
import { downMigration, droppedData, restoreOffer, undoPlanId, undoRange, undoReport, undoSteps, type UndoRange } from './undo.js';

export type { DryRunOptions, RunnerOptions, RunOptions, UndoOptions } from './runner-options.js';
import { planIdOf } from './plan.js';

/** An undo refused before anything ran. */
interface UndoRefusal {
  status: 'invalid';
  migrations: MigrationResult[];
  error: string;
  errorCode: ErrorCode;
  undo: NonNullable<RunResult['undo']>;
}

export class CancelledError extends Error {
  override name = 'CancelledError';
}

/** Why a run found still marked 'running' is recorded as crashed. */
export const RUN_CRASHED_MESSAGE =
  'the run did not finish: its process stopped (killed, crashed, or out of memory or disk) before it could record an outcome; ' +
  'each migration commits together with its ledger row, so the migrations listed as applied are applied and the rest are pending';

function errorsOf(problems: ValidationProblem[]): ValidationProblem[] {
  return problems.filter((p) => p.severity === 'error');
}

const plan = plannedMigration;

function notRun(m: MigrationFile): MigrationResult {
  return { version: m.version, name: m.name, file: m.file, checksum: m.checksum, status: 'not-run', statements: m.statements.length };
}

/** Adds why a failure could not be recorded to its message. */
function withNote(r: MigrationResult, note: string | undefined): MigrationResult {
  if (!note) return r;
  return { ...r, error: { ...(r.error ?? {}), message: `${r.error?.message ?? r.status} (${note})` } };
}

function elapsed(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** What a finished run, undo or rehearsal becomes its RunResult from. */
interface FinishFields {
  runId: string;
  mode: RunMode;
  status: RunStatus;
  startedAt: Date;
  start: bigint;
  fromVersion: number;
  toVersion?: number;
  problems: ValidationProblem[];
  migrations: MigrationResult[];
  error?: string;
  errorCode?: ErrorCode;
  plan?: PlannedMigration[];
  schemaDiff?: RunResult['schemaDiff'];
  restorePoint?: RunResult['restorePoint'];
  planId?: string;
  undo?: RunResult['undo'];
}

const appliedFilesOf = (entries: readonly LedgerEntry[]): AppliedFile[] => entries.map(({ version, checksum }) => ({ version, checksum }));

export class MigrationRunner {
  readonly events = new RunnerEvents();
  /** the ledger of the connection the runner works on (replaced when the file is reopened) */
  #ledger: Ledger;
  readonly #source: MigrationSource;
  readonly #options: RunnerOptions;
  readonly #checkpoints: Checkpointer;
  /** DuckDB parser outcomes by file checksum, so repeated status/validate calls parse only new files */
  readonly #parsed: NonNullable<Parameters<typeof parseCheck>[2]>;
  /** a rehearsal's runner on a copy that is thrown away: no CHECKPOINT at the end */
  #discardable = false;
  /** lint outcomes by schema + pending files, so repeated status calls do not re-run lint's experiment */
  readonly #linted = new Map<string, ValidationProblem[]>();
  /** the catalog and schema the connection resolved names in when the runner first used it */
  #home: Promise<ConnectionHome> | undefined;
  /** the run in progress, which phase events (commit, checkpoint) belong to */
  #runId = '';
  /** the run's fence refused it: nothing more is written to the file (RunOptions.fence) */
  #fenceRefused: FenceRefusedError | null = null;
  /** whether this run mirrors its versions into schema_version (RunnerOptions.legacyVersions) */
  #mirrorLegacy = true;

  get #connection(): DuckDBConnection {
    return this.#ledger.connection;
  }

  constructor(options: RunnerOptions) {
    this.#ledger = new Ledger(options.connection);
    this.#parsed = options.parsed ?? new Map();
    this.#source = options.source;
    this.#options = options;
    const checkpoint = () => {
      this.#phase('checkpointing');
      return this.#connection.run('CHECKPOINT');
    };
    this.#checkpoints = new Checkpointer(checkpoint, options.checkpoint ?? DEFAULT_CHECKPOINT_BUDGET, options.database?.path, options.logger);
    const logger = options.logger;
    const quiet = options.logEvents === 'failures';
    if (logger) {
      // statement events are logged at debug: asking for them otherwise would keep every file from running at once
      this.events.onEvent(
        (event) => {
          const level = event.type === 'migration:failed' ? 'error' : event.type.startsWith('statement:') || quiet ? 'debug' : 'info';
          logger[level]({ ...event, event: event.type }, event.type);
        },
        { statements: logger.isLevelEnabled('debug') },
      );
    }
  }

  // ---- read-only queries ------------------------------------------------------------

  /** Every problem that would stop a run (errors) or deserves attention (warnings). */
  async validate(): Promise<ValidationProblem[]> {
    return (await this.#analyze()).problems;
  }

  /** Applied migrations, one per version (legacy versions count as adopted). */
  async getAppliedMigrations(): Promise<LedgerEntry[]> {
    return (await this.#analyze({ lint: false })).applied;
  }

  /** The applied files as drift checks and replays take them: version and checksum, in version order. */
  async getAppliedFiles(): Promise<AppliedFile[]> {
    return appliedFilesOf(await this.getAppliedMigrations());
  }

  async getPendingMigrations(): Promise<PendingMigration[]> {
    return pendingList((await this.#analyze({ lint: false })).pending);
  }

  async listRuns(limit = 100): Promise<RunSummary[]> {
    return this.#ledger.runs.list(limit);
  }

  /** Approval decisions, most recent first (approval-history.ts). */
  async listApprovals(limit = 100): Promise<ApprovalRecord[]> {
    return this.#ledger.approvals.list(limit);
  }

  /** Records how a run request that needed approval was decided, before it runs or instead of running. */
  async recordApproval(record: ApprovalRecord): Promise<void> {
    await this.#ledger.ensure();
    await this.#ledger.approvals.write(record);
  }

  /**
   * Records runs whose process died before they finished (still marked 'running') as
   * 'crashed', with what they committed. Call it when the file is opened and nothing runs.
   */
  async recordCrashedRuns(why: string = RUN_CRASHED_MESSAGE): Promise<RunSummary[]> {
    return this.#ledger.runs.recordCrashed(why);
  }

  /** Where things stand; `withPending` receives the pending files themselves (e.g. to publish their SQL). */
  async status(options: { withPending?: (files: readonly MigrationFile[]) => Promise<void> | void } = {}): Promise<StatusReport> {
    const a = await this.#analyze();
    await options.withPending?.(a.pending);
    const db = this.#options.database;
    return {
      database: { path: db?.path ?? '', sizeBytes: db?.sizeBytes ?? 0, duckdbVersion: db?.duckdbVersion ?? '' },
      migrationsDir: this.#source.location,
      currentVersion: a.currentVersion,
      latestVersion: a.migrations.reduce((max, m) => Math.max(max, m.version), a.currentVersion),
      applied: a.applied,
      ledger: a.ledger,
      pending: pendingList(a.pending),
      problems: a.problems,
      legacy: a.legacy,
      generatedAt: new Date().toISOString(),
    };
  }

  // ---- writes -------------------------------------------------------------------------

  /**
   * Records the versions of an old application's schema_version table as adopted
   * (not re-run). Idempotent; writes nothing when there is nothing to adopt.
   */
  async adoptLegacy(): Promise<LegacyInfo | null> {
    const a = await this.#analyze({ lint: false });
    await this.#adopt(a);
    return (await this.#analyze({ lint: false })).legacy;
  }

  async run(options: RunOptions = {}): Promise<RunResult> {
    const startedAt = new Date();
    const start = process.hrtime.bigint();
    const runId = options.runId ?? randomUUID();
    this.#runId = runId;
    const a = await this.#analyze({ lint: false });
    const base = { runId, mode: 'apply' as const, startedAt, start, fromVersion: a.currentVersion, problems: a.problems };

    const refusal = this.#refusal(a, options.target);
    if (refusal) return this.#finish({ ...base, status: 'invalid', migrations: a.pending.map(notRun), ...refusal });

    const batch = a.pending.filter((m) => options.target === undefined || m.version <= options.target);
    const planId = planIdOf(batch);
    if (options.plan !== undefined && options.plan !== planId) {
      const difference = planDifference(options.plan, options.previewedPlan ?? null, batch, planId);
      const error = `the pending migrations changed since plan ${options.plan.slice(0, 12)}… was previewed, nothing was applied: ${describePlanDifference(difference)}; dry-run again and run the new plan`;
      return this.#finish({ ...base, status: 'invalid', migrations: batch.map(notRun), error, errorCode: 'plan-changed', planId });
    }
    if (batch.length > 0 && options.driftCheck) {
      const drift = await options.driftCheck(this.#connection, appliedFilesOf(a.applied));
      if (drift.drifted) return this.#finish({ ...base, status: 'invalid', migrations: batch.map(notRun), error: driftRefusal(drift.differences), errorCode: 'drifted', planId });
    }
    this.#fenceRefused = null;
    this.#mirrorLegacy = this.#options.legacyVersions !== 'adopted' || a.legacy !== null;
    const mark: RunStart | null =
      batch.length === 0
        ? null
        : { runId, jobId: options.jobId ?? null, mode: 'apply', requestedBy: options.appliedBy ?? SYSTEM_USER, reason: options.reason ?? null, startedAt: startedAt.toISOString(), fromVersion: a.currentVersion };
    let settled: boolean;
    let marked: boolean;
    try {
      // the ledger tables, the fence's claim and the run's 'running' mark commit together (run-setup.ts)
      ({ settled, marked } = await setUpRun(this.#ledger, { fence: options.fence, start: mark, adopting: this.#toAdopt(a).length > 0, legacy: this.#mirrorLegacy }));
    } catch (err) {
      if (!(err instanceof FenceRefusedError)) throw err;
      this.#fenceRefused = err;
      return this.#finish({ ...base, status: 'failed', migrations: batch.map(notRun), error: err.message, errorCode: 'lease-lost' });
    }
    if (!settled) {
      await this.#adopt(a);
      await this.#ledger.runs.recordCrashed(RUN_CRASHED_MESSAGE, marked ? runId : undefined);
      // marks the run before anything is applied: if this process dies, the next one records it
      if (mark && !marked) await this.#ledger.runs.start(mark);
    }

    let results: MigrationResult[];
    let restorePoint: RunResult['restorePoint'] | null | undefined;
    // announced before its restore point, which may take a while on a large database
    if (batch.length > 0) this.#emitRunStart(runId, 'apply', batch);
    if (batch.length > 0 && options.beforeApply) {
      try {
        restorePoint = await this.#beforeApply(options.beforeApply, a.currentVersion, batch);
      } catch (err) {
        const result = this.#finish({ ...base, status: 'failed', migrations: batch.map(notRun), error: `nothing was applied: ${this.#errorText(err)}`, errorCode: 'restore-point-failed' });
        return this.#recorded(result, options);
      }
    }
    const resultOf = (results: MigrationResult[]): RunResult => {
      const failed = results.find((r) => r.status === 'failed' || r.status === 'cancelled');
      const status: RunStatus = batch.length === 0 ? 'nothing-to-do' : failed ? (failed.status === 'cancelled' ? 'cancelled' : 'failed') : 'success';
      const toVersion = results.filter((r) => r.status === 'applied').reduce((v, r) => Math.max(v, r.version), a.currentVersion);
      return this.#resultOf({
        ...base,
        status,
        migrations: results,
        toVersion,
        error: failed ? errorExcerpt(`${failed.file}: ${failed.error?.message ?? failed.status}`) : undefined,
        restorePoint: restorePoint ?? undefined,
        planId,
        ...(!this.#mayWrite(options) && { errorCode: 'lease-lost' as const }),
      });
    };
    // a run whose every migration applies writes its history row in its last migration's
    // transaction: one COMMIT fewer, and the row commits exactly when the run succeeded (a
    // COMMIT that fails rolls the row back with it, and the failure is recorded as usual).
    // Not while schema_version is mirrored: its catch-up (#syncLegacy) comes after the last
    // COMMIT, and a run that dies before it must stay 'running', so that recording it as
    // crashed brings schema_version up to date.
    let recordedEarly: RunResult | undefined;
    const recordSuccess = this.#mirrorLegacy
      ? undefined
      : async (done: MigrationResult[]) => {
          const success = resultOf(done);
          await recordFinishedRun(this.#ledger, success, { jobId: options.jobId, requestedBy: options.appliedBy, reason: options.reason });
          recordedEarly = success;
        };
    if (batch.length === 0) {
      results = [];
    } else {
      results = options.allOrNothing ? await this.#applyBatch(batch, runId, options) : await this.#applyEach(batch, runId, options, recordSuccess);
    }
    if (results.some((r) => r.status === 'applied') && this.#mayWrite(options) && this.#mirrorLegacy) await this.#syncLegacy();

    const early = recordedEarly?.status === 'success' && results.every((r) => r.status === 'applied') ? recordedEarly : undefined;
    const result = early ?? resultOf(results);
    // the history row commits before the run's last CHECKPOINT, which then leaves no WAL for
    // close() to checkpoint again; a rehearsal's copy is thrown away: no CHECKPOINT for it
    const recorded = early ?? (this.#mayWrite(options) ? await this.#recorded(result, options) : result);
    if (!this.#discardable) await this.#checkpoints.atEnd();
    this.#announce(recorded);
    return recorded;
  }

  async dryRun(options: DryRunOptions = {}): Promise<RunResult> {
    const startedAt = new Date();
    const start = process.hrtime.bigint();
    const runId = options.runId ?? randomUUID();
    const a = await this.#analyze();
    const mode: RunMode = options.rehearse ? 'rehearse' : 'plan';
    const batch = a.pending.filter((m) => options.target === undefined || m.version <= options.target);
    const base = { runId, mode, startedAt, start, fromVersion: a.currentVersion, problems: a.problems, plan: batch.map(plan), planId: planIdOf(batch) };

    const refusal = this.#refusal(a, options.target);
    if (refusal) return this.#finish({ ...base, status: 'invalid', migrations: batch.map(notRun), ...refusal });
    if (batch.length === 0) return this.#finish({ ...base, status: 'nothing-to-do', migrations: [] });
    if (!options.rehearse) {
      return this.#finish({ ...base, status: 'success', migrations: batch.map(notRun), toVersion: batch.at(-1)!.version });
    }

    this.#emitRunStart(runId, 'rehearse', batch);
    const { results, schemaDiff, toVersion } = await this.#rehearse(a, batch, runId, options);
    const failed = results.find((r) => r.status === 'failed' || r.status === 'cancelled');
    return this.#finish({
      ...base,
      status: failed ? (failed.status === 'cancelled' ? 'cancelled' : 'failed') : 'success',
      migrations: results,
      toVersion,
      schemaDiff,
      error: failed ? errorExcerpt(`${failed.file}: ${failed.error?.message ?? failed.status}`) : undefined,
    });
  }

  /**
   * Undoes every migration applied above `options.to`, newest first: each down script in
   * one transaction with its ledger row ('undone'), so the version is pending again. Refused
   * (nothing changed) when a migration in the range has no down script: the result then
   * offers the newest restore point at or below `to`.
   */
  async undo(options: UndoOptions): Promise<RunResult> {
    const startedAt = new Date();
    const start = process.hrtime.bigint();
    const runId = options.runId ?? randomUUID();
    this.#runId = runId;
    const a = await this.#analyze({ lint: false });
    const range = undoRange(a, options.to);
    const base = { runId, mode: 'undo' as const, startedAt, start, fromVersion: a.currentVersion, problems: a.problems };
    const refusal = await this.#undoRefusal(a, range, options);
    if (refusal) return this.#finish({ ...base, ...refusal });
    if (range.steps.length === 0) return this.#finish({ ...base, status: 'nothing-to-do', migrations: [], undo: undoReport(range) });
    const downs = range.steps.map(downMigration);
    const planId = undoPlanId(undoSteps(range));
    if (options.plan !== undefined && options.plan !== planId) {
      const error = `the undo changed since plan ${options.plan.slice(0, 12)}… was previewed (another migration was applied or undone, or a down script changed), nothing was undone; preview again`;
      return this.#finish({ ...base, status: 'invalid', migrations: downs.map(notRun), error, errorCode: 'plan-changed', planId, undo: undoReport(range) });
    }
    await this.#adopt(a);
    await this.recordCrashedRuns();
    const request = { requestedBy: options.appliedBy ?? SYSTEM_USER, reason: options.reason ?? null, jobId: options.jobId ?? null };
    await this.#ledger.runs.start({ runId, mode: 'undo', ...request, startedAt: startedAt.toISOString(), fromVersion: a.currentVersion });
    let restorePoint: RunResult['restorePoint'] | null | undefined;
    this.#emitRunStart(runId, 'undo', downs);
    if (options.beforeApply) {
      try {
        restorePoint = await this.#beforeApply(options.beforeApply, a.currentVersion, downs);
      } catch (err) {
        const result = this.#finish({ ...base, status: 'failed', migrations: downs.map(notRun), error: `nothing was undone: ${this.#errorText(err)}`, errorCode: 'restore-point-failed', undo: undoReport(range) });
        return this.#recorded(result, { ...options, appliedBy: request.requestedBy });
      }
    }
    const results = await this.#undoEach(downs, runId, options);
    if (!this.#discardable) await this.#checkpoints.atEnd();
    const failed = results.find((r) => r.status === 'failed' || r.status === 'cancelled');
    const undone = new Set(results.filter((r) => r.status === 'undone').map((r) => r.version));
    const toVersion = a.applied.filter((e) => !undone.has(e.version)).reduce((v, e) => Math.max(v, e.version), 0);
    const result = this.#finish({
      ...base,
      status: failed ? (failed.status === 'cancelled' ? 'cancelled' : 'failed') : 'success',
      migrations: results,
      toVersion,
      error: failed ? errorExcerpt(`${failed.file}: ${failed.error?.message ?? failed.status}`) : undefined,
      restorePoint: restorePoint ?? undefined,
      planId,
      undo: undoReport(range),
    });
    return this.#recorded(result, { ...options, appliedBy: request.requestedBy });
  }

  /**
   * Rehearses undo() on a copy of the database (discarded): the schema diff, and the rows
   * of the tables and columns the down scripts drop, counted on this database before
   * anything runs. Its planId pins the undo to exactly these down scripts.
   */
  async previewUndo(options: UndoPreviewOptions): Promise<RunResult> {
    const startedAt = new Date();
    const start = process.hrtime.bigint();
    const runId = options.runId ?? randomUUID();
    const a = await this.#analyze({ lint: false });
    const range = undoRange(a, options.to);
    const base = { runId, mode: 'undo-preview' as const, startedAt, start, fromVersion: a.currentVersion, problems: a.problems };
    const refusal = await this.#undoRefusal(a, range, options);
    if (refusal) return this.#finish({ ...base, ...refusal });
    if (range.steps.length === 0) return this.#finish({ ...base, status: 'nothing-to-do', migrations: [], undo: undoReport(range) });
    const downs = range.steps.map(downMigration);
    const planId = undoPlanId(undoSteps(range));
    const copy = await openRehearsalDatabase(this.#options.database?.path, { allowedPaths: this.#options.database?.allowedPaths, threads: this.#options.database?.threads });
    try {
      const rehearsal = new MigrationRunner({ connection: copy.db.connection, source: this.#source, database: copy.db, checkpoint: 'end', allowOutOfOrder: this.#options.allowOutOfOrder, secrets: this.#options.secrets });
      rehearsal.#discardable = true;
      if (!copy.copied && a.currentVersion > 0) await rehearsal.run({ target: a.currentVersion });
      const before = await readSchema(copy.db.connection, LEDGER_TABLES);
      this.#emitRunStart(runId, 'undo-preview', downs);
      const forward = rehearsal.events.onEvent((event) => {
        if (event.type !== 'run:start' && event.type !== 'run:done') this.events.emit(event);
      });
      let outcome: RunResult;
      try {
        outcome = await rehearsal.undo({ to: options.to, runId, jobId: options.jobId, signal: options.signal });
      } finally {
        forward();
      }
      if (outcome.status === 'invalid') throw new Error(`the rehearsal copy refused the undo: ${outcome.error}`);
      const results = outcome.migrations.map((m): MigrationResult => (m.status === 'undone' ? { ...m, status: 'rehearsed' } : m));
      const failed = results.find((r) => r.status === 'failed' || r.status === 'cancelled');
      const schemaDiff = failed ? undefined : diffSchema(before, await readSchema(copy.db.connection, LEDGER_TABLES));
      const dropped = schemaDiff ? await droppedData(this.#connection, schemaDiff) : undefined;
      return this.#finish({
        ...base,
        status: failed ? (failed.status === 'cancelled' ? 'cancelled' : 'failed') : 'success',
        migrations: results,
        toVersion: outcome.toVersion,
        error: outcome.error,
        planId,
        schemaDiff,
        undo: undoReport(range, dropped ? { dropped } : {}),
      });
    } finally {
      await copy.discard();
    }
  }

  // ---- internals ----------------------------------------------------------------------

  /**
   * Runs the batch exactly as run() would, with a second runner on a copy of the database
   * (or an empty in-memory one when there is no file, where the applied files are replayed
   * first); the copy is discarded. Its migration events are this runner's.
   */
  async #rehearse(
    a: Analysis,
    batch: MigrationFile[],
    runId: string,
    options: DryRunOptions,
  ): Promise<{ results: MigrationResult[]; schemaDiff?: RunResult['schemaDiff']; toVersion: number }> {
    const copy = await openRehearsalDatabase(this.#options.database?.path, { allowedPaths: this.#options.database?.allowedPaths, threads: this.#options.database?.threads });
    try {
      const rehearsal = new MigrationRunner({
        connection: copy.db.connection,
        source: this.#source,
        database: copy.db,
        checkpoint: 'end',
        allowOutOfOrder: this.#options.allowOutOfOrder,
        secrets: this.#options.secrets,
      });
      rehearsal.#discardable = true;
      for (const [checksum, outcome] of this.#parsed) rehearsal.#parsed.set(checksum, outcome);
      // the copy has the same schema and files: lint's outcome is the same, no second experiment
      for (const [key, problems] of this.#linted) rehearsal.#linted.set(key, problems);
      if (!copy.copied && a.currentVersion > 0) await rehearsal.run({ target: a.currentVersion });
      const before = await readSchema(copy.db.connection, LEDGER_TABLES);
      const forward = rehearsal.events.onEvent((event) => {
        if (event.type !== 'run:start' && event.type !== 'run:done') this.events.emit(event);
      });
      let outcome: RunResult;
      try {
        outcome = await rehearsal.run({ target: batch.at(-1)!.version, allOrNothing: options.allOrNothing, runId, jobId: options.jobId, signal: options.signal });
      } finally {
        forward();
      }
      const results = outcome.migrations.map((m): MigrationResult => (m.status === 'applied' ? { ...m, status: 'rehearsed' } : m));
      // a refusal on the copy (it sees the same files and ledger) would be a bug: say so
      if (outcome.status === 'invalid') throw new Error(`the rehearsal copy refused the run: ${outcome.error}`);
      const schemaDiff = outcome.status === 'success' ? diffSchema(before, await readSchema(copy.db.connection, LEDGER_TABLES)) : undefined;
      return { results, schemaDiff, toVersion: outcome.toVersion };
    } finally {
      await copy.discard();
    }
  }

  /** `lint: false` where only what refuses a run matters: lint finds warnings, never errors. */
  async #analyze({ lint = true }: { lint?: boolean } = {}): Promise<Analysis> {
    await this.#backHome();
    // one catalog read per operation: tables may have appeared since the last one
    this.#ledger.refresh();
    return analyze(this.#ledger, this.#source, { parsed: this.#parsed, linted: lint ? this.#linted : undefined, lint, allowOutOfOrder: this.#options.allowOutOfOrder });
  }

  /** Puts a connection that something moved to another catalog or schema back where it was. */
  async #backHome(): Promise<void> {
    if (this.#home === undefined) {
      // read just now: nothing can have moved the connection yet
      this.#home = readHome(this.#connection);
      await this.#home;
      return;
    }
    try {
      await ensureHome(this.#connection, await this.#home);
    } catch (err) {
      if (!(err instanceof ConnectionStateError)) throw err;
      this.#options.logger?.warn({ event: 'connection:reset', reason: err.message }, 'the connection had been moved; put back');
    }
  }

  #errorText(err: unknown): string {
    const { secrets } = this.#options;
    return errorText((err as Error)?.message ?? String(err), typeof secrets === 'function' ? secrets() : secrets);
  }

  /** Why a run must not start, or undefined when it may. */
  #refusal(a: Analysis, target: number | undefined): { error: string; errorCode: ErrorCode } | undefined {
    const errors = errorsOf(a.problems);
    if (errors.length > 0) {
      const error = `validation failed with ${errors.length} error${errors.length > 1 ? 's' : ''}; nothing was applied. First: ${errors[0]!.message}`;
      return { error, errorCode: 'validation-failed' };
    }
    if (target !== undefined) {
      if (!a.migrations.some((m) => m.version === target)) return { error: `target version ${target} does not exist in ${this.#source.location}`, errorCode: 'target-invalid' };
      if (target < a.currentVersion) {
        const error = `target version ${target} is below the current version ${a.currentVersion}; duckmig does not roll back (restore a restore point instead)`;
        return { error, errorCode: 'target-invalid' };
      }
    }
    return undefined;
  }

  /** Why an undo must not start (validation errors, missing down scripts), or undefined when it may. */
  async #undoRefusal(a: Analysis, range: UndoRange, options: UndoPreviewOptions): Promise<UndoRefusal | undefined> {
    const refusal = this.#refusal(a, undefined);
    if (refusal) return { status: 'invalid', migrations: [], ...refusal, undo: undoReport(range) };
    if (range.missing.length === 0) return undefined;
    const points = (await options.restorePoints?.().catch(() => [])) ?? [];
    const offer = restoreOffer(points, range);
    return { status: 'invalid', migrations: [], error: `nothing was undone: ${offer.warning}`, errorCode: 'down-missing', undo: undoReport(range, { restoreOffer: offer }) };
  }

  /** Each down script in one transaction with its 'undone' ledger row (and schema_version's row gone); stops at the first failure. */
  async #undoEach(downs: MigrationFile[], runId: string, options: UndoOptions): Promise<MigrationResult[]> {
    const results = downs.map(notRun);
    const interrupt = this.#interruptOn(options.signal);
    try {
      for (const [index, d] of downs.entries()) {
        await this.#connection.run('BEGIN TRANSACTION');
        const outcome = await this.#execute(d, index, downs.length, runId, options.signal);
        let result = outcome.result;
        if (result.status === 'applied') {
          let lateError: string | undefined;
          try {
            await this.#ledger.write({ version: d.version, name: d.name, checksum: d.checksum, status: 'undone', appliedAt: new Date().toISOString(), durationMs: outcome.durationMs, appliedBy: options.appliedBy ?? SYSTEM_USER, runId, jobId: options.jobId ?? null, error: null });
            await this.#ledger.forgetLegacyVersion(d.version);
            this.#phase('committing', d);
            await this.#connection.run('COMMIT');
            if (interrupt.fired()) {
              const reader = await this.#connection.runAndReadAll("SELECT count(*) FROM schema_migrations WHERE version = ? AND run_id = ? AND status = 'undone'", [d.version, runId]);
              if (Number(reader.getRows()[0]?.[0] ?? 0) === 0) lateError = 'cancelled: the transaction was interrupted before it committed';
            }
          } catch (err) {
            await this.#rollback();
            lateError = this.#errorText(withoutStackTrace((err as Error).message));
          }
          result = lateError ? { ...result, status: interrupt.fired() ? 'cancelled' : 'failed', error: { message: lateError, file: d.file } } : { ...result, status: 'undone' };
          if (lateError) this.events.emit({ type: 'migration:failed', runId, version: d.version, name: d.name, durationMs: outcome.durationMs, cancelled: interrupt.fired(), error: result.error! });
        } else {
          await this.#rollback();
        }
        results[index] = result;
        if (result.status !== 'undone') {
          // nothing of a failed down script stays; its ledger keeps the version applied
          const unusable = await this.#recover();
          if (unusable) results[index] = withNote(result, unusable);
          break;
        }
        await this.#checkpoints.afterCommit();
        this.events.emit({ type: 'migration:done', runId, version: d.version, name: d.name, durationMs: outcome.durationMs });
      }
    } finally {
      interrupt.dispose();
    }
    return results;
  }

  /** the legacy versions that have a file and are not in the ledger yet */
  #toAdopt(a: Analysis): Analysis['unadopted'] {
    const files = new Set(a.migrations.map((m) => m.version));
    return a.unadopted.filter((r) => files.has(r.version));
  }

  async #adopt(a: Analysis): Promise<void> {
    if (a.problems.some((p) => p.code === 'foreign-ledger')) return; // the ledger's name is taken: write nothing
    const files = new Map(a.migrations.map((m) => [m.version, m]));
    const toAdopt = this.#toAdopt(a);
    await this.#ledger.ensure();
    if (toAdopt.length === 0) return;
    const now = new Date().toISOString();
    await this.#ledger.adopt(
      toAdopt.map((r) => {
        const file = files.get(r.version)!;
        return { version: r.version, name: file.name, checksum: file.checksum, appliedAt: r.appliedAt ?? now };
      }),
      'legacy',
    );
    this.#options.logger?.info({ event: 'legacy:adopted', versions: toAdopt.map((r) => r.version) }, 'adopted legacy schema_version rows');
  }

  /** the restore point before a batch, as the phase 'restore-point', its copy's bytes reported as it goes */
  #beforeApply(hook: NonNullable<RunOptions['beforeApply']>, fromVersion: number, batch: MigrationFile[]): ReturnType<NonNullable<RunOptions['beforeApply']>> {
    const runId = this.#runId;
    const size = this.#options.database?.sizeBytes;
    this.events.emit({ type: 'phase', runId, phase: 'restore-point', ...(size !== undefined && { bytes: size }) });
    const onCopied = (bytesDone: number, bytes: number) => this.events.emit({ type: 'phase', runId, phase: 'restore-point', bytes, bytesDone });
    return hook({ fromVersion, batch: batch.map(plan), onCopied });
  }

  /** a step that is not a statement begins; it lasts until the run's next event */
  #phase(phase: RunPhaseName, m?: MigrationFile): void {
    this.events.emit({ type: 'phase', runId: this.#runId, phase, ...(m && { version: m.version, name: m.name }) });
  }

  #emitRunStart(runId: string, mode: RunMode, batch: MigrationFile[]): void {
    this.events.emit({
      type: 'run:start',
      runId,
      mode,
      migrations: batch.map((m) => ({ version: m.version, name: m.name, statements: m.statements.length })),
      totalStatements: batch.reduce((n, m) => n + m.statements.length, 0),
    });
  }

  /**
   * Executes one migration's statements on the open transaction. Never throws for SQL
   * errors: returns the result with status applied, failed or cancelled.
   */
  async #execute(
    m: MigrationFile,
    index: number,
    total: number,
    runId: string,
    signal: AbortSignal | undefined,
    announced = false,
  ): Promise<{ result: MigrationResult; durationMs: number }> {
    const start = process.hrtime.bigint();
    const timings: StatementTiming[] = [];
    if (!announced) this.events.emit({ type: 'migration:start', runId, version: m.version, name: m.name, index, total, statements: m.statements.length });
    let statementIndex = 0;
    let mayHaveMoved = false;
    try {
      const extracted = await fileStatements(this.#connection, m, duckdbStatementCount(this.#parsed, m.checksum));
      for (; statementIndex < extracted.count; statementIndex++) {
        if (signal?.aborted) throw new CancelledError(String(signal.reason ?? 'cancelled'));
        const text = m.statements[statementIndex];
        const line = text?.line ?? 1;
        const summary = summarize(text?.sql ?? '');
        const step = { runId, version: m.version, name: m.name, statementIndex, statementCount: extracted.count };
        this.events.emit({ type: 'statement:start', ...step, line, summary });
        const t0 = process.hrtime.bigint();
        const stopSampling = sampleProgress(this.#connection, (sample) => this.events.emit({ type: 'statement:progress', ...step, ...sample }));
        let type;
        try {
          type = await extracted.run(statementIndex);
        } finally {
          stopSampling();
        }
        if (mayMoveConnection(type)) mayHaveMoved = true;
        const durationMs = elapsed(t0);
        timings.push({ index: statementIndex, line, durationMs, sql: excerpt(text?.sql ?? '').text });
        this.events.emit({ type: 'statement:done', ...step, line, durationMs, summary });
      }
      if (signal?.aborted) throw new CancelledError(String(signal.reason ?? 'cancelled'));
      if (mayHaveMoved) {
        this.#home ??= readHome(this.#connection);
        await ensureHome(this.#connection, await this.#home);
      }
      const durationMs = elapsed(start);
      return {
        durationMs,
        result: { version: m.version, name: m.name, file: m.file, checksum: m.checksum, status: 'applied', statements: m.statements.length, durationMs, statementTimings: timings },
      };
    } catch (err) {
      // a refused statement may already have moved the connection: back before anything is recorded
      if (err instanceof ConnectionStateError) await this.#backHome();
      const cancelled = err instanceof CancelledError || Boolean(signal?.aborted);
      return this.#notApplied(m, runId, start, err, cancelled, statementIndex, timings);
    }
  }

  /** The result (and migration:failed event) of a migration whose statements failed or were cancelled. */
  #notApplied(
    m: MigrationFile,
    runId: string,
    start: bigint,
    err: unknown,
    cancelled: boolean,
    statementIndex: number | undefined,
    timings: StatementTiming[] | undefined,
  ): { result: MigrationResult; durationMs: number } {
    const text = statementIndex === undefined ? undefined : m.statements[statementIndex];
    const error: MigrationError = {
      message: cancelled ? `cancelled: ${this.#errorText(err)}` : this.#errorText(err),
      statementIndex,
      line: text?.line,
      sql: text ? excerpt(text.sql).text : undefined,
      file: m.file,
    };
    const durationMs = elapsed(start);
    this.events.emit({ type: 'migration:failed', runId, version: m.version, name: m.name, durationMs, cancelled, error });
    return {
      durationMs,
      result: {
        version: m.version,
        name: m.name,
        file: m.file,
        checksum: m.checksum,
        status: cancelled ? 'cancelled' : 'failed',
        statements: m.statements.length,
        durationMs,
        ...(timings && { statementTimings: timings }),
        error,
      },
    };
  }

  /**
   * Opens the migration's transaction and runs its statements (never throws for SQL
   * errors, as #execute). With nobody listening for statement events and a file
   * file-at-once.ts admits, BEGIN and the whole file go to DuckDB in one call: no
   * per-statement events or timings then, but DuckDB's progress of the running statement
   * is still sampled (migration:progress). If that call fails, the transaction is rolled
   * back and the file runs again statement by statement, so the failure is reported with
   * DuckDB's own statement and line exactly as before; a cancellation, or a failure that
   * invalidated the database, is reported as it is (the statement is known only in a
   * one-statement file).
   */
  async #beginAndExecute(
    m: MigrationFile,
    index: number,
    total: number,
    runId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ result: MigrationResult; durationMs: number }> {
    if (signal?.aborted || this.events.wantsStatements || !runsAtOnce(m, duckdbStatementCount(this.#parsed, m.checksum))) {
      await this.#connection.run('BEGIN TRANSACTION');
      return this.#execute(m, index, total, runId, signal);
    }
    const start = process.hrtime.bigint();
    this.events.emit({ type: 'migration:start', runId, version: m.version, name: m.name, index, total, statements: m.statements.length });
    const stopSampling = sampleProgress(this.#connection, (sample) => this.events.emit({ type: 'migration:progress', runId, version: m.version, name: m.name, ...sample }));
    try {
      try {
        await beginAndRunAtOnce(this.#connection, m);
      } finally {
        stopSampling();
      }
      if (signal?.aborted) throw new CancelledError(String(signal.reason ?? 'cancelled'));
      const durationMs = elapsed(start);
      return {
        durationMs,
        result: { version: m.version, name: m.name, file: m.file, checksum: m.checksum, status: 'applied', statements: m.statements.length, durationMs },
      };
    } catch (err) {
      await this.#rollback();
      const cancelled = err instanceof CancelledError || Boolean(signal?.aborted);
      if (cancelled || (await isInvalidated(this.#connection))) {
        return this.#notApplied(m, runId, start, err, cancelled, m.statements.length === 1 ? 0 : undefined, undefined);
      }
    }
    await this.#connection.run('BEGIN TRANSACTION');
    return this.#execute(m, index, total, runId, signal, true);
  }

  /**
   * One transaction per migration, each together with its ledger row. `recordSuccess` writes
   * the run's history row inside the last migration's transaction, before its COMMIT, given
   * the results as they stand if that COMMIT succeeds.
   */
  async #applyEach(batch: MigrationFile[], runId: string, options: RunOptions, recordSuccess?: (results: MigrationResult[]) => Promise<void>): Promise<MigrationResult[]> {
    const results = batch.map(notRun);
    const interrupt = this.#interruptOn(options.signal);
    try {
      for (const [index, m] of batch.entries()) {
        const outcome = await this.#beginAndExecute(m, index, batch.length, runId, options.signal);
        let result = outcome.result;
        if (result.status === 'applied') {
          // the statements ran; the ledger row and the commit can still fail or be interrupted
          let lateError: string | undefined;
          try {
            await this.#writeApplied(m, outcome.durationMs, runId, options);
            if (options.fence) confirmFence(options.fence);
            if (recordSuccess && index === batch.length - 1) await recordSuccess(results.map((r, i) => (i === index ? result : r)));
            this.#phase('committing', m);
            await this.#connection.run('COMMIT');
            if (!(await this.#verifyCommitted(m, runId, interrupt.fired))) lateError = 'cancelled: the transaction was interrupted before it committed';
          } catch (err) {
            await this.#rollback();
            if (err instanceof FenceRefusedError) this.#fenceRefused = err;
            lateError = this.#errorText(withoutStackTrace((err as Error).message));
          }
          if (lateError) {
            const cancelled = interrupt.fired();
            result = { ...result, status: cancelled ? 'cancelled' : 'failed', error: { message: lateError, file: m.file } };
            this.events.emit({ type: 'migration:failed', runId, version: m.version, name: m.name, durationMs: outcome.durationMs, cancelled, error: result.error! });
          }
        } else {
          await this.#rollback();
        }
        results[index] = result;
        if (result.status !== 'applied') {
          results[index] = withNote(result, await this.#recordFailure(result, runId, options));
          break;
        }
        await this.#checkpoints.afterCommit();
        this.events.emit({ type: 'migration:done', runId, version: m.version, name: m.name, durationMs: outcome.durationMs });
      }
    } finally {
      interrupt.dispose();
    }
    return results;
  }

  /** The whole batch in one transaction: all applied, or none. */
  async #applyBatch(batch: MigrationFile[], runId: string, options: RunOptions): Promise<MigrationResult[]> {
    const results = batch.map(notRun);
    const interrupt = this.#interruptOn(options.signal);
    const done: { m: MigrationFile; durationMs: number }[] = [];
    let failure: MigrationResult | undefined;
    try {
      await this.#connection.run('BEGIN TRANSACTION');
      for (const [index, m] of batch.entries()) {
        const outcome = await this.#execute(m, index, batch.length, runId, options.signal);
        results[index] = outcome.result;
        if (outcome.result.status !== 'applied') {
          failure = outcome.result;
          break;
        }
        try {
          await this.#writeApplied(m, outcome.durationMs, runId, options);
        } catch (err) {
          failure = { ...outcome.result, status: 'failed', error: { message: this.#errorText(withoutStackTrace((err as Error).message)), file: m.file } };
          results[index] = failure;
          break;
        }
        done.push({ m, durationMs: outcome.durationMs });
      }
      if (!failure) {
        const last = done.at(-1)!;
        const lastIndex = batch.indexOf(last.m);
        try {
          if (options.fence) confirmFence(options.fence);
          this.#phase('committing');
          await this.#connection.run('COMMIT');
          if (!(await this.#verifyCommitted(last.m, runId, interrupt.fired))) {
            failure = { ...results[lastIndex]!, status: 'cancelled', error: { message: 'cancelled: the transaction was interrupted before it committed', file: last.m.file } };
          }
        } catch (err) {
          // a failure at COMMIT belongs to the batch; it is reported on its last migration
          await this.#rollback();
          if (err instanceof FenceRefusedError) this.#fenceRefused = err;
          failure = { ...results[lastIndex]!, status: 'failed', error: { message: `the batch failed at COMMIT: ${this.#errorText(withoutStackTrace((err as Error).message))}`, file: last.m.file } };
        }
        if (failure) {
          results[lastIndex] = failure;
          done.pop();
          this.events.emit({ type: 'migration:failed', runId, version: last.m.version, name: last.m.name, durationMs: last.durationMs, cancelled: failure.status === 'cancelled', error: failure.error! });
        }
      } else {
        await this.#rollback();
      }
    } finally {
      interrupt.dispose();
    }
    if (failure) {
      for (const { m } of done) {
        const i = batch.indexOf(m);
        if (results[i]!.status === 'applied') results[i] = { ...results[i]!, status: 'rolled-back' };
      }
      const i = results.indexOf(failure);
      results[i] = withNote(failure, await this.#recordFailure(failure, runId, options));
      return results;
    }
    await this.#checkpoints.afterCommit();
    for (const { m, durationMs } of done) this.events.emit({ type: 'migration:done', runId, version: m.version, name: m.name, durationMs });
    return results;
  }

  async #writeApplied(m: MigrationFile, durationMs: number, runId: string, options: RunOptions): Promise<void> {
    await this.#ledger.write({
      version: m.version,
      name: m.name,
      checksum: m.checksum,
      status: 'applied',
      appliedAt: new Date().toISOString(),
      durationMs,
      appliedBy: options.appliedBy ?? SYSTEM_USER,
      runId,
      jobId: options.jobId ?? null,
      error: null,
    });
    if (this.#mirrorLegacy) await this.#ledger.mirrorLegacyVersion(m.version);
  }

  /**
   * After an interrupt DuckDB may answer COMMIT with OK yet roll back; when an
   * interrupt was issued, trust only the ledger row that the commit should have stored.
   */
  async #verifyCommitted(m: MigrationFile, runId: string, interrupted: () => boolean): Promise<boolean> {
    if (!interrupted()) return true;
    const reader = await this.#connection.runAndReadAll(
      "SELECT count(*) FROM schema_migrations WHERE version = ? AND run_id = ? AND status = 'applied'",
      [m.version, runId],
    );
    return Number(reader.getRows()[0]?.[0] ?? 0) > 0;
  }

  /**
   * A failed or cancelled attempt is kept in the ledger, in its own transaction, on the
   * reopened file when the failure invalidated the database. Returns why it could not be
   * recorded, if so.
   */
  async #recordFailure(r: MigrationResult, runId: string, options: RunOptions): Promise<string | undefined> {
    if (!this.#mayWrite(options)) return 'not recorded in the file: this writer lost its fence';
    const unusable = await this.#recover();
    if (unusable) return unusable;
    const error = r.error
      ? errorExcerpt(`${r.error.message}${r.error.statementIndex !== undefined ? ` [statement ${r.error.statementIndex + 1}${r.error.line ? `, line ${r.error.line}` : ''}]` : ''}`)
      : r.status;
    await this.#ledger.write({
      version: r.version,
      name: r.name,
      checksum: r.checksum,
      status: r.status === 'cancelled' ? 'cancelled' : 'failed',
      appliedAt: new Date().toISOString(),
      durationMs: r.durationMs ?? null,
      appliedBy: options.appliedBy ?? SYSTEM_USER,
      runId,
      jobId: options.jobId ?? null,
      error,
    });
    await this.#checkpoints.afterCommit();
    return undefined;
  }

  /**
   * After a failure: when DuckDB invalidated the instance (a fatal error rolls the open
   * transaction back and refuses every further query), reopen the file so that the failure
   * can be recorded and the runner keeps working. Returns why the database stays unusable.
   */
  async #recover(): Promise<string | undefined> {
    if (!(await isInvalidated(this.#connection))) return undefined;
    const database = this.#options.database;
    if (!database?.reopen) return 'DuckDB invalidated the database instance and this runner cannot reopen it; the failure is not recorded';
    try {
      this.#ledger = new Ledger(await database.reopen());
      this.#options.logger?.warn({ event: 'database:reopened' }, 'DuckDB invalidated the database instance; reopened the file to record the failure');
      return undefined;
    } catch (err) {
      return `DuckDB invalidated the database instance and reopening it failed (${(err as Error).message}); the failure is not recorded`;
    }
  }

  /** The result once its run-history row is written, or saying why it could not be. */
  async #recorded(result: RunResult, options: RunOptions): Promise<RunResult> {
    const note = await this.#recordRun(result, options);
    return note ? { ...result, error: result.error ? `${result.error} (${note})` : note } : result;
  }

  /** The run-history row; returns why it could not be written, if so. */
  async #recordRun(result: RunResult, options: RunOptions): Promise<string | undefined> {
    // only a failure can have invalidated the database
    const unusable = result.status === 'success' || result.status === 'nothing-to-do' ? undefined : await this.#recover();
    if (unusable) return unusable;
    await recordFinishedRun(this.#ledger, result, { jobId: options.jobId, requestedBy: options.appliedBy, reason: options.reason });
    // no CHECKPOINT of its own: a run's row is written before the run's last checkpoint, and
    // a plain INSERT replays from the WAL without trouble otherwise (the replay bug is DDL's)
    return undefined;
  }

  /** schema_version catches up with the run's versions; a failure here loses nothing (the next run or crash record retries). */
  async #syncLegacy(): Promise<void> {
    try {
      await this.#ledger.syncLegacyVersions();
    } catch (err) {
      this.#options.logger?.warn({ event: 'legacy:sync-failed', error: this.#errorText(err) }, 'schema_version could not be brought up to date');
    }
  }

  /** false once the run's fence refused it or its writer lost the lease: the file gets no more writes */
  #mayWrite(options: RunOptions): boolean {
    return this.#fenceRefused === null && (options.fence?.held() ?? true);
  }

  async #rollback(): Promise<void> {
    try {
      await this.#connection.run('ROLLBACK');
    } catch {
      // no transaction open (DuckDB already aborted it): nothing to roll back
    }
  }

  #interruptOn(signal: AbortSignal | undefined): { fired: () => boolean; dispose: () => void } {
    let fired = false;
    if (!signal) return { fired: () => false, dispose: () => {} };
    const onAbort = () => {
      fired = true;
      this.#connection.interrupt();
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return { fired: () => fired, dispose: () => signal.removeEventListener('abort', onAbort) };
  }

  #finish(r: FinishFields): RunResult {
    const result = this.#resultOf(r);
    this.#announce(result);
    return result;
  }

  /** The run's result, not yet announced (run:done). */
  #resultOf(r: FinishFields): RunResult {
    const durationMs = elapsed(r.start);
    const errorCode = r.errorCode ?? (r.status === 'cancelled' ? 'cancelled' : r.status === 'failed' ? 'migration-failed' : undefined);
    const result: RunResult = {
      runId: r.runId,
      mode: r.mode,
      status: r.status,
      startedAt: r.startedAt.toISOString(),
      finishedAt: new Date(r.startedAt.getTime() + durationMs).toISOString(),
      durationMs,
      fromVersion: r.fromVersion,
      toVersion: r.toVersion ?? r.fromVersion,
      migrations: r.migrations,
      problems: r.problems,
      ...(r.error !== undefined && { error: r.error }),
      ...(errorCode && { errorCode }),
      ...(r.plan && { plan: r.plan }),
      ...(r.schemaDiff && { schemaDiff: r.schemaDiff }),
      ...(r.restorePoint && { restorePoint: r.restorePoint }),
      ...(r.planId && { planId: r.planId }),
      ...(r.undo && { undo: r.undo }),
    };
    return result;
  }

  #announce(result: RunResult): void {
    this.events.emit({
      type: 'run:done',
      runId: result.runId,
      mode: result.mode,
      status: result.status,
      durationMs: result.durationMs,
      applied: result.migrations.filter((m) => m.status === 'applied' || m.status === 'undone').length,
      failed: result.migrations.filter((m) => m.status === 'failed' || m.status === 'cancelled').length,
    });
  }
}
