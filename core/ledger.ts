// The migration ledger inside the database: `schema_migrations` (one row per attempt:
// applied, adopted, failed or cancelled), `schema_migration_runs` (one row per run, with
// who, why and the full result; a run's row is written as 'running' before it applies
// anything, so a run whose process died is found and recorded as 'crashed' by the next
// one to open the file), and the legacy `schema_version` table that old
// application builds still read. All reads tolerate a database that has none of them yet.
// Versions are BIGINT (14-digit timestamps): tables created as INTEGER are widened in place.
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { LedgerEntry, LedgerStatus, RunSummary } from '../contract/index.js';

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

export const LEDGER_TABLES = ['schema_migrations', 'schema_migration_runs', 'schema_version'] as const;

/** Version columns that hold BIGINT versions; older databases have them as INTEGER. */
const VERSION_COLUMNS = [
  ['schema_migrations', 'version'],
  ['schema_migration_runs', 'from_version'],
  ['schema_migration_runs', 'to_version'],
] as const;

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

/** ISO-8601 UTC string → DuckDB TIMESTAMP literal text (naive UTC). */
export function toDbTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, '');
}

/** DuckDB TIMESTAMP rendered as VARCHAR → ISO-8601 UTC string. */
export function fromDbTimestamp(value: unknown): string {
  const text = String(value);
  const [date, time = '00:00:00'] = text.split(' ');
  return new Date(`${date}T${time}Z`).toISOString();
}







/** One entry per version that is applied (or adopted), in version order. */
export function effectiveApplied(ledger: LedgerEntry[]): LedgerEntry[] {
  const byVersion = new Map<number, LedgerEntry>();
  for (const e of ledger) if (e.status === 'applied' || e.status === 'adopted') byVersion.set(e.version, e);
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



/** What a run's 'running' row says before it applies anything. */
export interface RunStart {
  runId: string;
  jobId: string | null;
  mode: RunSummary['mode'];
  requestedBy: string | null;
  reason: string | null;
  startedAt: string;
  fromVersion: number;
}






/** The restore_point column: the run's restore point, with a restore's undo point inside it. */
function restorePointsOf(column: unknown): Pick<RunSummary, 'restorePoint' | 'undoPoint'> {
  if (column === null || column === undefined) return { restorePoint: null };
  const { undoPoint, ...restorePoint } = JSON.parse(String(column)) as NonNullable<RunSummary['restorePoint']> & Pick<RunSummary, 'undoPoint'>;
  return undoPoint ? { restorePoint, undoPoint } : { restorePoint };
}

async function columnTypes(connection: DuckDBConnection, table: string): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(
    "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?",
    [table],
  );
  return new Map(reader.getRows().map(([name, type]) => [String(name), String(type)]));
}

async function insertRun(connection: DuckDBConnection, run: RunSummary): Promise<void> {
  await connection.run(
    `INSERT INTO schema_migration_runs (run_id, job_id, mode, status, requested_by, reason, started_at, finished_at,
       duration_ms, from_version, to_version, error, migrations, restore_point)
     VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?)`,
    [
      run.runId,
      run.jobId,
      run.mode,
      run.status,
      run.requestedBy,
      run.reason,
      toDbTimestamp(run.startedAt),
      toDbTimestamp(run.finishedAt),
      run.durationMs,
      run.fromVersion,
      run.toVersion,
      run.error,
      JSON.stringify(run.migrations),
      // a restore's undo point rides along in the same column (one JSON object)
      run.restorePoint ? JSON.stringify(run.undoPoint ? { ...run.restorePoint, undoPoint: run.undoPoint } : run.restorePoint) : null,
    ],
  );
}

/**
 * The ledger of one database connection: reads and writes of the three ledger tables. The
 * runner, restore and imports all go through it. It remembers which ledger tables exist
 * (once seen they stay), saving a catalog query on every status and run; a reopened
 * connection gets a new Ledger.
 */
export class Ledger {
  readonly #known = new Set<string>();
  #widened = false;

  constructor(readonly connection: DuckDBConnection) {}

  async #tableExists(table: string): Promise<boolean> {
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
    if (!LEDGER_TABLES.every((t) => this.#known.has(t))) {
      if (!this.#known.has('schema_migrations')) await this.#tableExists('schema_migrations'); // refuses another tool's table
      await this.connection.run(LEDGER_DDL);
      await this.connection.run(RUNS_DDL);
      await this.connection.run(LEGACY_DDL);
      for (const t of LEDGER_TABLES) this.#known.add(t);
    }
    await this.#widenVersionColumns();
  }

  async read(): Promise<LedgerEntry[]> {
    if (!(await this.#tableExists('schema_migrations'))) return [];
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
    if (!(await this.#tableExists('schema_version'))) return null;
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
    await this.connection.run(
      `INSERT INTO schema_migrations (version, name, checksum, status, applied_at, duration_ms, applied_by, run_id, job_id, error)
       VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?)`,
      values,
    );
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
    await this.connection.run(
      `INSERT INTO schema_version (version)
       SELECT DISTINCT version FROM schema_migrations
        WHERE status = 'applied' AND version <= ${LEGACY_MAX_VERSION}
          AND version NOT IN (SELECT version FROM schema_version)`,
    );
  }

  /** Marks a run as started (status 'running'); its final row replaces the mark (writeRun). */
  async writeRunStart(start: RunStart): Promise<void> {
    await this.connection.run(
      `INSERT INTO schema_migration_runs (run_id, job_id, mode, status, requested_by, reason, started_at, finished_at,
         duration_ms, from_version, to_version, error, migrations, restore_point)
       VALUES (?, ?, ?, 'running', ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), 0, ?, ?, NULL, '[]', NULL)`,
      [start.runId, start.jobId, start.mode, start.requestedBy, start.reason, toDbTimestamp(start.startedAt), toDbTimestamp(start.startedAt), start.fromVersion, start.fromVersion],
    );
  }

  /**
   * Runs still marked 'running' belong to a process that died (killed, crashed, out of
   * disk) or a run that ended without a result: each becomes 'crashed', with what the
   * ledger shows that run committed. Call it only while no run is in progress on the file.
   */
  async recordCrashedRuns(why: string): Promise<RunSummary[]> {
    if (!(await this.#tableExists('schema_migration_runs'))) return [];
    const reader = await this.connection.runAndReadAll("SELECT run_id FROM schema_migration_runs WHERE status = 'running'");
    const runIds = reader.getRows().map((r) => String(r[0]));
    if (runIds.length === 0) return [];
    const ledger = await this.read();
    const crashed: RunSummary[] = [];
    for (const runId of runIds) {
      const run = (await this.readRuns(1, runId))[0];
      if (!run) continue;
      const attempts = ledger.filter((e) => e.runId === runId);
      const applied = attempts.filter((e) => e.status === 'applied');
      const finishedAt = attempts.reduce((latest, e) => (e.appliedAt > latest ? e.appliedAt : latest), run.startedAt);
      const summary: RunSummary = {
        ...run,
        status: 'crashed',
        finishedAt,
        durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(run.startedAt)),
        toVersion: applied.reduce((v, e) => Math.max(v, e.version), run.fromVersion),
        error: why,
        migrations: attempts.map((e) => ({
          version: e.version,
          name: e.name,
          file: '',
          checksum: e.checksum,
          status: e.status === 'adopted' ? 'applied' : e.status,
          statements: 0,
          ...(e.durationMs !== null && { durationMs: e.durationMs }),
          ...(e.error !== null && { error: { message: e.error } }),
        })),
      };
      await this.writeRun(summary);
      crashed.push(summary);
    }
    await this.syncLegacyVersions();
    return crashed;
  }

  /** The run's final row, replacing its 'running' mark (in one transaction). */
  async writeRun(run: RunSummary): Promise<void> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      await this.connection.run("DELETE FROM schema_migration_runs WHERE run_id = ? AND status = 'running'", [run.runId]);
      await insertRun(this.connection, run);
      await this.connection.run('COMMIT');
    } catch (err) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Finished runs, most recent first (or the one run with `runId`, even while it is 'running'). */
  async readRuns(limit = 100, runId?: string): Promise<RunSummary[]> {
    if (!(await this.#tableExists('schema_migration_runs'))) return [];
    const reader = await this.connection.runAndReadAll(
      `SELECT run_id, job_id, mode, status, requested_by, reason, CAST(started_at AS VARCHAR) AS started_at,
              CAST(finished_at AS VARCHAR) AS finished_at, duration_ms, from_version, to_version, error, migrations, restore_point
         FROM schema_migration_runs WHERE ${runId === undefined ? "status <> 'running'" : 'run_id = ?'} ORDER BY started_at DESC, rowid DESC LIMIT ?`,
      runId === undefined ? [limit] : [runId, limit],
    );
    return reader.getRowObjectsJS().map((r) => ({
      runId: String(r.run_id),
      jobId: (r.job_id as string | null) ?? null,
      mode: String(r.mode) as RunSummary['mode'],
      status: String(r.status) as RunSummary['status'],
      requestedBy: (r.requested_by as string | null) ?? null,
      reason: (r.reason as string | null) ?? null,
      startedAt: fromDbTimestamp(r.started_at),
      finishedAt: fromDbTimestamp(r.finished_at),
      durationMs: Number(r.duration_ms),
      fromVersion: Number(r.from_version),
      toVersion: Number(r.to_version),
      error: (r.error as string | null) ?? null,
      migrations: JSON.parse(String(r.migrations)),
      ...restorePointsOf(r.restore_point),
    }));
  }
}
