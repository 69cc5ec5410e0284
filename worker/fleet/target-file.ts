// Opening one target's DuckDB file for a job or a scan, sandboxed like the single worker's
// database (core Database), and what a file that cannot be opened means for the fleet:
// gone → target-missing, held by another process → target-locked, anything else (corrupt,
// not a database, unreadable) → target-unreadable. A missing file is never created.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { Database, DatabaseLockedError, FileMigrationSource, MigrationRunner, errorExcerpt, type CheckpointPolicy } from '../../core/index.js';
import type { ParseCache } from '../../core/parse-check.js';
import type { MigrationSource } from '../../core/source.js';
import type { FleetErrorCode } from '../../contract/index.js';

/** What every target file is opened and migrated with (the worker's settings). */
export interface TargetSettings {
  migrationsDir: string;
  maxFileBytes?: number;
  allowedPaths?: readonly string[];
  threads: number;
  checkpoint?: CheckpointPolicy;
  /** values never to show in an error */
  secrets: () => readonly string[];
  logger: Logger;
  /** DuckDB parser outcomes every target's runner shares: the files are parsed once per worker, not once per target */
  parsed?: ParseCache;
}

export class TargetOpenError extends Error {
  override name = 'TargetOpenError';
  constructor(
    readonly code: Extract<FleetErrorCode, 'target-missing' | 'target-locked' | 'target-unreadable'>,
    message: string,
  ) {
    super(message);
  }
}

export interface OpenedTarget {
  db: Database;
  runner: MigrationRunner;
}

/** A migration source for the worker's files (scans share one, read once per scan). */
export function targetSource(settings: TargetSettings): MigrationSource {
  return new FileMigrationSource(settings.migrationsDir, { maxFileBytes: settings.maxFileBytes });
}

/** Opens the file once (no retries: a locked target is reported, not waited for); throws TargetOpenError. */
export async function openTarget(file: string, settings: TargetSettings, source: MigrationSource = targetSource(settings), restoreDir?: string): Promise<OpenedTarget> {
  if (!existsSync(file)) throw new TargetOpenError('target-missing', `${file} does not exist (deleted or renamed?)`);
  let db: Database;
  try {
    db = await Database.open(file, { attempts: 1, allowedPaths: settings.allowedPaths, threads: settings.threads, restoreDir });
  } catch (err) {
    const message = errorExcerpt((err as Error)?.message ?? String(err));
    if (err instanceof DatabaseLockedError) throw new TargetOpenError('target-locked', message);
    if (!existsSync(file)) throw new TargetOpenError('target-missing', message);
    throw new TargetOpenError('target-unreadable', message);
  }
  // no old application build reads a fleet target's schema_version unless one created it (then it is adopted);
  // the job logs one line per target (fleet:target-done), the runner's events only at debug
  const runner = new MigrationRunner({ connection: db.connection, source, database: db, logger: settings.logger, checkpoint: settings.checkpoint, secrets: settings.secrets, legacyVersions: 'adopted', logEvents: 'failures', parsed: settings.parsed });
  return { db, runner };
}
