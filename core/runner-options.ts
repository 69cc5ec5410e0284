// The runner's options: what a MigrationRunner is built on (connection, source, database
// file, checkpoint policy, sandbox secrets) and what each run, dry-run or undo is asked to do.
import type { ParseCache } from './parse-check.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { AppliedFile, DriftReport, PlanEntry, PlannedMigration, RestorePointRef, RunResult } from '../contract/index.js';
import type { CheckpointPolicy } from './checkpoint-policy.js';
import type { MigrationSource } from './source.js';
import type { WriteFence } from './write-fence.js';

export interface DatabaseInfo {
  readonly path: string;
  readonly sizeBytes: number;
  readonly duckdbVersion: string;
  /**
   * Closes the instance DuckDB invalidated and opens the file again, returning the new
   * connection (Database.reopen). Without it a failure that invalidates the database
   * cannot be recorded.
   */
  reopen?(): Promise<DuckDBConnection>;
  /** what migrations may read besides the database (a rehearsal's copy gets the same) */
  readonly allowedPaths?: readonly string[];
  /** DuckDB's `threads` setting it was opened with (a rehearsal's copy gets the same) */
  readonly threads?: number;
}

export interface RunnerOptions {
  connection: DuckDBConnection;
  source: MigrationSource;
  /** what status() reports about the database file */
  database?: DatabaseInfo;
  logger?: Logger;
  /**
   * When to CHECKPOINT (checkpoint-policy.ts): a budget (default: every 2 s or 64 MiB of
   * WAL, and when the run ends), 'each' committed migration, or only at the 'end'. All are
   * crash-safe: a migration commits with its ledger row, and opening recovers any WAL.
   */
  checkpoint?: CheckpointPolicy;
  /** allow a new migration numbered below an applied one to run (default false) */
  allowOutOfOrder?: boolean;
  /**
   * Which databases get the versions a run applies mirrored into `schema_version` for old
   * application builds: 'always' (default: the project's own database, which old builds may
   * open) or 'adopted' (only a database whose schema_version carried versions duckmig did not
   * apply, i.e. one an old build created; fleet targets, where no old build runs otherwise).
   */
  legacyVersions?: 'always' | 'adopted';
  /**
   * Which runner events the logger gets at info: 'all' (default), or 'failures' (a failed
   * migration at error, every other event at debug: a fleet worker, whose one line per target
   * says how its run ended, and whose thousands of targets would otherwise log a dozen lines each).
   */
  logEvents?: 'all' | 'failures';
  /** values never to show in an error (tokens, passwords): replaced with [redacted]; a function is asked each time */
  secrets?: readonly string[] | (() => readonly string[]);
  /**
   * DuckDB parser outcomes by file checksum, shared by the runners of one process (a fleet
   * worker opens a runner per target): each file is parsed once, not once per runner.
   */
  parsed?: ParseCache;
}

export interface RunOptions {
  /** apply up to and including this version */
  target?: number;
  /** one transaction for the whole batch instead of one per migration */
  allOrNothing?: boolean;
  appliedBy?: string;
  reason?: string;
  jobId?: string;
  runId?: string;
  /** aborting interrupts the running statement and rolls its migration back */
  signal?: AbortSignal;
  /** the plan id this run must apply (from a dry-run): refused, nothing applied, when the pending files differ */
  plan?: string;
  /** what that plan contained, when known: the refusal then names each changed, added or removed file */
  previewedPlan?: PlanEntry[];
  /**
   * Called once before anything is applied (only when something is pending), e.g. to take
   * a restore point. If it throws, nothing is applied and the run fails with its message.
   */
  beforeApply?: (info: {
    fromVersion: number;
    batch: PlannedMigration[];
    /** the bytes of the restore point copied so far and the file's size, as the copy goes (reported as the phase 'restore-point') */
    onCopied?: (bytesDone: number, bytes: number) => void;
  }) => Promise<RunResult['restorePoint'] | null | undefined>;
  /**
   * A writer fenced by a token (a fleet shard's lease, write-fence.ts): the run claims the
   * file's fence before its first write and passes it again inside each migration's
   * transaction, before COMMIT. Refused (errorCode 'lease-lost'): the migration rolls back
   * and the run writes nothing more to the file, not even its failure or history rows.
   */
  fence?: WriteFence;
  /**
   * Checks the database for drift before anything is applied (only when something is
   * pending; DriftChecker.check): a drifted database refuses the run (errorCode 'drifted').
   * Leave it out to apply whatever the schema (allowDrift).
   */
  driftCheck?: (connection: DuckDBConnection, applied: readonly AppliedFile[]) => Promise<DriftReport>;
}

export interface DryRunOptions {
  target?: number;
  /**
   * really execute the pending batch, as a run would (one committed transaction per file,
   * or one for the batch with allOrNothing), on a copy of the database that is then discarded
   */
  rehearse?: boolean;
  /** rehearse the batch in one transaction, as `run` with allOrNothing would */
  allOrNothing?: boolean;
  jobId?: string;
  runId?: string;
  signal?: AbortSignal;
}

export interface UndoOptions {
  /** the version to go back to: every migration applied above it is undone, newest first */
  to: number;
  /** the undo preview's plan id this undo must run: refused, nothing changed, when it differs */
  plan?: string;
  appliedBy?: string;
  reason?: string;
  jobId?: string;
  runId?: string;
  /** aborting interrupts the running statement and rolls its down script back */
  signal?: AbortSignal;
  /** the restore points of the database, to offer one when a down script is missing */
  restorePoints?: () => Promise<readonly RestorePointRef[]>;
  /** called once before the first down script runs, e.g. to take a restore point (as for a run) */
  beforeApply?: RunOptions['beforeApply'];
}

export type UndoPreviewOptions = Pick<UndoOptions, 'to' | 'jobId' | 'runId' | 'signal' | 'restorePoints'>;
