// The CLI's view of the environment schema (config/variables.ts). Each function reads only
// what one concern needs, so a bad value stops the commands that use it (exit 2) and no
// other: `duckmig new` does not care about DUCKMIG_LOCK_RETRIES.
import type { LevelWithSilent } from 'pino';
import type { CheckpointPolicy } from '../core/checkpoint-policy.js';
import { dataDirSecrets, envSecrets } from './secrets.js';
import { readVariables, VARIABLES } from './variables.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Local mode's defaults for --db and --dir (DUCKMIG_DB, DUCKMIG_MIGRATIONS, else the schema's defaults). */
export function cliPaths(env: Env): { db: string; migrations: string } {
  const v = readVariables(env, ['DUCKMIG_DB', 'DUCKMIG_MIGRATIONS']);
  return { db: v.DUCKMIG_DB, migrations: v.DUCKMIG_MIGRATIONS };
}

/** The schema's defaults, for --help and the files `import` writes. */
export const DEFAULT_DB = VARIABLES.DUCKMIG_DB.fallback;
export const DEFAULT_MIGRATIONS = VARIABLES.DUCKMIG_MIGRATIONS.fallback;

/** DUCKMIG_LOCK_RETRIES: attempts to open a locked file, 1 s apart; a bad value is a ConfigError. */
export function cliLockAttempts(env: Env): number {
  return readVariables(env, ['DUCKMIG_LOCK_RETRIES']).DUCKMIG_LOCK_RETRIES;
}

/** What local mode's runner is limited to: the largest file and the paths migrations may read. */
export function cliMigrationLimits(env: Env): { maxFileBytes?: number; allowedPaths: string[] } {
  const v = readVariables(env, ['DUCKMIG_MAX_FILE_BYTES', 'DUCKMIG_ALLOWED_PATHS']);
  return { maxFileBytes: v.DUCKMIG_MAX_FILE_BYTES, allowedPaths: v.DUCKMIG_ALLOWED_PATHS ?? [] };
}

/** DUCKMIG_CHECKPOINT for a local run (its --checkpoint overrides it). */
export function cliCheckpoint(env: Env): CheckpointPolicy | undefined {
  return readVariables(env, ['DUCKMIG_CHECKPOINT']).DUCKMIG_CHECKPOINT;
}

/** Tokens and passwords this process knows: scrubbed from every error a migration produces. */
export function cliSecrets(env: Env): string[] {
  let dataDir = VARIABLES.DUCKMIG_DATA_DIR.fallback;
  try {
    dataDir = readVariables(env, ['DUCKMIG_DATA_DIR']).DUCKMIG_DATA_DIR;
  } catch {
    // a path no file can have: nothing to read there
  }
  return [...envSecrets(env), ...dataDirSecrets(dataDir)];
}

/** Who a local run or restore is recorded as: DUCKMIG_USER, else the login name, else "cli". */
export function cliUser(env: Env): string {
  return readVariables(env, ['DUCKMIG_USER']).DUCKMIG_USER ?? (env.USER?.trim() || 'cli');
}

/** Remote mode's API and token from DUCKMIG_API and DUCKMIG_TOKEN (options override them). */
export function cliRemote(env: Env): { api?: string; token?: string } {
  const v = readVariables(env, ['DUCKMIG_API', 'DUCKMIG_TOKEN']);
  return { api: v.DUCKMIG_API, token: v.DUCKMIG_TOKEN };
}

/** The CLI's log level: LOG_LEVEL, else warn. A bad value does not stop the CLI (the services report it). */
export function cliLogLevel(env: Env): LevelWithSilent {
  try {
    return readVariables(env, ['LOG_LEVEL']).LOG_LEVEL ?? 'warn';
  } catch {
    return 'warn';
  }
}
