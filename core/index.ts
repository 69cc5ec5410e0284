// The runner's public surface: what the worker, the CLI and the tests import.
export { MigrationRunner, type RunnerOptions, type RunOptions } from './runner.js';
export { FileMigrationSource, type MigrationFile } from './source.js';
export {
  parseCheckpointPolicy,
  describeCheckpointPolicy,
  CheckpointPolicyError,
  DEFAULT_CHECKPOINT_BUDGET,
  type CheckpointPolicy,
} from './checkpoint-policy.js';
export { Database, DatabaseLockedError, DatabaseOpenError } from './database.js';
export { LedgerReader, type LedgerGlance } from './ledger-reader.js';
export { readDatabaseSchema } from './schema.js';
export { replaySchema, SchemaReplayError } from './schema-at.js';
export { DriftChecker, driftReport, readLiveSchema as readDriftSchema, type ExpectedSchema, type ExpectedSchemaStore, type LiveSchemaRead } from './drift.js';
export { LEDGER_TABLES } from './ledger.js';
export { parseFileName, splitSections, ANNOTATION } from './layouts.js';
export { RestorePoints, RestorePointError } from './restore-points.js';
export { restoreDatabase } from './restore.js';
export { lintMigrations, REFUSAL_CODES } from './lint.js';
export {
  TOOLS,
  ToolHistoryError,
  readToolHistory,
  appliedFiles,
  adoptToolHistory,
  compareToolVersions,
  type Tool,
  type ToolHistory,
  type AdoptableFile,
} from './tool-history.js';
export { RunPercent } from './run-percent.js';
export { errorExcerpt } from './error-text.js';
export { readMigrationsId } from './migrations-id.js';
export { readFence, type WriteFence } from './write-fence.js';
