// Local mode: the CLI opens the DuckDB file itself, runs one runner call, and always
// closes the database (checkpointed) on every exit path, errors and Ctrl-C included.
import type { Logger } from 'pino';
import { checkAllowedPaths, checkMaxFileBytes } from '../config/env.js';
import { dataDirSecrets, envSecrets } from '../config/secrets.js';
import { UsageError } from './exit-codes.js';
import { restoreSettings } from '../config/restore-settings.js';
import { Database, FileMigrationSource, MigrationRunner, type CheckpointPolicy } from '../core/index.js';

export interface LocalOptions {
  db: string;
  dir: string;
  logger: Logger;
  /** undefined: the runner's default budget */
  checkpoint?: CheckpointPolicy;
  allowOutOfOrder?: boolean;
  /** --allow-path values, added to DUCKMIG_ALLOWED_PATHS */
  allowPaths?: readonly string[];
}

/** DUCKMIG_LOCK_RETRIES: attempts to open a locked file, 1 s apart (default 5, as the old application). */
export function lockAttempts(env: NodeJS.ProcessEnv = process.env): number {
  const attempts = Number(env.DUCKMIG_LOCK_RETRIES || 5);
  return Number.isInteger(attempts) && attempts > 0 ? attempts : 5;
}

/** DUCKMIG_MAX_FILE_BYTES: the largest migration file accepted (unset: the source's default, 64 MiB). */
export function maxFileBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const problems: string[] = [];
  const max = checkMaxFileBytes(env.DUCKMIG_MAX_FILE_BYTES, problems);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return max;
}

/** DUCKMIG_ALLOWED_PATHS and the command's --allow-path values: what migrations may read besides the database. */
export function allowedPaths(flags: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  const fromEnv = checkAllowedPaths(env.DUCKMIG_ALLOWED_PATHS, problems) ?? [];
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return [...fromEnv, ...flags];
}

/** Tokens and passwords this process knows: scrubbed from every error a migration produces. */
function knownSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...envSecrets(env), ...dataDirSecrets(env.DUCKMIG_DATA_DIR || 'data')];
}

export async function withLocalRunner<T>(options: LocalOptions, fn: (runner: MigrationRunner, db: Database) => Promise<T>): Promise<T> {
  // restore points of this database mean it existed: a missing file is then refused, not re-created
  const restoreDir = restoreSettings(options.db).dir;
  const db = await Database.open(options.db, { logger: options.logger, attempts: lockAttempts(), restoreDir, allowedPaths: allowedPaths(options.allowPaths) });
  try {
    const runner = new MigrationRunner({
      connection: db.connection,
      source: new FileMigrationSource(options.dir, { maxFileBytes: maxFileBytes() }),
      database: db,
      logger: options.logger,
      checkpoint: options.checkpoint,
      allowOutOfOrder: options.allowOutOfOrder,
      secrets: () => knownSecrets(),
    });
    return await fn(runner, db);
  } finally {
    await db.close();
  }
}

/** An AbortSignal that fires on the first Ctrl-C / SIGTERM (a second one exits at once). */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${name}: cancelling the running migration (it will be rolled back)…\n`);
    controller.abort(`${name} received`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
