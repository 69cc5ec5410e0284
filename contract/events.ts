// Runner events: one typed event per step of a run. The runner emits them, the worker
// forwards each as BullMQ job progress (wrapped in JobProgress), the API fans them out
// over WebSocket/SSE, and the CLI and UI render them.
import { z } from 'zod';
import { MigrationError, RunMode, RunStatus } from './results.js';

const MigrationRef = z.object({ version: z.number().int(), name: z.string() });

export const RunStartEvent = z.object({
  type: z.literal('run:start'),
  runId: z.string(),
  mode: RunMode,
  migrations: z.array(MigrationRef.extend({ statements: z.number().int() })),
  totalStatements: z.number().int(),
});

export const MigrationStartEvent = MigrationRef.extend({
  type: z.literal('migration:start'),
  runId: z.string(),
  /** 0-based position in this run */
  index: z.number().int(),
  total: z.number().int(),
  statements: z.number().int(),
});

export const StatementStartEvent = MigrationRef.extend({
  type: z.literal('statement:start'),
  runId: z.string(),
  statementIndex: z.number().int(),
  statementCount: z.number().int(),
  line: z.number().int(),
  /** first line of the statement, for display */
  summary: z.string(),
});

/**
 * DuckDB's own progress of the running statement (its scans), sampled while a statement
 * runs longer than a moment; a statement that ends quickly has none. `percent` only grows.
 */
export const StatementProgressEvent = MigrationRef.extend({
  type: z.literal('statement:progress'),
  runId: z.string(),
  statementIndex: z.number().int(),
  statementCount: z.number().int(),
  percent: z.number().min(0).max(100),
  rowsProcessed: z.number(),
  totalRows: z.number(),
  /** since the statement started */
  elapsedMs: z.number(),
  /** time left at the pace so far, once DuckDB reported some progress */
  etaMs: z.number().optional(),
});

/**
 * DuckDB's own progress of a migration that runs as one DuckDB call (nobody follows its
 * statements one by one, e.g. `duckmig run` printing progress lines): the running
 * statement's scan progress, sampled while the file runs longer than a moment. Which of the
 * file's statements is running is not known; `percent` starts again when the next
 * long statement begins.
 */
export const MigrationProgressEvent = MigrationRef.extend({
  type: z.literal('migration:progress'),
  runId: z.string(),
  percent: z.number().min(0).max(100),
  rowsProcessed: z.number(),
  totalRows: z.number(),
  /** since the migration started */
  elapsedMs: z.number(),
  /** time left for the running statement at its pace so far */
  etaMs: z.number().optional(),
});

/**
 * A step of a run or restore that is not a statement: committing a transaction,
 * checkpointing the WAL into the file, taking a restore point, copying or swapping a
 * database file. It lasts until the next event of the run.
 */
export const RunPhaseName = z.enum(['committing', 'checkpointing', 'restore-point', 'copying', 'swapping', 'recording']);
export type RunPhaseName = z.infer<typeof RunPhaseName>;

export const PhaseEvent = z.object({
  type: z.literal('phase'),
  runId: z.string(),
  phase: RunPhaseName,
  /** the migration it belongs to, when one */
  version: z.number().int().optional(),
  name: z.string().optional(),
  /** size of the file being copied, when known */
  bytes: z.number().optional(),
  /**
   * bytes copied so far: the same phase again, sampled while a copy runs (a restore point
   * being taken, a restore point being copied into place); the phase began at its first event
   */
  bytesDone: z.number().optional(),
});

export const StatementDoneEvent = MigrationRef.extend({
  type: z.literal('statement:done'),
  runId: z.string(),
  statementIndex: z.number().int(),
  statementCount: z.number().int(),
  line: z.number().int(),
  durationMs: z.number(),
  /** first line of the statement, for display */
  summary: z.string(),
});

export const MigrationDoneEvent = MigrationRef.extend({
  type: z.literal('migration:done'),
  runId: z.string(),
  durationMs: z.number(),
});

export const MigrationFailedEvent = MigrationRef.extend({
  type: z.literal('migration:failed'),
  runId: z.string(),
  durationMs: z.number(),
  cancelled: z.boolean(),
  error: MigrationError,
});

export const RunDoneEvent = z.object({
  type: z.literal('run:done'),
  runId: z.string(),
  mode: RunMode,
  status: RunStatus,
  durationMs: z.number(),
  applied: z.number().int(),
  failed: z.number().int(),
});

export const RunnerEvent = z.discriminatedUnion('type', [
  RunStartEvent,
  MigrationStartEvent,
  StatementStartEvent,
  StatementProgressEvent,
  StatementDoneEvent,
  MigrationProgressEvent,
  PhaseEvent,
  MigrationDoneEvent,
  MigrationFailedEvent,
  RunDoneEvent,
]);
export type RunnerEvent = z.infer<typeof RunnerEvent>;
export type RunnerEventType = RunnerEvent['type'];
export type RunnerEventOf<T extends RunnerEventType> = Extract<RunnerEvent, { type: T }>;
