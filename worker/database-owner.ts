// The worker's hold on its DuckDB file: the one open Database, the MigrationRunner on its
// connection, and the restore points of that database. Every use goes through exclusive(),
// so the connection serves one thing at a time (a job, a snapshot, the final close), and a
// restore can swap the file underneath (close, replace, reopen, under its journal) while
// nobody holds the old connection. close() waits for the use in progress and checkpoints;
// it is memoised.
import type { Logger } from 'pino';
import type { AppliedFile, DatabaseSchema, DriftReport, RestorePointRef, RunResult, RunnerEvent } from '../contract/index.js';
import { restorePointsFrom, restoreStepHook, type RestoreSettings } from '../config/restore-settings.js';
import { Database, DriftChecker, readDriftSchema, FileMigrationSource, MigrationRunner, replaySchema, restoreDatabase, type CheckpointPolicy, type ExpectedSchemaStore, type RestorePoints, type RunOptions } from '../core/index.js';

export interface OwnerOptions {
  dbPath: string;
  migrationsDir: string;
  restore: RestoreSettings;
  logger: Logger;
  /** migration files larger than this are refused (default 64 MiB) */
  maxFileBytes?: number;
  /** when runs checkpoint (undefined: the runner's default budget) */
  checkpoint?: CheckpointPolicy;
  /** what migrations may read besides the database (DUCKMIG_ALLOWED_PATHS) */
  allowedPaths?: readonly string[];
  /** values scrubbed from every error a migration produces */
  secrets?: () => readonly string[];
  /** DuckDB's `threads` (DUCKMIG_DUCKDB_THREADS); unset: DuckDB's default, every core */
  threads?: number;
}

export interface Held {
  db: Database;
  runner: MigrationRunner;
}

export class DatabaseOwner {
  #held: Held;
  #broken: Error | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #closed: Promise<void> | null = null;
  #isClosed = false;
  readonly #options: OwnerOptions;
  readonly #points: RestorePoints;
  readonly #drift: DriftChecker;

  private constructor(db: Database, options: OwnerOptions) {
    this.#options = options;
    this.#held = { db, runner: this.#runnerFor(db) };
    this.#points = restorePointsFrom(options.restore);
    const { migrationsDir, maxFileBytes, allowedPaths, secrets } = options;
    this.#drift = new DriftChecker({ source: new FileMigrationSource(migrationsDir, { maxFileBytes }), allowedPaths, secrets });
  }

  /**
   * Opens the file (retrying while another process holds it, recovering an unreplayable WAL,
   * settling an interrupted restore); refuses to create it when traces say it existed.
   */
  static async open(options: OwnerOptions): Promise<DatabaseOwner> {
    return new DatabaseOwner(
      await Database.open(options.dbPath, { logger: options.logger, restoreDir: options.restore.dir, allowedPaths: options.allowedPaths, threads: options.threads }),
      options,
    );
  }

  get db(): Database {
    return this.#held.db;
  }

  #runnerFor(db: Database): MigrationRunner {
    return new MigrationRunner({
      connection: db.connection,
      source: new FileMigrationSource(this.#options.migrationsDir, { maxFileBytes: this.#options.maxFileBytes }),
      database: db,
      logger: this.#options.logger,
      checkpoint: this.#options.checkpoint,
      secrets: this.#options.secrets,
    });
  }

  /** Keeps the drift checks' expected schema in `store`, so a restart over the same applied files need not replay them. */
  keepExpectedSchemaIn(store: ExpectedSchemaStore): void {
    this.#drift.keepIn(store);
  }

  /** Runs `use` after every other use in progress; the database is not touched meanwhile. */
  exclusive<T>(use: (held: Held) => Promise<T>): Promise<T> {
    const run = () => {
      if (this.#isClosed) throw new Error('the database is closed: the worker is shutting down');
      if (this.#broken) throw this.#broken;
      return use(this.#held);
    };
    const next = this.#tail.then(run, run);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /**
   * The schema the applied files produce on an empty in-memory database (the live file is
   * not touched, so this needs no exclusive use).
   */
  replaySchema(applied: readonly AppliedFile[]): Promise<DatabaseSchema> {
    const { migrationsDir, maxFileBytes, allowedPaths, secrets } = this.#options;
    return replaySchema({ source: new FileMigrationSource(migrationsDir, { maxFileBytes }), applied, allowedPaths, secrets });
  }

  /**
   * Applies pending migrations on `held` (inside an exclusive use). Unless `allowDrift`, the
   * run is refused on a drifted database; and when it found none and applied everything, the
   * live schema read right after it becomes the drift checks' expectation for the new applied
   * list: the files' effect on a database that matched the older list, without replaying
   * every applied file (which re-executes their data too) on the next check.
   */
  async run(held: Held, options: Omit<RunOptions, 'driftCheck'>, allowDrift = false): Promise<RunResult> {
    let cleanBefore = false;
    const driftCheck: NonNullable<RunOptions['driftCheck']> = async (connection, applied) => {
      const report = await this.#drift.check(connection, applied);
      cleanBefore = !report.drifted && report.error === null;
      return report;
    };
    const result = await held.runner.run(allowDrift ? options : { ...options, driftCheck });
    if (cleanBefore && result.status === 'success') {
      try {
        const live = await readDriftSchema(held.db.connection);
        const applied = await held.runner.getAppliedFiles();
        await this.#drift.advance(applied, live.schema);
      } catch (err) {
        this.#options.logger.debug({ err }, 'schema after the run not read; the next drift check replays the applied files');
      }
    }
    return result;
  }

  /**
   * Compares the live schema with the applied files' replay: the catalog is read in an
   * exclusive use, the replay (an in-memory database of its own) runs after it, so a job
   * waits for the catalog reads only.
   */
  async checkDrift(): Promise<DriftReport> {
    const { live, applied } = await this.exclusive(async ({ db, runner }) => ({
      live: await readDriftSchema(db.connection),
      applied: await runner.getAppliedFiles(),
    }));
    return this.#drift.compare(live, applied);
  }

  /** Restore points on disk, newest first, as the contract's references. */
  async listRestorePoints(): Promise<RestorePointRef[]> {
    return (await this.#points.list(this.#held.db.path)).map(({ id, path, sizeBytes, checksum, createdAt, version, reason }) => ({ id, path, sizeBytes, checksum, createdAt, version, reason }));
  }

  /**
   * The run option that takes a restore point before a run applies anything (when
   * DUCKMIG_RESTORE_POINTS is on); the database above DUCKMIG_RESTORE_MAX_MB gets none.
   */
  restorePointHook(held: Held, reason: string): RunOptions['beforeApply'] {
    if (!this.#options.restore.enabled) return undefined;
    return async ({ fromVersion, onCopied }) => {
      const point = await this.#points.create(held.db.connection, held.db.path, { version: fromVersion, reason }, onCopied && { onCopied });
      if (!point) {
        this.#options.logger.warn({ event: 'restore-point:skipped', sizeBytes: held.db.sizeBytes, maxBytes: this.#options.restore.maxBytes }, 'database above DUCKMIG_RESTORE_MAX_MB: no restore point taken');
      } else {
        this.#options.logger.info({ event: 'restore-point:created', id: point.id, sizeBytes: point.sizeBytes }, `restore point ${point.id} taken`);
      }
      return point;
    };
  }

  /**
   * Puts a restore point of this database back in place of the file (closing and reopening it
   * under the swap journal), after taking one of the current state; keeps the run history.
   */
  restore(options: { id: string; requestedBy: string; reason?: string; jobId: string; runId: string; emit: (event: RunnerEvent) => void }): Promise<RunResult> {
    return this.exclusive(async ({ db }) => {
      try {
        const { db: reopened, result } = await restoreDatabase({
          ...options,
          db,
          points: this.#points,
          logger: this.#options.logger,
          onStep: restoreStepHook(this.#options.restore),
        });
        this.#held = { db: reopened, runner: this.#runnerFor(reopened) };
        return result;
      } catch (err) {
        // if it failed after closing the file, open it again: the worker must keep its database
        if (this.#held.db === db) await this.#reopenAfter(err);
        throw err;
      }
    });
  }

  async #reopenAfter(cause: unknown): Promise<void> {
    try {
      await this.#held.db.connection.runAndReadAll('SELECT 1');
      return; // still open: restore failed before closing it
    } catch {
      // closed: reopen below
    }
    try {
      const db = await Database.open(this.#options.dbPath, {
        logger: this.#options.logger,
        restoreDir: this.#options.restore.dir,
        allowedPaths: this.#options.allowedPaths,
        threads: this.#options.threads,
      });
      this.#held = { db, runner: this.#runnerFor(db) };
    } catch (err) {
      this.#broken = new Error(`the database could not be reopened after a failed restore (${(cause as Error).message}): ${(err as Error).message}; restart the worker`);
      this.#options.logger.fatal({ err, event: 'database:broken' }, this.#broken.message);
    }
  }

  /** After the use in progress: checkpoints and closes. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      const close = () => {
        this.#isClosed = true;
        return this.#held.db.close();
      };
      this.#closed = this.#tail.then(close, close);
      this.#tail = this.#closed.catch(() => undefined);
    }
    return this.#closed;
  }
}
