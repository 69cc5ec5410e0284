// What the fleet benchmarks apply to every target, and the floor's own SQL: the four
// migrations (a table with a primary key, a column, an index, two rows) and the floor's
// ledger table and row, shared by the multi-process fleet benchmark (fleet-floor.ts runs
// them in child processes) and the one-process target benchmark (fleet-target-bench.ts).

/** The target's schema history: a table, a column, an index, a few rows. */
export const TARGET_MIGRATIONS: Record<string, string> = {
  '001_accounts.sql': 'CREATE TABLE accounts (\n    id         INTEGER PRIMARY KEY,\n    name       VARCHAR NOT NULL,\n    plan       VARCHAR NOT NULL,\n    created_at TIMESTAMP\n);\n',
  '002_accounts_email.sql': 'ALTER TABLE accounts ADD COLUMN email VARCHAR;\n',
  '003_accounts_email_idx.sql': 'CREATE INDEX accounts_email_idx ON accounts (email);\n',
  '004_system_accounts.sql':
    "INSERT INTO accounts (id, name, plan, created_at, email) VALUES\n    (1, 'system', 'internal', TIMESTAMP '2026-01-01 00:00:00', 'system@example.com'),\n    (2, 'support', 'internal', TIMESTAMP '2026-01-01 00:00:00', 'support@example.com');\n",
};

/** the floor's ledger: a table like duckmig's schema_migrations */
export const FLOOR_LEDGER_DDL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL, status VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL, duration_ms DOUBLE, applied_by VARCHAR, run_id VARCHAR)';
/** the floor's ledger row: version, name, checksum, applied at, duration, run id */
export const FLOOR_LEDGER_INSERT = "INSERT INTO schema_migrations VALUES (?, ?, ?, 'applied', CAST(? AS TIMESTAMP), ?, 'bench', ?)";
/** now, as the floor's ledger rows store it: a DuckDB TIMESTAMP literal in UTC */
export const floorTimestamp = (): string => new Date().toISOString().replace('T', ' ').replace('Z', '');
