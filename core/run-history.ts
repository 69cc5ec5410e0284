// The run history inside the database, `schema_migration_runs`: one row per run, with who,
// why and the full result. A run's row is written as 'running' before it applies anything,
// so a run whose process died is found and recorded as 'crashed' by the next one to open
// the file. Reached through a Ledger (ledger.runs), whose table cache it shares.
import type { DuckDBValue } from '@duckdb/node-api';
import type { RunSummary } from '../contract/index.js';
import { fromDbTimestamp, toDbTimestamp } from './db-timestamp.js';
import type { Ledger } from './ledger.js';
import { FENCE_COLUMNS, type WriteFence } from './write-fence.js';

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
/** The row's values in column order (run_id first), as insertRun and the UPDATE of a mark bind them. */
function runRow(run: RunSummary): [RunSummary, DuckDBValue[]] {
  return [
    run,
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
  ];
}
async function insertRun(connection: Ledger['connection'], run: RunSummary): Promise<void> {
  await connection.run(
    `INSERT INTO schema_migration_runs (run_id, job_id, mode, status, requested_by, reason, started_at, finished_at,
       duration_ms, from_version, to_version, error, migrations, restore_point)
     VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?)`,
    runRow(run)[1],
  );
}
export class RunHistory {
  readonly #ledger: Ledger;

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  /**
   * Marks a run as started (status 'running'); its final row replaces the mark (writeRun).
   * `fence`: the run's fence claim rides on the mark (a run history with the fence columns,
   * write-fence.ts); the final row leaves those columns as they are.
   */
  async start(start: RunStart, fence?: Pick<WriteFence, 'shard' | 'token'>): Promise<void> {
    const values: DuckDBValue[] = [start.runId, start.jobId, start.mode, start.requestedBy, start.reason, toDbTimestamp(start.startedAt), toDbTimestamp(start.startedAt), start.fromVersion, start.fromVersion];
    await this.#ledger.connection.run(
      `INSERT INTO schema_migration_runs (run_id, job_id, mode, status, requested_by, reason, started_at, finished_at,
         duration_ms, from_version, to_version, error, migrations, restore_point${fence ? `, ${FENCE_COLUMNS.join(', ')}` : ''})
       VALUES (?, ?, ?, 'running', ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), 0, ?, ?, NULL, '[]', NULL${fence ? ', ?, ?' : ''})`,
      fence ? [...values, fence.shard, fence.token] : values,
    );
  }
  /**
   * Runs still marked 'running' belong to a process that died (killed, crashed, out of
   * disk) or a run that ended without a result: each becomes 'crashed', with what the
   * ledger shows that run committed. Call it only while no run is in progress on the file,
   * but for the `ongoing` one, whose mark is already written.
   */
  async recordCrashed(why: string, ongoing?: string): Promise<RunSummary[]> {
    if (!(await this.#ledger.has('schema_migration_runs'))) return [];
    const reader = await this.#ledger.connection.runAndReadAll("SELECT run_id FROM schema_migration_runs WHERE status = 'running'");
    const runIds = reader.getRows().map((r) => String(r[0])).filter((id) => id !== ongoing);
    if (runIds.length === 0) return [];
    const ledger = await this.#ledger.read();
    const crashed: RunSummary[] = [];
    for (const runId of runIds) {
      const run = (await this.list(1, runId))[0];
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
      await this.write(summary);
      crashed.push(summary);
    }
    await this.#ledger.syncLegacyVersions();
    return crashed;
  }
  /**
   * The run's final row: its 'running' mark becomes it (one UPDATE, atomic on its own), or
   * it is inserted when the run left no mark (refused before applying anything, restored history).
   */
  async write(run: RunSummary): Promise<void> {
    const [row, params] = runRow(run);
    const marked = await this.#ledger.connection.run(
      `UPDATE schema_migration_runs SET job_id = ?, mode = ?, status = ?, requested_by = ?, reason = ?, started_at = CAST(? AS TIMESTAMP),
         finished_at = CAST(? AS TIMESTAMP), duration_ms = ?, from_version = ?, to_version = ?, error = ?, migrations = ?, restore_point = ?
       WHERE run_id = ? AND status = 'running'`,
      [...params.slice(1), row.runId],
    );
    if (marked.rowsChanged === 0) await insertRun(this.#ledger.connection, run);
  }
  /** Finished runs, most recent first (or the one run with `runId`, even while it is 'running'). */
  async list(limit = 100, runId?: string): Promise<RunSummary[]> {
    if (!(await this.#ledger.has('schema_migration_runs'))) return [];
    const reader = await this.#ledger.connection.runAndReadAll(
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
