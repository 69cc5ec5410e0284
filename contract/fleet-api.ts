// HTTP bodies of /api/v1/fleet: the fleet's status (targets by version and health, shards
// with their leases, the active run, whether the owners' migration files agree), the
// target list and one target's history (and what its owner reads from its file on
// request), fleet runs with their per-target outcomes, and
// controls. The records themselves (TargetState, ShardState, FleetRun, TargetOutcome) are
// fleet.ts's; these bodies carry them as the workers and the coordinator wrote them.
import { z } from 'zod';
import { API_PREFIX } from './api.js';
import { FleetControl, FleetErrorCode, FleetRun, FleetRunRequest, HaltRule, ShardName, TargetId, TargetOutcome, TargetState, WaveSpec } from './fleet.js';
import { RunSummary } from './queue.js';
import { PlannedStatement, StatusReport } from './results.js';
import { LiveSchema } from './schema.js';

export const FLEET_PREFIX = `${API_PREFIX}/fleet`;

/** The statuses a fleet run never leaves. */
export const FINISHED_FLEET_RUN_STATUSES: ReadonlySet<FleetRun['status']> = new Set(['halted', 'succeeded', 'failed', 'cancelled']);

/** A target as listed: what its worker published, and whether its shard has a live owner now. */
export const FleetTargetView = TargetState.extend({
  /** false when no worker holds the shard's lease: the target is offline (its state is what was last seen) */
  online: z.boolean(),
});
export type FleetTargetView = z.infer<typeof FleetTargetView>;

/** A shard as the status shows it: its live lease (the truth) beside what the owner last published. */
export const FleetShardView = z.object({
  shard: ShardName,
  /** a worker holds the shard's lease now */
  online: z.boolean(),
  /** the worker holding the lease, null when none does */
  owner: z.string().nullable(),
  /** the fencing token of the live lease */
  token: z.number().int().nullable(),
  /** how long the lease lasts unless renewed */
  leaseTtlMs: z.number().int().nullable(),
  /** since the owner last renewed (from its published state) */
  renewedAgoMs: z.number().int().nullable(),
  /** since the owner acquired the lease (from its published state) */
  heldForMs: z.number().int().nullable(),
  /** targets the fleet knows in this shard */
  targets: z.number().int().nonnegative(),
  migrationsId: z.string().nullable(),
  concurrency: z.number().int().nullable(),
});
export type FleetShardView = z.infer<typeof FleetShardView>;

export const FleetStatusResponse = z.object({
  targets: z.object({
    total: z.number().int().nonnegative(),
    ok: z.number().int().nonnegative(),
    /** migrations to apply */
    pending: z.number().int().nonnegative(),
    /** the last fleet run failed there */
    failed: z.number().int().nonnegative(),
    locked: z.number().int().nonnegative(),
    unreadable: z.number().int().nonnegative(),
    /** the schema differs from what the applied migrations produce (TargetState.drift) */
    drifted: z.number().int().nonnegative(),
    /** in a shard without a live lease, whatever their last health */
    offline: z.number().int().nonnegative(),
    /** how many targets are at each version (null: unreadable), highest first */
    byVersion: z.array(z.object({ version: z.number().int().nullable(), targets: z.number().int().nonnegative() })),
  }),
  shards: z.array(FleetShardView),
  /** the fleet run in flight (queued, running or paused), null when none */
  activeRun: FleetRun.nullable(),
  /** the migration files of the live owners: a run is refused while they disagree */
  migrations: z.object({
    agreed: z.boolean(),
    ids: z.array(z.object({ migrationsId: z.string(), shards: z.array(ShardName) })),
  }),
  checkedAt: z.string(),
});
export type FleetStatusResponse = z.infer<typeof FleetStatusResponse>;

export const FLEET_PAGE_MAX = 500;

const page = {
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(FLEET_PAGE_MAX).default(50),
};

/** `tier=gold` or several, comma-separated: `tier=gold,region=eu` (all must match) */
const LabelFilter = z
  .string()
  .max(1000)
  .regex(/^[A-Za-z0-9_.-]{1,64}=[^,=]*(,[A-Za-z0-9_.-]{1,64}=[^,=]*)*$/, 'label=value, comma-separated');

export const FleetTargetHealth = z.enum([...TargetState.shape.health.options, 'offline']);
export type FleetTargetHealth = z.infer<typeof FleetTargetHealth>;

export const FleetTargetsQuery = z.object({
  ...page,
  /** a health, or `offline` (shard without a live lease) */
  health: FleetTargetHealth.optional(),
  label: LabelFilter.optional(),
  shard: ShardName.optional(),
  /** the applied version (`none`: unreadable targets) */
  version: z.union([z.literal('none'), z.coerce.number().int().min(0)]).optional(),
});
export type FleetTargetsQuery = z.infer<typeof FleetTargetsQuery>;

export const FleetTargetsResponse = z.object({
  /** sorted by id */
  targets: z.array(FleetTargetView),
  /** how many match the filters */
  total: z.number().int().nonnegative(),
  offset: z.number().int(),
  limit: z.number().int(),
});
export type FleetTargetsResponse = z.infer<typeof FleetTargetsResponse>;

/** A target's outcome in one fleet run. */
export const FleetTargetRun = z.object({
  runId: z.string(),
  mode: FleetRun.shape.mode,
  status: FleetRun.shape.status,
  createdAt: z.string(),
  outcome: TargetOutcome,
});
export type FleetTargetRun = z.infer<typeof FleetTargetRun>;

/** How many recent fleet runs a target's page looks through for its outcomes. */
export const FLEET_TARGET_RECENT_RUNS = 20;

export const FleetTargetDetail = z.object({
  target: FleetTargetView,
  /** its outcomes in the recent fleet runs that touched it, newest first */
  runs: z.array(FleetTargetRun),
});
export type FleetTargetDetail = z.infer<typeof FleetTargetDetail>;

/** How many of a target's own runs (its run history table) GET …/targets/{id}/file lists. */
export const FLEET_TARGET_FILE_RUNS = 20;

/**
 * GET …/targets/{id}/file: what the target's owner read from the file just now, the single
 * database's views of it: its status (ledger, every attempt, pending migrations and what
 * validation says of them), its own run history (every fleet run that touched it), and its
 * schema.
 */
export const FleetTargetFile = StatusReport.pick({ currentVersion: true, latestVersion: true, applied: true, ledger: true, pending: true, problems: true }).extend({
  id: TargetId,
  /** the worker that read the file (the shard's owner), and when */
  worker: z.string(),
  readAt: z.string(),
  /** the target's own run history, newest first */
  runs: z.array(RunSummary),
  /** its tables, views, macros and sequences (duckmig's own tables left out), with row counts */
  schema: LiveSchema,
});
export type FleetTargetFile = z.infer<typeof FleetTargetFile>;

/** What a target-read job leaves for the API (fleetKeys().targetRead): the read, or why the file could not be read. */
export const TargetFileRead = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), file: FleetTargetFile }),
  z.object({ ok: z.literal(false), code: FleetErrorCode, error: z.string() }),
]);
export type TargetFileRead = z.infer<typeof TargetFileRead>;

/**
 * GET …/fleet/migrations/{checksum}/sql: one page of a migration file's statements, as the
 * owner that read a target with it pending published them (each capped in size, like a
 * pending migration's SQL in the single database).
 */
export const FleetSqlPage = z.object({
  /** the file's SHA-256, as a pending migration names it */
  checksum: z.string(),
  offset: z.number().int(),
  /** statements offset … offset + statements.length - 1 */
  statements: z.array(PlannedStatement),
  /** how many statements can be paged through (the owner keeps only the first ones of a very long file) */
  available: z.number().int(),
  /** the byte cap of each statement's text */
  statementPreviewBytes: z.number().int(),
});
export type FleetSqlPage = z.infer<typeof FleetSqlPage>;

export const FleetRunsQuery = z.object(page);
export type FleetRunsQuery = z.infer<typeof FleetRunsQuery>;

export const FleetRunsResponse = z.object({
  /** newest first */
  runs: z.array(FleetRun),
  total: z.number().int().nonnegative(),
  offset: z.number().int(),
  limit: z.number().int(),
});
export type FleetRunsResponse = z.infer<typeof FleetRunsResponse>;

export const FleetRunQuery = z.object({
  ...page,
  result: TargetOutcome.shape.result.optional(),
  wave: z.coerce.number().int().min(0).optional(),
  errorCode: FleetErrorCode.optional(),
});
export type FleetRunQuery = z.infer<typeof FleetRunQuery>;

export const FleetRunDetail = z.object({
  run: FleetRun,
  /** per-target outcomes recorded so far, by wave then id, filtered and paged */
  outcomes: z.array(TargetOutcome),
  /** how many outcomes match the filters */
  total: z.number().int().nonnegative(),
  offset: z.number().int(),
  limit: z.number().int(),
});
export type FleetRunDetail = z.infer<typeof FleetRunDetail>;

/** POST …/runs/:id/skip: targets to leave out (those not yet dispatched). */
export const FleetSkipRequest = z.object({ ids: z.array(TargetId).min(1).max(100_000) }).strict();
export type FleetSkipRequest = z.infer<typeof FleetSkipRequest>;

export const FleetControlResponse = z.object({
  control: FleetControl,
  /**
   * requested: the coordinator applies it at its next decision point (follow the run);
   * applied: done at once (a run cancelled before any worker picked it up)
   */
  outcome: z.enum(['requested', 'applied']),
  run: FleetRun,
});
export type FleetControlResponse = z.infer<typeof FleetControlResponse>;

/** POST …/runs/:id/retry-failed: the new run's settings (default: the earlier run's mode and halt rule, default waves). */
export const FleetRetryRequest = z
  .object({
    reason: FleetRunRequest.shape.reason,
    waves: z.array(WaveSpec).min(1).max(20).optional(),
    halt: HaltRule.optional(),
    restorePoints: z.boolean().optional(),
    /** apply on targets whose schema drifted too (the earlier run's setting is not carried over) */
    allowDrift: z.boolean().optional(),
  })
  .strict();
export type FleetRetryRequest = z.infer<typeof FleetRetryRequest>;

export const FleetEventsQuery = z.object({
  /** only events of this fleet run */
  runId: z.string().min(1).max(200).optional(),
});
export type FleetEventsQuery = z.infer<typeof FleetEventsQuery>;
