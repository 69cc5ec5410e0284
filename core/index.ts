// The runner's public surface: what the worker, the CLI and the tests import.
export { MigrationRunner, CancelledError, type RunnerOptions, type RunOptions, type DryRunOptions, type DatabaseInfo } from './runner.js';
export { FileMigrationSource, checksumOf, MIGRATION_FILE, type MigrationFile, type MigrationSource, type SourceScan } from './source.js';
export {
  parseCheckpointPolicy,
  describeCheckpointPolicy,
  CheckpointPolicyError,
  DEFAULT_CHECKPOINT_BUDGET,
  type CheckpointPolicy,
  type CheckpointBudget,
} from './checkpoint-policy.js';
export { Database, DatabaseLockedError, DatabaseMissingError, DatabaseOpenError, recoverWal, type OpenOptions } from './database.js';
export { readSchema, readDatabaseSchema, diffSchema, schemaObjects, type SchemaSnapshot } from './schema.js';
export { replaySchema, SchemaReplayError } from './schema-at.js';
export { LEDGER_TABLES, LEDGER_DDL, ForeignLedgerError, Ledger } from './ledger.js';
export { parseFileName, splitSections, ANNOTATION, type Layout, type NamedFile, type Sections } from './layouts.js';
export { splitStatements, summarize } from './statement-text.js';
export { RestorePoints, RestorePointError, type RestorePoint, type RestorePointOptions } from './restore-points.js';
export { restoreDatabase, RESTORE_STEPS, type RestoreOptions, type RestoreStep } from './restore.js';
export { lintMigrations, REFUSAL_CODES, type LintOptions } from './lint.js';
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
export { splitAllowList, type ConnectionHome } from './sandbox.js';
export { errorText, redact, errorExcerpt, MAX_ERROR_CHARS } from './error-text.js';
