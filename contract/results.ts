// The runner's outputs as zod schemas: validation problems, per-migration results,
// the run result, plans, schema diffs and the status snapshot. The worker returns these
// as job results, the API serves them, the CLI and the UI render them.
import { z } from 'zod';

export const Severity = z.enum(['error', 'warning']);

export const ProblemCode = z.enum([
  'bad-name',
  'duplicate-version',
  'empty-file',
  'not-utf8',
  'syntax-error',
  'statement-count-mismatch',
  'checksum-mismatch',
  'missing-file',
  'out-of-order',
  'unreadable-dir',
  'unreadable-file',
  'file-too-large',
  // other tools' layouts: a version or file duckmig cannot run as it is, a Down file alone
  'unsupported-version',
  'unsupported-file',
  'orphan-down',
  // another tool's table holds the ledger's name (golang-migrate's or dbmate's schema_migrations)
  'foreign-ledger',
  // DuckDB-aware lint warnings
  'alter-on-indexed-table',
  'alter-on-referenced-table',
  'constraint-change',
  'constraint-on-add-column',
  'drop-referenced-table',
  'statement-refused',
  'data-dependent',
  'missing-if-not-exists',
  'non-transactional',
  // a statement that would change the worker's connection (USE, SET, ATTACH, …)
  'connection-state',
]);
export type ProblemCode = z.infer<typeof ProblemCode>;

export const ValidationProblem = z.object({
  code: ProblemCode,
  severity: Severity,
  message: z.string(),
  /** what to do about it */
  hint: z.string().optional(),
  file: z.string().optional(),
  version: z.number().int().optional(),
  line: z.number().int().optional(),
  statementIndex: z.number().int().optional(),
});
export type ValidationProblem = z.infer<typeof ValidationProblem>;

export const MigrationError = z.object({
  message: z.string(),
  /** 0-based index of the failing statement inside the file */
  statementIndex: z.number().int().optional(),
  /** 1-based line in the file where the failing statement starts */
  line: z.number().int().optional(),
  sql: z.string().optional(),
  file: z.string().optional(),
});
export type MigrationError = z.infer<typeof MigrationError>;

/** 'undone': an undo ran the migration's down script (its result names the down file and its checksum) */
export const MigrationStatus = z.enum(['applied', 'failed', 'cancelled', 'rolled-back', 'skipped', 'not-run', 'rehearsed', 'undone']);
export type MigrationStatus = z.infer<typeof MigrationStatus>;

export const StatementTiming = z.object({
  index: z.number().int(),
  line: z.number().int(),
  durationMs: z.number(),
  sql: z.string(),
});
export type StatementTiming = z.infer<typeof StatementTiming>;

export const MigrationResult = z.object({
  version: z.number().int(),
  name: z.string(),
  file: z.string(),
  checksum: z.string(),
  status: MigrationStatus,
  statements: z.number().int(),
  durationMs: z.number().optional(),
  statementTimings: z.array(StatementTiming).optional(),
  error: MigrationError.optional(),
});
export type MigrationResult = z.infer<typeof MigrationResult>;

/** The most of one statement's text that a plan, the pending-SQL route or a result carries. */
export const STATEMENT_PREVIEW_BYTES = 8 * 1024;
/** The most statements of one migration that a dry-run's plan lists. */
export const PLAN_PREVIEW_STATEMENTS = 200;

/**
 * One statement as shown to people: its text up to STATEMENT_PREVIEW_BYTES (a 50 MB seed
 * INSERT is shown by its beginning), with its real size.
 */
export const PlannedStatement = z.object({
  index: z.number().int(),
  line: z.number().int(),
  sql: z.string(),
  /** the statement's full size in bytes (UTF-8) */
  sizeBytes: z.number().int().optional(),
  /** true when `sql` is only the beginning of the statement */
  truncated: z.boolean().optional(),
});
export type PlannedStatement = z.infer<typeof PlannedStatement>;

/**
 * What makes a statement destructive: a DROP (table, column, index, view, …, or
 * CREATE OR REPLACE TABLE, which drops the old table), a table rebuild (a new table
 * renamed into place), TRUNCATE or DELETE without WHERE, ALTER … TYPE.
 */
export const DestructiveKind = z.enum(['drop', 'rebuild', 'truncate', 'delete-all', 'alter-type']);
export type DestructiveKind = z.infer<typeof DestructiveKind>;

export const DestructiveStatement = z.object({
  kind: DestructiveKind,
  statementIndex: z.number().int(),
  line: z.number().int(),
  /** the statement's beginning, for people */
  summary: z.string(),
});
export type DestructiveStatement = z.infer<typeof DestructiveStatement>;

/** A pending migration as the status lists it: no SQL (that has its own paged route). */
export const PendingMigration = z.object({
  version: z.number().int(),
  name: z.string(),
  file: z.string(),
  checksum: z.string(),
  statementCount: z.number().int(),
  sizeBytes: z.number().int(),
  /** the plan id of a run up to and including this migration (pin it with run's `plan`) */
  planId: z.string(),
  /** its destructive statements (approvals with DUCKMIG_APPROVALS=destructive); absent when none */
  destructive: z.array(DestructiveStatement).optional(),
});
export type PendingMigration = z.infer<typeof PendingMigration>;

/** A migration of a dry-run's plan: its statements previewed, never more than a bounded excerpt. */
export const PlannedMigration = PendingMigration.omit({ planId: true }).extend({
  statements: z.array(PlannedStatement),
  /** true when only the first statements are listed */
  statementsTruncated: z.boolean().optional(),
});
export type PlannedMigration = z.infer<typeof PlannedMigration>;

export const SchemaObjectKind = z.enum(['table', 'column', 'index', 'macro', 'view', 'sequence']);
export const SchemaChange = z.object({
  kind: SchemaObjectKind,
  change: z.enum(['added', 'dropped', 'changed']),
  /** table name, table.column, index name or macro name */
  name: z.string(),
  before: z.string().optional(),
  after: z.string().optional(),
});
export type SchemaChange = z.infer<typeof SchemaChange>;

export const RestorePointRef = z.object({
  id: z.string(),
  path: z.string(),
  sizeBytes: z.number(),
  checksum: z.string(),
  createdAt: z.string().optional(),
  version: z.number().int().optional(),
  reason: z.string().nullable().optional(),
});
export type RestorePointRef = z.infer<typeof RestorePointRef>;

/** 'undo' runs down scripts; 'undo-preview' rehearses them on a copy of the database */
export const RunMode = z.enum(['apply', 'rehearse', 'plan', 'restore', 'undo', 'undo-preview']);
export type RunMode = z.infer<typeof RunMode>;

/** 'crashed' only in the run history: the run's process died before it could record an outcome. */
export const RunStatus = z.enum(['success', 'failed', 'cancelled', 'invalid', 'nothing-to-do', 'crashed']);
export type RunStatus = z.infer<typeof RunStatus>;

/**
 * Why a run, dry-run or restore did not succeed, as a code: what crosses process
 * boundaries (worker → API → CLI, UI) instead of error text, which is for people only.
 */
export const ErrorCode = z.enum([
  /** validation found errors in the migration files: nothing was applied */
  'validation-failed',
  /** the requested target version is unknown or below the current version: nothing was applied */
  'target-invalid',
  /** the pinned plan no longer matches the pending files: nothing was applied */
  'plan-changed',
  /** the restore point before applying could not be taken: nothing was applied */
  'restore-point-failed',
  /** a migration failed (or its commit did) and was rolled back */
  'migration-failed',
  /** cancelled on request or by a shutdown: the migration in progress was rolled back */
  'cancelled',
  /** the API did not confirm the request by its deadline: it was not started */
  'deadline-passed',
  /** the restore point is unknown or damaged, or no undo point could be taken: nothing was changed */
  'restore-refused',
  /** the restore failed and was rolled back: the database is as it was */
  'restore-failed',
  /** an undo was refused: a migration in its range has no down script (the result offers a restore point instead) */
  'down-missing',
  /** the live schema differs from what the applied migrations produce (drift): nothing was applied */
  'drifted',
  /** the schema at an applied version could not be replayed (schema-at jobs) */
  'replay-failed',
  /** the run became due outside every maintenance window and the policy is refuse: nothing was applied */
  'outside-maintenance-window',
  /** the worker died or the run ended without a result */
  'crashed',
  /** fleet mode: the writer's fencing token is no longer valid (its shard lease was lost or taken over): nothing more was written */
  'lease-lost',
  /** an admin rejected the run request: nothing was applied */
  'approval-rejected',
  /** its requester withdrew the run request before a decision: nothing was applied */
  'approval-withdrawn',
  /** nobody decided on the run request in time: nothing was applied */
  'approval-expired',
  /** anything else (a malformed job, a job started twice) */
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** One migration an undo takes back: its down script (a `.down.sql` / `U<n>__` file, or the Down section of its own file). */
export const UndoStep = z.object({
  version: z.number().int(),
  name: z.string(),
  /** the file the down script comes from */
  file: z.string(),
  /** SHA-256 of the down script (what the ledger's 'undone' row records) */
  checksum: z.string(),
  statementCount: z.number().int(),
  /** the down script's destructive statements (approvals with DUCKMIG_APPROVALS=destructive); absent when none */
  destructive: z.array(DestructiveStatement).optional(),
});
export type UndoStep = z.infer<typeof UndoStep>;

/** Data an undo would drop, counted on the database before anything ran. */
export const DroppedData = z.object({
  tables: z.array(z.object({ name: z.string(), rows: z.number().int() })),
  /** columns dropped from tables that stay; nonNull: the values that would be lost */
  columns: z.array(z.object({ table: z.string(), column: z.string(), rows: z.number().int(), nonNull: z.number().int() })),
});
export type DroppedData = z.infer<typeof DroppedData>;

/** What to do instead when an undo is refused for want of down scripts. */
export const RestoreOffer = z.object({
  /** the newest restore point at or below the undo's version, null when there is none */
  restorePoint: RestorePointRef.nullable(),
  /** what restoring it would lose, said plainly */
  warning: z.string(),
});
export type RestoreOffer = z.infer<typeof RestoreOffer>;

/** An undo's (or its preview's) own part of the result. */
export const UndoReport = z.object({
  /** the version the undo goes back to */
  to: z.number().int(),
  /** the down scripts, newest migration first */
  steps: z.array(UndoStep),
  /** migrations in the range without a down script (the undo is then refused) */
  missingDown: z.array(z.object({ version: z.number().int(), name: z.string(), file: z.string() })),
  /** preview only: what the down scripts would drop, with row counts from the live database */
  dropped: DroppedData.optional(),
  /** when refused for want of down scripts: the restore point to go back to instead */
  restoreOffer: RestoreOffer.optional(),
});
export type UndoReport = z.infer<typeof UndoReport>;

export const RunResult = z.object({
  /** the run's one id: the job id when it ran as a job (history row, ledger rows and events carry it too) */
  runId: z.string(),
  mode: RunMode,
  status: RunStatus,
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  /** version before and after the run */
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  migrations: z.array(MigrationResult),
  problems: z.array(ValidationProblem),
  /** a run-level error (validation refused, database unreadable), when there is one */
  error: z.string().optional(),
  /** why the run did not succeed, set whenever status is failed, cancelled or invalid */
  errorCode: ErrorCode.optional(),
  /** dry-run only: the plan */
  plan: z.array(PlannedMigration).optional(),
  /** the plan id of what was (or would be) applied: a dry-run's can be pinned with run's `plan` */
  planId: z.string().optional(),
  /** rehearsal only: what the batch would change */
  schemaDiff: z.array(SchemaChange).optional(),
  /** the restore point taken before applying (or restored from, for mode 'restore') */
  restorePoint: RestorePointRef.optional(),
  /** restore only: the restore point of the state it replaced (restore it to undo the restore) */
  undoPoint: RestorePointRef.optional(),
  /** undo and undo-preview only: the down scripts, the data they drop, or the restore point offered instead */
  undo: UndoReport.optional(),
});
export type RunResult = z.infer<typeof RunResult>;

/** 'undone': an undo ran the version's down script (the row's checksum is the down script's); the version is pending again */
export const LedgerStatus = z.enum(['applied', 'adopted', 'failed', 'cancelled', 'undone']);
export type LedgerStatus = z.infer<typeof LedgerStatus>;

/** One row of the schema_migrations ledger (an attempt, successful or not). */
export const LedgerEntry = z.object({
  version: z.number().int(),
  name: z.string(),
  checksum: z.string(),
  status: LedgerStatus,
  appliedAt: z.string(),
  durationMs: z.number().nullable(),
  appliedBy: z.string().nullable(),
  runId: z.string().nullable(),
  jobId: z.string().nullable(),
  error: z.string().nullable(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;


export const LegacyInfo = z.object({
  /** versions found in the old schema_version table */
  versions: z.array(z.number().int()),
  /** versions taken over into schema_migrations as 'adopted' */
  adopted: z.array(z.number().int()),
});
export type LegacyInfo = z.infer<typeof LegacyInfo>;

export const StatusReport = z.object({
  database: z.object({ path: z.string(), sizeBytes: z.number(), duckdbVersion: z.string() }),
  migrationsDir: z.string(),
  currentVersion: z.number().int(),
  latestVersion: z.number().int(),
  /** the effective applied set: one entry per version (status applied or adopted) */
  applied: z.array(LedgerEntry),
  /** every attempt ever recorded, failures included, oldest first */
  ledger: z.array(LedgerEntry),
  pending: z.array(PendingMigration),
  problems: z.array(ValidationProblem),
  legacy: LegacyInfo.nullable(),
  generatedAt: z.string(),
});
export type StatusReport = z.infer<typeof StatusReport>;
