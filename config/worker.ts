// The worker's configuration: its view of the environment schema (config/variables.ts).
// A pure function of the env it is given, so tests can feed it any; every bad value is
// reported at once in one ConfigError. The lock and stall timings are for operators and
// tests that need a dead worker's job to fail sooner; the defaults suit production.
// With DUCKMIG_DATABASES or DUCKMIG_FLEET_MANIFEST set it carries the fleet view too.
import type { LevelWithSilent } from 'pino';
import type { CheckpointPolicy } from '../core/checkpoint-policy.js';
import { outsideTests, RESTORE_VARIABLES, restoreSettingsFrom, type RestoreSettings } from './restore-settings.js';
import { GOVERNANCE_VARIABLES, governanceSettingsFrom, type MaintenanceSettings, type NotificationSettings } from './governance.js';
import { envSecrets } from './secrets.js';
import { ConfigError } from './config-error.js';
import { hostName, processEnvironment, readVariables, VARIABLES, type ValueOf } from './variables.js';

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
  /** how often the worker checks for schema drift besides start-up and jobs (DUCKMIG_DRIFT_CHECK_MS; 0: never on a schedule) */
  driftCheckMs: number;
  /** restore points taken before a run applies anything (DUCKMIG_RESTORE_*) */
  restore: RestoreSettings;
  /** migration files larger than this are refused (DUCKMIG_MAX_FILE_BYTES; unset: 64 MiB) */
  maxFileBytes?: number;
  /** when runs checkpoint (DUCKMIG_CHECKPOINT: each, end or a budget such as 2s,64MB); undefined: the default budget */
  checkpoint?: CheckpointPolicy;
  /** what migrations may read besides the database (DUCKMIG_ALLOWED_PATHS; unset: nothing) */
  allowedPaths?: string[];
  /** DuckDB's `threads` (DUCKMIG_DUCKDB_THREADS; unset: cores − 1, at least 1) */
  duckdbThreads: number;
  /** the CPU priority of DuckDB's work: every thread but the event loop (DUCKMIG_DUCKDB_NICE; unset: 10, 0: unchanged) */
  duckdbNice: number;
  /** tokens and passwords from the environment, never shown in an error (unset when none) */
  secrets?: string[];
  /** webhooks for run events (DUCKMIG_WEBHOOKS): the worker delivers them; unset: none */
  notifications?: NotificationSettings;
  /** when runs may start: the worker checks again when a run is due; unset: any time */
  maintenance?: MaintenanceSettings;
  /** fleet mode (DUCKMIG_DATABASES or DUCKMIG_FLEET_MANIFEST set): many target files instead of DUCKMIG_DB */
  fleet: FleetConfig | null;
}

/** The fleet view: where the targets are, which shard they form, and how this worker serves it (docs/fleet.md). */
export interface FleetConfig {
  /** a glob relative to the working directory, or a manifest file */
  targets: { glob: string } | { manifest: string };
  shard: string;
  /** names this worker in leases, target states and outcomes */
  workerId: string;
  /** target jobs at once */
  concurrency: number;
  leaseTtlMs: number;
  scanMs: number;
  /** a shard without a lease this long is offline (the coordinator fails its waiting targets) */
  offlineAfterMs: number;
  /** DUCKMIG_RESTORE_DIR when set; unset: `.duckmig/restore-points` below the shard's root */
  restoreDir?: string;
}

/** Together these detect a worker killed mid-run within ~30 s of a worker (re)starting. */
export const DEFAULT_LOCK_DURATION_MS = VARIABLES.DUCKMIG_LOCK_DURATION_MS.fallback;
export const DEFAULT_STALLED_INTERVAL_MS = VARIABLES.DUCKMIG_STALLED_INTERVAL_MS.fallback;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The worker's variables (those whose readBy includes 'worker'); the tokens only to keep
 * them out of errors. Throws ConfigError.
 */
export function loadWorkerConfig(env: Env = processEnvironment()): WorkerConfig {
  const v = readVariables(outsideTests(env), [
    'DUCKMIG_DB',
    'DUCKMIG_MIGRATIONS',
    'DUCKMIG_DATA_DIR',
    'REDIS_URL',
    'LOG_LEVEL',
    'DUCKMIG_LOCK_DURATION_MS',
    'DUCKMIG_STALLED_INTERVAL_MS',
    'DUCKMIG_DRIFT_CHECK_MS',
    'DUCKMIG_MAX_FILE_BYTES',
    'DUCKMIG_ALLOWED_PATHS',
    'DUCKMIG_CHECKPOINT',
    'DUCKMIG_DUCKDB_THREADS',
    'DUCKMIG_DUCKDB_NICE',
    ...RESTORE_VARIABLES,
    ...FLEET_VARIABLES,
    ...GOVERNANCE_VARIABLES,
  ]);
  const secrets = envSecrets(env);
  return {
    dbPath: v.DUCKMIG_DB,
    migrationsDir: v.DUCKMIG_MIGRATIONS,
    dataDir: v.DUCKMIG_DATA_DIR,
    redisUrl: v.REDIS_URL,
    logLevel: v.LOG_LEVEL ?? 'info',
    lockDurationMs: v.DUCKMIG_LOCK_DURATION_MS,
    stalledIntervalMs: v.DUCKMIG_STALLED_INTERVAL_MS,
    driftCheckMs: v.DUCKMIG_DRIFT_CHECK_MS,
    restore: restoreSettingsFrom(v, v.DUCKMIG_DB),
    maxFileBytes: v.DUCKMIG_MAX_FILE_BYTES,
    checkpoint: v.DUCKMIG_CHECKPOINT,
    duckdbThreads: v.DUCKMIG_DUCKDB_THREADS,
    duckdbNice: v.DUCKMIG_DUCKDB_NICE,
    ...governanceSettingsFrom(v),
    ...(v.DUCKMIG_ALLOWED_PATHS && { allowedPaths: v.DUCKMIG_ALLOWED_PATHS }),
    ...(secrets.length > 0 && { secrets }),
    fleet: fleetConfigFrom(v),
  };
}

const FLEET_VARIABLES = [
  'DUCKMIG_DATABASES',
  'DUCKMIG_FLEET_MANIFEST',
  'DUCKMIG_SHARD',
  'DUCKMIG_WORKER_ID',
  'DUCKMIG_FLEET_CONCURRENCY',
  'DUCKMIG_LEASE_TTL_MS',
  'DUCKMIG_FLEET_SCAN_MS',
  'DUCKMIG_FLEET_OFFLINE_AFTER_MS',
] as const;

/** null unless a glob or a manifest is set; both set is a ConfigError. */
function fleetConfigFrom(v: { [N in (typeof FLEET_VARIABLES)[number] | 'DUCKMIG_RESTORE_DIR']: ValueOf<N> }): FleetConfig | null {
  const glob = v.DUCKMIG_DATABASES;
  const manifest = v.DUCKMIG_FLEET_MANIFEST;
  if (glob === undefined && manifest === undefined) return null;
  if (glob !== undefined && manifest !== undefined) {
    throw new ConfigError([{ variable: 'DUCKMIG_DATABASES', message: 'DUCKMIG_DATABASES and DUCKMIG_FLEET_MANIFEST are both set: a fleet worker finds its targets by a glob or by a manifest, not both' }]);
  }
  return {
    targets: glob !== undefined ? { glob } : { manifest: manifest! },
    shard: v.DUCKMIG_SHARD,
    workerId: v.DUCKMIG_WORKER_ID ?? `${hostName()}-${process.pid}`,
    concurrency: v.DUCKMIG_FLEET_CONCURRENCY,
    leaseTtlMs: v.DUCKMIG_LEASE_TTL_MS,
    scanMs: v.DUCKMIG_FLEET_SCAN_MS,
    offlineAfterMs: v.DUCKMIG_FLEET_OFFLINE_AFTER_MS,
    ...(v.DUCKMIG_RESTORE_DIR !== undefined && { restoreDir: v.DUCKMIG_RESTORE_DIR }),
  };
}
