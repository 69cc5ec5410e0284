// The only place the UI meets the shared contract: types only, erased at build time,
// so no zod (or anything else from the server side) ends up in the browser bundle.
import type { HistoryResponse } from '../../../contract/index.js';

export type {
  DryRunRequest,
  EnqueuedResponse,
  ErrorBody,
  HistoryResponse,
  JobProgress,
  JobState,
  JobView,
  LedgerEntry,
  LiveMessage,
  MigrationError,
  MigrationResult,
  MigrationStatus,
  PendingMigration,
  PendingSqlResponse,
  PlannedMigration,
  PlannedStatement,
  RestorePointRef,
  RestoreRequest,
  Role,
  RunMode,
  RunRequest,
  RunResult,
  RunStatus,
  RunSummary,
  RunnerEvent,
  SchemaChange,
  SessionCheckResponse,
  StatementTiming,
  StatusReport,
  StatusResponse,
  ValidationProblem,
  WhoAmIResponse,
  WorkerLiveness,
} from '../../../contract/index.js';

/** a job in the history list (the API leaves out the logs there) */
export type JobSummary = HistoryResponse['jobs'][number];
