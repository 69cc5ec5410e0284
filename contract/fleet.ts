// What crosses Redis and HTTP for a fleet (many DuckDB files, each its own target with its
// own ledger): target identity and state, shards and their leases, the fleet-run request and
// record, per-target job payloads and outcomes, live fleet events, and the Redis keys and
// queue names that hold them. The single-database setup is a fleet of one and keeps its own
// queue and keys (queue.ts); nothing here changes it.
//
// Every key starts with one prefix. Under Redis Cluster the prefix carries a hash tag
// (`{duckmig}`) so a fleet's keys, and BullMQ's keys under the same tag, share one slot:
// BullMQ's flows and this module's multi-key updates need that.
import { z } from 'zod';

/** A target's id: its path below the shard root without `.duckdb`, or a manifest id. */
export const TargetId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'letters, digits, . _ / - (not starting with a symbol)')
  .refine((id) => !id.split('/').includes('..'), 'no .. segments');
export type TargetId = z.infer<typeof TargetId>;

/** A shard: the set of targets on one disk or volume, owned by one worker at a time through a lease. */
export const ShardName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, _ and -');
export type ShardName = z.infer<typeof ShardName>;

/** Labels from a manifest (tier, region, …); selection and waves can match them. */
export const Labels = z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.string().max(200));
export type Labels = z.infer<typeof Labels>;

export const FleetErrorCode = z.enum([
  /** a migration failed on this target and was rolled back (the target is at its previous version) */
  'migration-failed',
  /** the target's files failed validation (changed or missing applied file, …): nothing was applied */
  'validation-failed',
  /** the worker's migration files differ from the ones the fleet run pinned: nothing was applied */
  'plan-changed',
  /** the file is locked by another process */
  'target-locked',
  /** the file could not be opened as a DuckDB database (corrupt, not a database, unreadable) */
  'target-unreadable',
  /** the target is no longer in its shard (deleted, renamed) */
  'target-missing',
  /** no live worker owned the target's shard in time */
  'owner-offline',
  /** the worker lost its shard lease (a newer owner holds a higher fencing token): nothing was written */
  'lease-lost',
  /** the restore point before applying could not be taken: nothing was applied */
  'restore-point-failed',
  /** the target's schema drifted from what its applied migrations produce: nothing was applied (a fleet run with allowDrift applies anyway) */
  'drifted',
  /** the worker died while the target was in flight (its transaction never committed) */
  'crashed',
  'internal',
]);
export type FleetErrorCode = z.infer<typeof FleetErrorCode>;

/** What a worker last saw of a target (published after each scan and each target job). */
export const TargetState = z.object({
  id: TargetId,
  shard: ShardName,
  /** path relative to the shard root */
  path: z.string(),
  labels: Labels,
  /** highest applied version; null when the file could not be read */
  version: z.number().int().nullable(),
  /** migrations in the worker's files not yet applied here */
  pending: z.number().int().nonnegative(),
  /** the file's size in bytes */
  bytes: z.number().int().nonnegative().optional(),
  /**
   * ok: up to date; pending: migrations to apply; failed: the last fleet run failed here;
   * drifted: its schema differs from what its applied migrations produce (before pending and
   * failed: see `drift`); unreadable/locked: cannot be opened
   */
  health: z.enum(['ok', 'pending', 'failed', 'locked', 'unreadable', 'drifted']),
  /** the last drift check found differences (health `drifted`); absent when it found none or could not check */
  drift: z
    .object({
      /** how many objects differ */
      differences: z.number().int().positive(),
      /** the first differences in words, e.g. `extra column accounts.note` */
      first: z.array(z.string().max(300)).max(3),
      checkedAt: z.string(),
    })
    .optional(),
  lastError: z.object({ code: FleetErrorCode, message: z.string() }).optional(),
  /** the last fleet run that touched this target */
  lastRun: z.object({ runId: z.string(), outcome: z.string(), at: z.string() }).optional(),
  /** the worker that owns the target's shard */
  owner: z.string(),
  checkedAt: z.string(),
});
export type TargetState = z.infer<typeof TargetState>;

/** A shard's owner as published with its lease (the lease key itself is the truth). */
export const ShardState = z.object({
  shard: ShardName,
  owner: z.string(),
  /** the fencing token of the owner's lease: strictly increasing per shard */
  token: z.number().int().positive(),
  since: z.string(),
  /** the owner's last renewal */
  renewedAt: z.string(),
  targets: z.number().int().nonnegative(),
  /** the checksum of the owner's migration files (all owners of a fleet must agree) */
  migrationsId: z.string(),
  /** how many target jobs the owner runs at once */
  concurrency: z.number().int().positive(),
});
export type ShardState = z.infer<typeof ShardState>;

/** One wave: the next `count` targets (or up to `percent` of the selection), optionally only those with `labels`. */
export const WaveSpec = z
  .object({
    name: z.string().min(1).max(40).optional(),
    count: z.number().int().positive().optional(),
    /** cumulative: 10 then 100 means up to 10 % of the selection by the end of this wave, then the rest */
    percent: z.number().positive().max(100).optional(),
    labels: Labels.optional(),
  })
  .refine((w) => w.count === undefined || w.percent === undefined, {
    message: 'a wave has count or percent, not both (neither: every remaining target, or those with the labels)',
  });
export type WaveSpec = z.infer<typeof WaveSpec>;

/** The default rollout: one canary, then up to 10 %, then everything. */
export const DEFAULT_WAVES: WaveSpec[] = [{ name: 'canary', count: 1 }, { percent: 10 }, { percent: 100 }];

export const HaltRule = z.object({
  /** halt when more than this share of a wave's targets failed (0: any failure halts) */
  maxFailedPercent: z.number().min(0).max(100).default(0),
});
export type HaltRule = z.infer<typeof HaltRule>;

export const FleetRunRequest = z.object({
  mode: z.enum(['run', 'dry-run']),
  reason: z.string().max(500).optional(),
  /** which targets (default all): by id and/or all labels matching */
  select: z.object({ ids: z.array(TargetId).max(100_000).optional(), labels: Labels.optional() }).optional(),
  waves: z.array(WaveSpec).min(1).max(20).optional(),
  halt: HaltRule.optional(),
  /** dry-run: rehearse on this many targets per wave spread (default: every target) */
  sample: z.number().int().positive().optional(),
  /** the migrations id the client reviewed (status shows it): refused when the workers' files differ */
  migrationsId: z.string().optional(),
  /** take a restore point of each target before applying (default: the workers' setting) */
  restorePoints: z.boolean().optional(),
  /** apply on targets whose schema drifted too (refused otherwise: errorCode `drifted`, nothing applied there) */
  allowDrift: z.boolean().optional(),
});
export type FleetRunRequest = z.infer<typeof FleetRunRequest>;

export const TargetOutcome = z.object({
  id: TargetId,
  wave: z.number().int().nonnegative(),
  result: z.enum(['succeeded', 'nothing-to-do', 'rehearsed', 'failed', 'skipped']),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int().nullable(),
  applied: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  worker: z.string().optional(),
  errorCode: FleetErrorCode.optional(),
  /** for people; scrubbed of secrets and bounded like every job error */
  error: z.string().max(2000).optional(),
  restorePoint: z.string().optional(),
  finishedAt: z.string(),
});
export type TargetOutcome = z.infer<typeof TargetOutcome>;

export const FleetRunStatus = z.enum(['queued', 'running', 'paused', 'halted', 'succeeded', 'failed', 'cancelled']);
export type FleetRunStatus = z.infer<typeof FleetRunStatus>;

export const WaveState = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  targets: z.number().int().nonnegative(),
  status: z.enum(['pending', 'running', 'done', 'halted', 'skipped']),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type WaveState = z.infer<typeof WaveState>;

/** The fleet-run record (per-target outcomes are kept beside it, in fleetKeys().runTargets). */
export const FleetRun = z.object({
  id: z.string(),
  mode: z.enum(['run', 'dry-run']),
  status: FleetRunStatus,
  requestedBy: z.string(),
  reason: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  migrationsId: z.string().optional(),
  halt: HaltRule,
  waves: z.array(WaveState),
  /** totals over all targets of the run */
  counts: z.object({
    targets: z.number().int().nonnegative(),
    succeeded: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    pending: z.number().int().nonnegative(),
  }),
  /** why the run stopped early (halt rule, canary failure, cancellation) */
  haltReason: z.string().optional(),
  /** set while paused, by whom */
  pausedBy: z.string().optional(),
  /** the run whose failed targets this run retries */
  retryOf: z.string().optional(),
  /** the request asked to apply on targets whose schema drifted too */
  allowDrift: z.boolean().optional(),
});
export type FleetRun = z.infer<typeof FleetRun>;

/** Control requests on a fleet run (API → coordinator), applied at the next decision point. */
export const FleetControl = z.object({
  action: z.enum(['pause', 'resume', 'cancel', 'skip']),
  /** skip: targets not yet dispatched */
  ids: z.array(TargetId).max(100_000).optional(),
  requestedBy: z.string(),
  at: z.string(),
});
export type FleetControl = z.infer<typeof FleetControl>;

/** Live fleet events (pub/sub; lossy by nature: clients re-read the record on reconnect). */
export const FleetEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fleet:run'), run: FleetRun }),
  z.object({ type: z.literal('fleet:target'), runId: z.string(), outcome: TargetOutcome }),
  z.object({ type: z.literal('fleet:target-start'), runId: z.string(), id: TargetId, wave: z.number().int(), worker: z.string() }),
  /**
   * how far a target's restore point copy is (bytes of its file), sampled every 250 ms while
   * the copy runs: only a file whose copy takes a moment sends any
   */
  z.object({ type: z.literal('fleet:target-copy'), runId: z.string(), id: TargetId, bytes: z.number().int(), bytesDone: z.number().int() }),
  /** the API took a control request (pushed on fleetKeys().control): wakes a waiting coordinator, tells clients */
  z.object({ type: z.literal('fleet:control'), runId: z.string(), control: FleetControl }),
]);
export type FleetEvent = z.infer<typeof FleetEvent>;

/** Payload of a per-target job in a shard queue. */
export const TargetJobData = z.object({
  /** target-read: the target's ledger, pending migrations, run history and schema for the API (fleetKeys().targetRead) */
  kind: z.enum(['target-run', 'target-dry-run', 'target-read']),
  runId: z.string(),
  target: TargetId,
  wave: z.number().int().nonnegative(),
  requestedBy: z.string(),
  reason: z.string().optional(),
  migrationsId: z.string().optional(),
  restorePoints: z.boolean().optional(),
  /** apply even when the target's schema drifted */
  allowDrift: z.boolean().optional(),
});
export type TargetJobData = z.infer<typeof TargetJobData>;

/** Payload of the coordinator job (one per fleet run) in the fleet queue. */
export const FleetJobData = FleetRunRequest.extend({
  runId: z.string(),
  requestedBy: z.string(),
  retryOf: z.string().optional(),
});
export type FleetJobData = z.infer<typeof FleetJobData>;

/** The queue of coordinator jobs: one job per fleet run, processed by any fleet worker. */
export const FLEET_QUEUE = 'fleet';
/** The queue of a shard's target jobs, consumed by the shard's lease holder only. */
export const shardQueueName = (shard: ShardName) => `fleet-shard-${shard}`;

/** Redis keys of the fleet (see the header for the prefix under Redis Cluster). */
export const fleetKeys = (prefix = 'duckmig') => ({
  /** hash: target id → TargetState JSON */
  targets: `${prefix}:fleet:targets`,
  /** hash: shard → ShardState JSON */
  shards: `${prefix}:fleet:shards`,
  /** string `<worker>:<token>` with a TTL: who owns the shard now */
  lease: (shard: ShardName) => `${prefix}:fleet:lease:${shard}`,
  /** counter: the shard's fencing tokens (INCR on every acquisition) */
  fence: (shard: ShardName) => `${prefix}:fleet:fence:${shard}`,
  /** string: FleetRun JSON */
  run: (id: string) => `${prefix}:fleet:run:${id}`,
  /** hash: target id → TargetOutcome JSON for one run */
  runTargets: (id: string) => `${prefix}:fleet:run:${id}:targets`,
  /** string, for a minute: what a target-read job read (TargetFileRead JSON), by its job id */
  targetRead: (jobId: string) => `${prefix}:fleet:read:${jobId}`,
  /** list, kept a week: one migration file's statements (PlannedStatement JSON), by its checksum; an owner publishes it when it reads a target that has the file pending */
  sql: (checksum: string) => `${prefix}:fleet:sql:${checksum}`,
  /** list: FleetControl JSON requests not yet applied */
  control: (id: string) => `${prefix}:fleet:run:${id}:control`,
  /** sorted set: run id by creation time (ms) */
  runs: `${prefix}:fleet:runs`,
  /** string: the id of the fleet run in flight (SET NX: a second request is refused with it) */
  active: `${prefix}:fleet:active`,
  /** pub/sub channel: FleetEvent JSON */
  events: `${prefix}:fleet:events`,
  /** pub/sub channel: the run id of a control request, for waiting coordinators (workers listen here, not to every event) */
  controls: `${prefix}:fleet:controls`,
});
