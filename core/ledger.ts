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
import { FENCE_COLUMNS, FENCE_TABLE, type FenceStore } from './write-fence.js';

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
/** duckmig's own tables: never part of the schema people see (the fence table only in files fenced before the run history carried the token). */
export const LEDGER_TABLES = [...CORE_TABLES, APPROVALS_TABLE, FENCE_TABLE] as const;

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

const CORE_DDL: Record<(typeof CORE_TABLES)[number], string> = { schema_migrations: LEDGER_DDL_WIDE, schema_migration_runs: RUNS_DDL_WIDE, schema_version: LEGACY_DDL };
/** The run history of a file a fenced run creates: each fenced run's row carries its token (write-fence.ts). */
const RUNS_DDL_FENCED = RUNS_DDL_WIDE.replace(/\n\)$/, `,\n    ${FENCE_COLUMNS[0]} VARCHAR,\n    ${FENCE_COLUMNS[1]} BIGINT\n)`);

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
  /** tables the last catalog read did not find (null: not read since refresh()) */
  #absent: Set<string> | null = null;
  /** the columns of another tool's schema_migrations, when the last catalog read found one */
  #foreign: string[] | null = null;
  /** version columns the last catalog read found still INTEGER (null: not read) */
  #narrow: (typeof VERSION_COLUMNS)[number][] | null = null;
  /** whether the run history has the fence columns (null: no catalog read found it) */
  #runsFenced: boolean | null = null;
  /** whether the run history's DDL that missingTables() last handed out has them */
  #runsCreatedFenced = false;
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

  /**
   * Whether a ledger table exists. Tables once seen stay known; what one catalog read did not
   * find is remembered until refresh() (the runner calls it once per operation) or until the
   * table is created here, so one operation reads the catalog at most once.
   */
  async has(table: (typeof LEDGER_TABLES)[number]): Promise<boolean> {
    if (table === 'schema_migrations' && this.#foreign) throw new ForeignLedgerError(this.#foreign);
    if (this.#known.has(table)) return true;
    if (this.#absent?.has(table)) return false;
    await this.#inspect();
    if (table === 'schema_migrations' && this.#foreign) throw new ForeignLedgerError(this.#foreign);
    return this.#known.has(table);
  }

  /** Forgets which tables were missing at the last catalog read (they may exist now). */
  refresh(): void {
    this.#absent = null;
    this.#foreign = null;
  }

  /** A table this connection just created (DDL that committed): known from now on. */
  created(...tables: (typeof LEDGER_TABLES)[number][]): void {
    if (tables.includes('schema_migration_runs')) this.#runsFenced = this.#runsCreatedFenced;
    for (const t of tables) {
      this.#known.add(t);
      this.#absent?.delete(t);
    }
  }

  /**
   * One catalog read for every ledger table: which exist, whether schema_migrations is
   * duckmig's (else ForeignLedgerError from has()), which version columns are still INTEGER.
   */
  async #inspect(): Promise<void> {
    const names = LEDGER_TABLES.map((t) => `'${t}'`).join(', ');
    const found = await this.connection.runAndReadAll(
      `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name IN (${names})`,
    );
    const present = new Set(found.getRows().map(([t]) => String(t)));
    // the columns only where a versioned table exists (duckdb_columns() costs far more than duckdb_tables())
    const versioned = (['schema_migrations', 'schema_migration_runs'] as const).filter((t) => present.has(t));
    const tables = new Map<string, Map<string, string>>();
    if (versioned.length > 0) {
      const reader = await this.connection.runAndReadAll(
        `SELECT table_name, column_name, data_type FROM duckdb_columns()
          WHERE database_name = current_database() AND schema_name = 'main' AND table_name IN (${versioned.map((t) => `'${t}'`).join(', ')})`,
      );
      for (const [table, column, type] of reader.getRows()) {
        const columns = tables.get(String(table)) ?? new Map<string, string>();
        columns.set(String(column), String(type));
        tables.set(String(table), columns);
      }
    }
    const own = tables.get('schema_migrations');
    this.#foreign = own && !(own.has('checksum') && own.has('status')) ? [...own.keys()] : null;
    for (const t of LEDGER_TABLES) if (present.has(t) && !(t === 'schema_migrations' && this.#foreign)) this.#known.add(t);
    this.#absent = new Set(LEDGER_TABLES.filter((t) => !present.has(t)));
    this.#narrow = VERSION_COLUMNS.filter(([t, column]) => tables.get(t)?.get(column) === 'INTEGER');
    const runs = tables.get('schema_migration_runs');
    this.#runsFenced = runs ? runs.has(FENCE_COLUMNS[1]) : null;
  }

  /**
   * Where a fenced run keeps its token in this file (write-fence.ts): on its run-history row
   * when the run history has the fence columns or does not exist yet (the fenced run creates
   * it with them), else in the fence table.
   */
  async fenceStore(): Promise<FenceStore> {
    if (!(await this.has('schema_migration_runs'))) return 'runs';
    if (this.#runsFenced === null) await this.#inspect();
    return this.#runsFenced ? 'runs' : 'table';
  }

  /** ALTER … TYPE BIGINT for version columns still INTEGER (no index on these tables, so DuckDB allows it). */
  async #widenVersionColumns(): Promise<void> {
    if (this.#widened) return;
    let narrow = this.#narrow;
    if (narrow === null) {
      narrow = [];
      for (const table of new Set(VERSION_COLUMNS.map(([t]) => t))) {
        const types = await columnTypes(this.connection, table);
        narrow.push(...VERSION_COLUMNS.filter(([t, column]) => t === table && types.get(column) === 'INTEGER'));
      }
    }
    for (const [table, column] of narrow) await this.connection.run(`ALTER TABLE ${table} ALTER COLUMN ${column} TYPE BIGINT`);
    // DDL goes to the data file at once rather than waiting in the WAL
    if (narrow.length > 0) await this.connection.run('CHECKPOINT');
    this.#narrow = [];
    this.#widened = true;
  }

  /** Creates whatever ledger table is missing (refusing another tool's schema_migrations) and widens old version columns. */
  async ensure(): Promise<void> {
    const missing = await this.missingTables();
    for (const ddl of missing.ddl) await this.connection.run(ddl);
    this.created(...missing.tables);
  }

  /**
   * Widens old version columns (ALTER and CHECKPOINT: never inside a transaction), then the
   * core tables still missing and their DDL, for the caller to run in its own transaction and
   * report with created() once it committed. Refuses another tool's schema_migrations.
   * `legacy: false` (a runner that mirrors nothing into schema_version, RunnerOptions.legacyVersions
   * 'adopted', on a file without one) leaves schema_version out: an empty table with a
   * primary key that every checkpoint would write for nothing. `fenced`: a run history created
   * now gets the fence columns.
   */
  async missingTables(options: { legacy?: boolean; fenced?: boolean } = {}): Promise<{ tables: (typeof CORE_TABLES)[number][]; ddl: string[] }> {
    await this.has('schema_migrations'); // refuses another tool's table
    const wanted = (options.legacy ?? true) ? CORE_TABLES : CORE_TABLES.filter((t) => t !== 'schema_version');
    const tables: (typeof CORE_TABLES)[number][] = [];
    for (const t of wanted) if (!(await this.has(t))) tables.push(t);
    // a versioned table created now is BIGINT from the start: nothing to read back and widen
    await this.#widenVersionColumns();
    this.#runsCreatedFenced = options.fenced ?? false;
    return { tables, ddl: tables.map((t) => (t === 'schema_migration_runs' && options.fenced ? RUNS_DDL_FENCED : CORE_DDL[t])) };
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
