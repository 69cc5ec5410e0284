// The migration ledger inside the database: `schema_migrations` (one row per attempt:
// applied, adopted, failed or cancelled; and 'undone' when an undo ran a down script), the run history `schema_migration_runs`
// (run-history.ts, reached as ledger.runs), and the legacy `schema_version` table that old
// application builds still read. All reads tolerate a database that has none of them yet.
// Versions are BIGINT (14-digit timestamps): tables created as INTEGER are widened in place.
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';
import type { LedgerEntry, LedgerStatus } from '../contract/index.js';
import { fromDbTimestamp, toDbTimestamp } from './db-timestamp.js';
import { ApprovalHistory, APPROVALS_TABLE } from './approval-history.js';
import { RunHistory } from './run-history.js';

// Same definition as the top of migrations/duckdb/001_initial_schema.sql (a test keeps
// them equal). No defaults with functions: ALTER TABLE on such tables trips DuckDB's
// WAL-replay bug, and the runner always writes explicit values. The version column says
// INTEGER because 001 is applied in existing databases and its checksum is recorded, so
// its text cannot change: ensureLedger widens it (and the runs' versions) to BIGINT.
export const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER   NOT NULL,
    name        VARCHAR   NOT NULL,
    checksum    VARCHAR   NOT NULL,
    status      VARCHAR   NOT NULL,
    applied_at  TIMESTAMP NOT NULL,
    duration_ms DOUBLE,
    applied_by  VARCHAR,
    run_id      VARCHAR,
    job_id      VARCHAR,
    error       VARCHAR
)`;

const RUNS_DDL = `CREATE TABLE IF NOT EXISTS schema_migration_runs (
    run_id       VARCHAR   NOT NULL,
    job_id       VARCHAR,
    mode         VARCHAR   NOT NULL,
    status       VARCHAR   NOT NULL,
    requested_by VARCHAR,
    reason       VARCHAR,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP NOT NULL,
    duration_ms  DOUBLE    NOT NULL,
    from_version INTEGER   NOT NULL,
    to_version   INTEGER   NOT NULL,
    error        VARCHAR,
    migrations   VARCHAR   NOT NULL,
    restore_point VARCHAR
)`;

// Exactly the old application's definition.
const LEGACY_DDL = `CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMP DEFAULT current_timestamp
)`;

/** The tables ensure() creates; approvals (approval-history.ts) are created on first use. */
const CORE_TABLES = ['schema_migrations', 'schema_migration_runs', 'schema_version'] as const;
/** duckmig's own tables: never part of the schema people see. */
export const LEDGER_TABLES = [...CORE_TABLES, APPROVALS_TABLE] as const;

/** Version columns that hold BIGINT versions; older databases have them as INTEGER. */
const VERSION_COLUMNS = [
  ['schema_migrations', 'version'],
  ['schema_migration_runs', 'from_version'],
  ['schema_migration_runs', 'to_version'],
] as const;

/** A DDL with these columns declared BIGINT: a ledger created now needs no widening (no ALTER, no CHECKPOINT). */
function wide(ddl: string, columns: readonly string[]): string {
  return columns.reduce((sql, column) => sql.replace(new RegExp(`(\\n\\s+${column}\\s+)INTEGER\\b`), '$1BIGINT'), ddl);
}
const LEDGER_DDL_WIDE = wide(LEDGER_DDL, ['version']);
const RUNS_DDL_WIDE = wide(RUNS_DDL, ['from_version', 'to_version']);

/** schema_version stays exactly the old application's table (INTEGER PRIMARY KEY). */
const LEGACY_MAX_VERSION = 2 ** 31 - 1;

/** Another tool's table named schema_migrations (golang-migrate's or dbmate's) is in the way. */
export class ForeignLedgerError extends Error {
  override name = 'ForeignLedgerError';
  /** what to do about it */
  readonly hint: string;
  constructor(readonly columns: string[]) {
    const tool = columns.includes('dirty') ? 'golang-migrate' : columns.length === 1 && columns[0] === 'version' ? 'dbmate' : null;
    super(
      `the database's schema_migrations table (columns ${columns.join(', ')}) is not duckmig's ledger${tool ? `: it is ${tool}'s version table` : ''}`,
    );
    this.hint =
      `adopt it with \`duckmig import --from ${tool ?? 'golang-migrate|dbmate'} DIR --db FILE\`, which records the versions it applied as adopted ` +
      'and keeps its table under another name; nothing runs until then';
  }
}








/** One entry per version that is applied (or adopted) and not undone since, in version order. */
export function effectiveApplied(ledger: LedgerEntry[]): LedgerEntry[] {
  const byVersion = new Map<number, LedgerEntry>();
  for (const e of ledger) {
    if (e.status === 'applied' || e.status === 'adopted') byVersion.set(e.version, e);
    else if (e.status === 'undone') byVersion.delete(e.version);
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

export interface LegacyRow {
  version: number;
  appliedAt: string | null;
}


export interface LedgerWrite {
  version: number;
  name: string;
  checksum: string;
  status: LedgerStatus;
  appliedAt: string;
  durationMs: number | null;
  appliedBy: string | null;
  runId: string | null;
  jobId: string | null;
  error: string | null;
}


/**
 * Old builds upgrade schema_version from MAX(version) + 1 to the last version they know
 * (4). Up to there the mirror commits with the migration itself, so an old build started
 * after a crash never re-runs a step; past it the mirror changes nothing an old build does
 * and is brought up to date once per run (syncLegacyVersions), not in every transaction.
 */
const OLD_BUILDS_LAST_VERSION = 4;










async function columnTypes(connection: DuckDBConnection, table: string): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(
    "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?",
    [table],
  );
  return new Map(reader.getRows().map(([name, type]) => [String(name), String(type)]));
}


/**
 * The ledger of one database connection: reads and writes of the three ledger tables. The
 * runner, restore and imports all go through it. It remembers which ledger tables exist
 * (once seen they stay), saving a catalog query on every status and run; a reopened
 * connection gets a new Ledger.
 */
export class Ledger {
  readonly #known = new Set<string>();
  #insert: Promise<DuckDBPreparedStatement> | undefined;
  #lastWrite: Promise<unknown> = Promise.resolve();
  #widened = false;

  /** the run history (schema_migration_runs) */
  readonly runs: RunHistory;
  /** the approval decisions (schema_migration_approvals) */
  readonly approvals: ApprovalHistory;

  constructor(readonly connection: DuckDBConnection) {
    this.runs = new RunHistory(this);
    this.approvals = new ApprovalHistory(this);
  }

  /** Whether a ledger table exists (remembered once seen). */
  async has(table: (typeof LEDGER_TABLES)[number]): Promise<boolean> {
      if (this.#known.has(table)) return true;
    const reader = await this.connection.runAndReadAll(
      "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?",
      [table],
    );
    const exists = Number(reader.getRows()[0]?.[0] ?? 0) > 0;
    if (exists && table === 'schema_migrations') await this.#assertOwn();
    if (exists) this.#known.add(table);
    return exists;
  }

  async #assertOwn(): Promise<void> {
    const columns = await columnTypes(this.connection, 'schema_migrations');
    if (!columns.has('checksum') || !columns.has('status')) throw new ForeignLedgerError([...columns.keys()]);
  }

  /** ALTER … TYPE BIGINT for version columns still INTEGER (no index on these tables, so DuckDB allows it). */
  async #widenVersionColumns(): Promise<void> {
    if (this.#widened) return;
    let changed = false;
    for (const table of new Set(VERSION_COLUMNS.map(([t]) => t))) {
      const types = await columnTypes(this.connection, table);
      for (const [t, column] of VERSION_COLUMNS) {
        if (t === table && types.get(column) === 'INTEGER') {
          await this.connection.run(`ALTER TABLE ${table} ALTER COLUMN ${column} TYPE BIGINT`);
          changed = true;
        }
      }
    }
    // DDL goes to the data file at once rather than waiting in the WAL
    if (changed) await this.connection.run('CHECKPOINT');
    this.#widened = true;
  }

  /** Creates whatever ledger table is missing (refusing another tool's schema_migrations) and widens old version columns. */
  async ensure(): Promise<void> {
    if (!CORE_TABLES.every((t) => this.#known.has(t))) {
      if (!this.#known.has('schema_migrations')) await this.has('schema_migrations'); // refuses another tool's table
      // neither versioned table there yet: both are created BIGINT below, nothing to read back and widen
      const fresh = !this.#known.has('schema_migrations') && !(await this.has('schema_migration_runs'));
      // IF NOT EXISTS: a table an older build created keeps its INTEGER columns until widened below
      await this.connection.run(LEDGER_DDL_WIDE);
      await this.connection.run(RUNS_DDL_WIDE);
      await this.connection.run(LEGACY_DDL);
      for (const t of CORE_TABLES) this.#known.add(t);
      if (fresh) this.#widened = true;
    }
    await this.#widenVersionColumns();
  }

  async read(): Promise<LedgerEntry[]> {
    if (!(await this.has('schema_migrations'))) return [];
    const reader = await this.connection.runAndReadAll(
      `SELECT version, name, checksum, status, CAST(applied_at AS VARCHAR) AS applied_at, duration_ms,
              applied_by, run_id, job_id, error
         FROM schema_migrations ORDER BY applied_at, rowid`,
    );
    return reader.getRowObjectsJS().map((r) => ({
      version: Number(r.version),
      name: String(r.name),
      checksum: String(r.checksum),
      status: String(r.status) as LedgerStatus,
      appliedAt: fromDbTimestamp(r.applied_at),
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      appliedBy: (r.applied_by as string | null) ?? null,
      runId: (r.run_id as string | null) ?? null,
      jobId: (r.job_id as string | null) ?? null,
      error: (r.error as string | null) ?? null,
    }));
  }

  /** Rows of the old application's schema_version table, or null when the table is absent. */
  async readLegacyVersions(): Promise<LegacyRow[] | null> {
    if (!(await this.has('schema_version'))) return null;
    const reader = await this.connection.runAndReadAll(
      'SELECT version, CAST(applied_at AS VARCHAR) AS applied_at FROM schema_version ORDER BY version',
    );
    return reader.getRowObjectsJS().map((r) => ({
      version: Number(r.version),
      appliedAt: r.applied_at === null ? null : fromDbTimestamp(r.applied_at),
    }));
  }

  async write(e: LedgerWrite): Promise<void> {
    const values: DuckDBValue[] = [
      e.version,
      e.name,
      e.checksum,
      e.status,
      toDbTimestamp(e.appliedAt),
      e.durationMs,
      e.appliedBy,
      e.runId,
      e.jobId,
      e.error,
    ];
    // one prepared INSERT per Ledger: a run writes a row per migration, and parsing and
    // planning the statement each time cost more than the row itself
    this.#insert ??= this.connection.prepare(
      `INSERT INTO schema_migrations (version, name, checksum, status, applied_at, duration_ms, applied_by, run_id, job_id, error)
       VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?)`,
    );
    const insert = await this.#insert.catch((err: unknown) => {
      this.#insert = undefined;
      throw err;
    });
    // bind and run as one step: a second write must not rebind while the first one runs
    const write = this.#lastWrite.then(async () => {
      insert.bind(values);
      await insert.run();
    });
    this.#lastWrite = write.catch(() => undefined);
    await write;
  }

  /**
   * Records versions applied before duckmig (an old schema_version, another tool's table)
   * as 'adopted', all in one transaction, then checkpoints so the adoption is in the file.
   */
  async adopt(rows: { version: number; name: string; checksum: string; appliedAt: string }[], appliedBy: string): Promise<void> {
    if (rows.length === 0) return;
    await this.connection.run('BEGIN TRANSACTION');
    try {
      for (const r of rows) {
        await this.write({ ...r, status: 'adopted', durationMs: null, appliedBy, runId: null, jobId: null, error: null });
      }
      await this.connection.run('COMMIT');
    } catch (err) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    await this.connection.run('CHECKPOINT');
  }

  /**
   * Mirrors an applied version into schema_version inside the migration's transaction when
   * old builds would act on it. NOT EXISTS rather than ON CONFLICT DO NOTHING: same rows, but
   * DuckDB 1.5's ON CONFLICT path cost ~3.5 ms per migration and slowed the COMMIT after it.
   */
  async mirrorLegacyVersion(version: number): Promise<void> {
    if (version > OLD_BUILDS_LAST_VERSION) return;
    await this.connection.run('INSERT INTO schema_version (version) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM schema_version WHERE version = $1)', [version]);
  }

  /**
   * Keeps schema_version truthful for old application builds that read MAX(version): every
   * version the ledger shows applied is in it (one statement, its own transaction). Runs when
   * a run ends and when a crashed run is recorded. Timestamp versions are left out: they mean
   * nothing to old builds and do not fit the old INTEGER column.
   */
  async syncLegacyVersions(): Promise<void> {
    // a version's latest applied/undone row decides: an undone version stays out
    await this.connection.run(
      `INSERT INTO schema_version (version)
       SELECT version FROM (
         SELECT version, status, row_number() OVER (PARTITION BY version ORDER BY applied_at DESC, row DESC) AS latest
           FROM (SELECT version, status, applied_at, rowid AS row FROM schema_migrations WHERE status IN ('applied', 'adopted', 'undone')))
        WHERE latest = 1 AND status = 'applied' AND version <= ${LEGACY_MAX_VERSION}
          AND version NOT IN (SELECT version FROM schema_version)`,
    );
  }

  /** An undone version leaves schema_version in the down script's transaction (old builds read MAX(version)). */
  async forgetLegacyVersion(version: number): Promise<void> {
    if (version > LEGACY_MAX_VERSION) return;
    await this.connection.run('DELETE FROM schema_version WHERE version = ?', [version]);
  }




}
