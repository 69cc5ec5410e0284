// The worker's configuration, read from the environment by a pure function so tests can
// feed it any env. Every invalid value is reported at once, each naming the variable,
// what is wrong and an example. The lock and stall timings are for operators and tests
// that need a dead worker's job to fail sooner; the defaults suit production.
import type { LevelWithSilent } from 'pino';
import { checkAllowedPaths, checkLogLevel, checkMaxFileBytes, checkRedisUrl } from '../config/env.js';
import { envSecrets } from '../config/secrets.js';
import { RestoreSettingsError, restoreSettings, type RestoreSettings } from '../config/restore-settings.js';
import { CheckpointPolicyError, parseCheckpointPolicy, type CheckpointPolicy } from '../core/checkpoint-policy.js';

export interface WorkerConfig {
  /** the DuckDB file this worker owns (DUCKMIG_DB) */
  dbPath: string;
  /** where the NNN_name.sql files live (DUCKMIG_MIGRATIONS) */
  migrationsDir: string;
  /** managed Redis data and the generated token (DUCKMIG_DATA_DIR) */
  dataDir: string;
  /** null when unset: only `duckmig start` may then provide a managed Redis */
  redisUrl: string | null;
  logLevel: LevelWithSilent;
  /** BullMQ job lock: a dead worker's job is detected this long after its last renewal */
  lockDurationMs: number;
  /** how often BullMQ looks for jobs whose lock expired */
  stalledIntervalMs: number;
  /** restore points taken before a run applies anything (DUCKMIG_RESTORE_*) */
  restore: RestoreSettings;
  /** migration files larger than this are refused (DUCKMIG_MAX_FILE_BYTES; unset: 64 MiB) */
  maxFileBytes?: number;
  /** when runs checkpoint (DUCKMIG_CHECKPOINT: each, end or a budget such as 2s,64MB); undefined: the default budget */
  checkpoint?: CheckpointPolicy;
  /** what migrations may read besides the database (DUCKMIG_ALLOWED_PATHS; unset: nothing) */
  allowedPaths?: string[];
  /** tokens and passwords from the environment, never shown in an error (unset when none) */
  secrets?: string[];
}

export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Together these detect a worker killed mid-run within ~30 s of a worker (re)starting. */
export const DEFAULT_LOCK_DURATION_MS = 20_000;
export const DEFAULT_STALLED_INTERVAL_MS = 10_000;


type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads DUCKMIG_DB, DUCKMIG_MIGRATIONS, DUCKMIG_DATA_DIR, REDIS_URL, LOG_LEVEL,
 * DUCKMIG_LOCK_DURATION_MS, DUCKMIG_STALLED_INTERVAL_MS, DUCKMIG_MAX_FILE_BYTES, DUCKMIG_CHECKPOINT,
 * DUCKMIG_ALLOWED_PATHS, the tokens (only to keep them out of errors) and the restore-point settings
 * (DUCKMIG_RESTORE_POINTS, _DIR, _KEEP, _MAX_MB); throws WorkerConfigError.
 */
export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const problems: string[] = [];
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw ? raw : undefined;
  };
  const path = (name: string, fallback: string, example: string) => {
    const raw = value(name) ?? fallback;
    if (raw.includes('\0')) problems.push(`${name} must be a file system path (example: ${name}=${example})`);
    return raw;
  };
  const millis = (name: string, fallback: number, min: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > 3_600_000) {
      problems.push(`${name} must be a whole number of milliseconds from ${min} to 3600000, got ${JSON.stringify(raw)} (example: ${name}=${fallback})`);
      return fallback;
    }
    return n;
  };

  const dbPath = path('DUCKMIG_DB', 'data/metadata.duckdb', 'data/metadata.duckdb');
  const migrationsDir = path('DUCKMIG_MIGRATIONS', 'migrations/duckdb', 'migrations/duckdb');
  const dataDir = path('DUCKMIG_DATA_DIR', 'data', 'data');

  const redisUrl = checkRedisUrl(value('REDIS_URL'), problems);
  const logLevel = checkLogLevel(value('LOG_LEVEL'), problems);

  const lockDurationMs = millis('DUCKMIG_LOCK_DURATION_MS', DEFAULT_LOCK_DURATION_MS, 1000);
  const stalledIntervalMs = millis('DUCKMIG_STALLED_INTERVAL_MS', DEFAULT_STALLED_INTERVAL_MS, 500);
  const maxFileBytes = checkMaxFileBytes(value('DUCKMIG_MAX_FILE_BYTES'), problems);
  const allowedPaths = checkAllowedPaths(value('DUCKMIG_ALLOWED_PATHS'), problems);
  const secrets = envSecrets(env);

  let checkpoint: CheckpointPolicy | undefined;
  const checkpointText = value('DUCKMIG_CHECKPOINT');
  if (checkpointText !== undefined) {
    try {
      checkpoint = parseCheckpointPolicy(checkpointText);
    } catch (err) {
      if (!(err instanceof CheckpointPolicyError)) throw err;
      problems.push(`DUCKMIG_CHECKPOINT must be each, end or a budget such as 2s, 64MB or 2s,64MB; got ${JSON.stringify(checkpointText)} (example: DUCKMIG_CHECKPOINT=2s,64MB)`);
    }
  }

  let restore: RestoreSettings | undefined;
  try {
    restore = restoreSettings(dbPath, env as NodeJS.ProcessEnv);
  } catch (err) {
    if (!(err instanceof RestoreSettingsError)) throw err;
    problems.push(err.message);
  }

  if (problems.length > 0 || !restore) throw new WorkerConfigError(problems);
  return {
    dbPath,
    migrationsDir,
    dataDir,
    redisUrl,
    logLevel,
    lockDurationMs,
    stalledIntervalMs,
    restore,
    maxFileBytes,
    checkpoint,
    ...(allowedPaths && { allowedPaths }),
    ...(secrets.length > 0 && { secrets }),
  };
}
