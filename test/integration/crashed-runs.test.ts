// Runs whose worker died leave a truthful row in the run history: a worker killed with
// SIGKILL in the middle of a migration is found at the next start, and its run is written
// to schema_migration_runs as "crashed", with the job, who asked, why, and what it had
// committed, so the history no longer silently lacks it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, HistoryResponse, StatusResponse } from '../../contract/index.js';
import { queryFile } from '../support/duckdb-file.js';
import { call, openLive, runUntilFirstStatementDone } from '../support/live.js';
import { initialSchemaOnly, startSystem, type RunningSystem } from '../support/system.js';

// statement 1 is quick, statement 2 runs for minutes unless the process dies
const SLOW_MIGRATION = `CREATE TABLE marker_before (id INTEGER);
CREATE TABLE slow_result AS SELECT count(*) AS n FROM range(100000000000) t(i) WHERE hash(i) % 7 = 0;
`;

let sys: RunningSystem;
beforeAll(async () => {
  sys = await startSystem({ migrations: { ...initialSchemaOnly(), '002_slow_backfill.sql': SLOW_MIGRATION } });
});
afterAll(async () => {
  await sys?.stop();
});

describe('crashed runs', () => {
  it('a run whose worker was killed mid-migration is recorded as crashed at the next start: job, who, why, what it committed', async () => {
    const live = await openLive(sys.url, sys.tokens.viewer);
    let jobId: string;
    try {
      jobId = await runUntilFirstStatementDone(sys.url, sys.tokens.operator, live, 2, { reason: 'release 7: backfill' });
    } finally {
      live.close();
    }
    await sys.worker.kill('SIGKILL');
    expect(sys.worker.lastExit?.signal).toBe('SIGKILL');
    await sys.worker.restart();

    const status = StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
    const run = status.snapshot?.runs.find((r) => r.jobId === jobId);
    expect(run).toMatchObject({
      jobId,
      mode: 'apply',
      status: 'crashed',
      requestedBy: 'operator',
      reason: 'release 7: backfill',
      fromVersion: 0,
      toVersion: 1,
    });
    expect(run!.error).toMatch(/did not finish.*(killed|crashed)/);
    expect(run!.migrations.map((m) => [m.version, m.status])).toEqual([[1, 'applied']]);
    expect(sys.worker.output()).toContain('"event":"run:crashed"');

    const history = HistoryResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/history`, { token: sys.tokens.viewer })).body);
    expect(history.runs.filter((r) => r.jobId === jobId).map((r) => r.status)).toEqual(['crashed']);

    // in the file itself, once: the row survives the worker and is not recorded twice
    await sys.worker.restart();
    await sys.worker.kill('SIGTERM');
    const [rows] = await queryFile(sys.dbPath, `SELECT job_id, status, requested_by FROM schema_migration_runs WHERE job_id = '${jobId}'`);
    expect(rows).toEqual([{ job_id: jobId, status: 'crashed', requested_by: 'operator' }]);
    // three worker starts and a kill: on a busy CI machine each start takes seconds
  }, 90_000);
});
