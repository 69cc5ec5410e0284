// Opens and closes the DuckDB file safely: retries while another process holds the lock
// (as the old application did: 5 attempts, 1 s apart) and then names that process;
// recovers DuckDB 1.5's WAL-replay failure (duckdb#18259 and kin) by attaching the file
// from an in-memory instance and checkpointing it; reopens the file when DuckDB
// invalidated the instance (a fatal error at COMMIT); checkpoints (when a WAL is left) and
// closes exactly once.
// Before opening: an interrupted restore is settled, a restore in progress (its journal)
// counts as a lock, and a missing file is not re-created when traces say a database was there.
// Every database it opens is sandboxed (sandbox.ts): migrations reach no file but the
// database itself and the allow-list; and reports query progress (statement-progress.ts).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { databaseTraces } from './database-traces.js';
import { settleSwap, SwapInProgressError } from './restore-journal.js';
import { SANDBOX_INSTANCE_OPTIONS, applySandbox } from './sandbox.js';
import { PROGRESS_SETTINGS } from './statement-progress.js';

export class DatabaseLockedError extends Error {
  override name = 'DatabaseLockedError';
  constructor(
    readonly path: string,
    readonly holderPid: number | undefined,
    cause: unknown,
  ) {
    super(
      `database ${path} is locked by another process${holderPid ? ` (PID ${holderPid})` : ''}; ` +
        'only one process may open a DuckDB file: stop it (is a duckmig worker running? use `--api` to go through it) and retry',
      { cause },
    );
  }
}

export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot open database ${path}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export class DatabaseMissingError extends DatabaseOpenError {
  override name = 'DatabaseMissingError';
  constructor(path: string, traces: string[]) {
    super(
      path,
      new Error(
        `the file is missing, but a database existed there: ${traces.join('; ')}. duckmig does not create an empty database in its place: ` +
          `put the file back (e.g. move the .before-restore copy to ${path}, or copy a restore point's .duckdb file there) and start again`,
      ),
    );
  }
}

/** Settles an interrupted restore; a live restore is a lock; a vanished database is refused. */
async function guardOpen(path: string, options: OpenOptions): Promise<void> {
  const holder = await settleSwap(path, { logger: options.logger });
  if (holder !== null) throw new SwapInProgressError(path, holder);
  if (existsSync(path)) return;
  const traces = await databaseTraces(path, options.restoreDir);
  if (traces.length > 0) throw new DatabaseMissingError(path, traces);
}

export interface OpenOptions {
  /** attempts while the file is locked (default 5) */
  attempts?: number;
  /** pause between attempts in ms (default 1000) */
  retryDelayMs?: number;
  logger?: Logger;
  /** where this database's restore points live: one there means the database existed */
  restoreDir?: string;
  /** files and directories migrations may read and write besides the database (DUCKMIG_ALLOWED_PATHS) */
  allowedPaths?: readonly string[];
  /** DuckDB's `threads` setting (DUCKMIG_DUCKDB_THREADS in the worker); unset: DuckDB's default, every core */
  threads?: number;
}

const LOCK_ERROR = /Could not set lock on file|Conflicting lock is held/i;

/** True when DuckDB refused a file because another process holds its lock. */
export const isLockError = (message: string): boolean => LOCK_ERROR.test(message);
const WAL_REPLAY_ERROR = /Failure while replaying WAL file|replaying WAL/i;
const INVALIDATED = /database has been invalidated/i;

/**
 * Every DuckDB instance duckmig opens on a database file (the live one, a rehearsal copy)
 * is created here, so all of them get the same settings.
 */
export async function createInstance(path: string, threads?: number): Promise<DuckDBInstance> {
  return DuckDBInstance.create(path, threads === undefined ? SANDBOX_INSTANCE_OPTIONS : { ...SANDBOX_INSTANCE_OPTIONS, threads: String(threads) });
}

/** DuckDB's message without the native stack trace an INTERNAL error carries. */
export function withoutStackTrace(message: string): string {
  return message.replace(/\n+Stack Trace:\n[\s\S]*?(?=\n\nThis error signals|$)/, '');
}

/** True when DuckDB refuses every further use of the instance after a fatal error. */
export async function isInvalidated(connection: DuckDBConnection): Promise<boolean> {
  try {
    await connection.run('SELECT 1');
    return false;
  } catch (err) {
    return INVALIDATED.test((err as Error).message ?? '');
  }
}

export function lockHolder(message: string): number | undefined {
  const m = /\(PID (\d+)\)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Replays a WAL that a direct open cannot: ATTACH from :memory:, CHECKPOINT, DETACH. */
export async function recoverWal(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`ATTACH ${sqlString(path)} AS duckmig_recover`);
    await connection.run('CHECKPOINT duckmig_recover');
    await connection.run('DETACH duckmig_recover');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** the DuckDB library's version, read on the first open */
let libraryVersion: string | undefined;

export class Database {
  #closed: Promise<void> | null = null;
  #instance: DuckDBInstance;
  #connection: DuckDBConnection;

  private constructor(
    readonly path: string,
    instance: DuckDBInstance,
    connection: DuckDBConnection,
    readonly duckdbVersion: string,
    private readonly options: OpenOptions,
  ) {
    this.#instance = instance;
    this.#connection = connection;
  }

  get instance(): DuckDBInstance {
    return this.#instance;
  }

  /** The open connection; a new one after reopen(). */
  get connection(): DuckDBConnection {
    return this.#connection;
  }

  /** what migrations may reach besides the database; a reopen keeps it */
  get allowedPaths(): readonly string[] {
    return this.options.allowedPaths ?? [];
  }

  /** the `threads` it was opened with (undefined: DuckDB's default); a reopen and a rehearsal copy keep it */
  get threads(): number | undefined {
    return this.options.threads;
  }

  static async open(path: string, options: OpenOptions = {}): Promise<Database> {
    const { attempts = 5, retryDelayMs = 1000, logger } = options;
    const inMemory = path === ':memory:';
    const full = inMemory ? path : resolve(path);
    if (!inMemory) mkdirSync(dirname(full), { recursive: true });
    let recovered = false;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!inMemory) await guardOpen(full, options);
        const instance = await createInstance(full, options.threads);
        // a restore may have begun its swap while DuckDB was opening the file: its journal wins
        const swapping = inMemory ? null : await settleSwap(full, { settle: false });
        if (swapping !== null) {
          instance.closeSync();
          throw new SwapInProgressError(full, swapping);
        }
        const connection = await instance.connect();
        await applySandbox(connection, options.allowedPaths, PROGRESS_SETTINGS).catch((err: unknown) => {
            connection.closeSync();
            instance.closeSync();
            throw err;
          });
        // one DuckDB library per process: its version is asked once
        libraryVersion ??= String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0] ?? 'unknown');
        const version = libraryVersion;
        return new Database(full, instance, connection, version, options);
      } catch (err) {
        if (err instanceof DatabaseOpenError) throw err;
        const message = (err as Error).message ?? String(err);
        if (WAL_REPLAY_ERROR.test(message) && !recovered) {
          logger?.warn({ event: 'wal-recovery', path: full, error: message.split('\n')[0] }, 'recovering a WAL that DuckDB could not replay directly');
          await recoverWal(full);
          recovered = true;
          logger?.info({ event: 'wal-recovered', path: full }, 'WAL replayed and checkpointed; nothing committed was lost');
          continue;
        }
        if (LOCK_ERROR.test(message) || err instanceof SwapInProgressError) {
          const holderPid = err instanceof SwapInProgressError ? err.holderPid : lockHolder(message);
          if (attempt < attempts) {
            logger?.warn({ event: 'database-locked', path: full, attempt, attempts, holderPid }, 'database locked, retrying');
            await delay(retryDelayMs);
            continue;
          }
          throw new DatabaseLockedError(full, holderPid, err);
        }
        throw new DatabaseOpenError(full, err);
      }
    }
  }

  get sizeBytes(): number {
    if (this.path === ':memory:') return 0;
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  /**
   * After DuckDB invalidated the instance (a fatal error, e.g. an INTERNAL error at COMMIT,
   * rolls the transaction back and refuses every further query): closes it and opens the
   * file again, so the failure can be recorded and work continue. Returns the new connection.
   * An in-memory database cannot come back: its content is gone with the instance.
   */
  async reopen(): Promise<DuckDBConnection> {
    if (this.#closed) throw new Error(`database ${this.path} is closed`);
    if (this.path === ':memory:') throw new Error('an in-memory database cannot be reopened after DuckDB invalidated it');
    try {
      this.#connection.closeSync();
      this.#instance.closeSync();
    } catch {
      // an invalidated instance may refuse to close cleanly; it is replaced either way
    }
    this.options.logger?.warn({ event: 'database:reopen', path: this.path }, 'DuckDB invalidated the database instance; reopening the file');
    const reopened = await Database.open(this.path, { ...this.options, attempts: 1 });
    this.#instance = reopened.#instance;
    this.#connection = reopened.#connection;
    return this.#connection;
  }

  /** Whether the file's write-ahead log holds anything (committed but not yet checkpointed). */
  #hasWal(): boolean {
    try {
      return statSync(`${this.path}.wal`).size > 0;
    } catch {
      return false;
    }
  }

  async checkpoint(): Promise<void> {
    await this.connection.run('CHECKPOINT');
  }

  /**
   * Checkpoints what the WAL holds, as close() does first. With no WAL on disk every commit is
   * already in the file (a run's last CHECKPOINT came after its last write): nothing to do.
   * False when the checkpoint failed (the WAL stays, and is recovered on the next open).
   */
  async checkpointWal(): Promise<boolean> {
    if (!this.#hasWal()) return true;
    try {
      await this.connection.run('CHECKPOINT');
      return true;
    } catch {
      return false;
    }
  }

  /** Checkpoints (so no WAL is left to replay) and closes; safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      // a failed checkpoint must not keep the file open
      await this.checkpointWal();
      this.#connection.closeSync();
      this.#instance.closeSync();
    })();
    return this.#closed;
  }
}
