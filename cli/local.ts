// Local mode: the CLI opens the DuckDB file itself, runs one runner call (or a drift check
// on the same files), and always closes the database (checkpointed) on every exit path,
// errors and Ctrl-C included.
import type { Logger } from 'pino';
import { cliLockAttempts, cliMigrationLimits, cliSecrets } from '../config/cli.js';
import { restoreSettings } from '../config/restore-settings.js';
import { Database, DriftChecker, FileMigrationSource, MigrationRunner, type CheckpointPolicy } from '../core/index.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface LocalOptions {
  db: string;
  dir: string;
  logger: Logger;
  /** the environment the command runs in (its ctx.env): read through config/ */
  env: Env;
  /** undefined: the runner's default budget */
  checkpoint?: CheckpointPolicy;
  allowOutOfOrder?: boolean;
  /** --allow-path values, added to DUCKMIG_ALLOWED_PATHS */
  allowPaths?: readonly string[];
}

/** DUCKMIG_LOCK_RETRIES: attempts to open a locked file, 1 s apart (default 5); a bad value stops the command. */
export function lockAttempts(env: Env): number {
  return cliLockAttempts(env);
}

export async function withLocalRunner<T>(options: LocalOptions, fn: (runner: MigrationRunner, db: Database, drift: DriftChecker) => Promise<T>): Promise<T> {
  const { env } = options;
  // restore points of this database mean it existed: a missing file is then refused, not re-created
  const restoreDir = restoreSettings(options.db, env).dir;
  const limits = cliMigrationLimits(env);
  const allowedPaths = [...limits.allowedPaths, ...(options.allowPaths ?? [])];
  const db = await Database.open(options.db, { logger: options.logger, attempts: lockAttempts(env), restoreDir, allowedPaths });
  try {
    const source = new FileMigrationSource(options.dir, { maxFileBytes: limits.maxFileBytes });
    const runner = new MigrationRunner({
      connection: db.connection,
      source,
      database: db,
      logger: options.logger,
      checkpoint: options.checkpoint,
      allowOutOfOrder: options.allowOutOfOrder,
      secrets: () => cliSecrets(env),
    });
    return await fn(runner, db, new DriftChecker({ source, allowedPaths, secrets: () => cliSecrets(env) }));
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
