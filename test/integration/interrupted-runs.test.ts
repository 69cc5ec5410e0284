// Runs that do not end normally, as operators meet them: a run cancelled in the middle
// of a long statement, and a worker killed with SIGKILL in the middle of a migration.
// Either way the migration in progress leaves nothing behind (not half-applied), the
// ledger matches the schema, and the job says what happened instead of re-running.
// One system for the file: the cancel, then the kill, on the same pending migration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PREFIX,
  CancelResponse,
  STALLED_FAILED_REASON,
  StatusResponse,
  WORKER_DIED_MESSAGE,
  type JobView,
  type LiveMessage,
} from '../../contract/index.js';
import { LEDGER_SQL, TABLES_SQL, queryFile } from '../support/duckdb-file.js';
import { call, finishedJob, openLive, runUntilFirstStatementDone, type LiveLog } from '../support/live.js';
import { initialSchemaOnly, startSystem, type RunningSystem } from '../support/system.js';

// statement 1 is quick, statement 2 runs for minutes unless interrupted, statement 3 never runs
const SLOW_MIGRATION = `CREATE TABLE marker_before (id INTEGER);
CREATE TABLE slow_result AS SELECT count(*) AS n FROM range(100000000000) t(i) WHERE hash(i) % 7 = 0;
CREATE TABLE marker_after (id INTEGER);
`;

let sys: RunningSystem;
beforeAll(async () => {
  sys = await startSystem({ migrations: { ...initialSchemaOnly(), '002_slow_backfill.sql': SLOW_MIGRATION } });
});
afterAll(async () => {
  await sys?.stop();
});

async function status(): Promise<StatusResponse> {
  return StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
}

/** Enqueues a run and resolves once its slow statement (002, statement 2) is running. */
const runUntilSlowStatement = (live: LiveLog): Promise<string> => runUntilFirstStatementDone(sys.url, sys.tokens.operator, live, 2);

describe('interrupted runs', () => {
  it('cancel mid-statement interrupts it, rolls the migration back, records it as cancelled, and fails the job with the reason', async () => {
    const live = await openLive(sys.url, sys.tokens.viewer);
    try {
      const jobId = await runUntilSlowStatement(live);
      const asked = Date.now();
      const res = await call<CancelResponse>(sys.url, `${ADMIN_PREFIX}/jobs/${jobId}/cancel`, { token: sys.tokens.operator, method: 'POST' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ jobId, outcome: 'cancel-requested', workersNotified: 1 });

      const failed = (await live.next((m) => m.type === 'failed' && m.jobId === jobId)) as Extract<LiveMessage, { type: 'failed' }>;
      expect(Date.now() - asked).toBeLessThan(10_000); // a statement meant to run for minutes
      expect(failed.failedReason).toMatch(/^run cancelled \(cancelled on request/);
      expect(failed).toMatchObject({ errorCode: 'cancelled', result: { runId: jobId, status: 'cancelled' } });

      const job = await finishedJob(sys.url, sys.tokens.viewer, jobId);
      expect(job.state).toBe('failed');
      expect(job.errorCode).toBe('cancelled');
      const result = job.result;
      expect(result?.runId).toBe(jobId);
      expect(result?.status).toBe('cancelled');
      expect(result?.migrations.map((m) => [m.version, m.status])).toEqual([
        [1, 'applied'],
        [2, 'cancelled'],
      ]);
      expect(result?.migrations[1]?.error?.statementIndex).toBe(1);
      expect(job.logs.some((l) => l.startsWith('migration:failed 2 slow_backfill cancelled and rolled back'))).toBe(true);

      const s = await status();
      expect(s.snapshot?.status.currentVersion).toBe(1);
      expect(s.snapshot?.status.pending.map((p) => p.version)).toEqual([2]);
      expect(s.snapshot?.status.ledger.map((e) => [e.version, e.status, e.jobId])).toEqual([
        [1, 'applied', jobId],
        [2, 'cancelled', jobId],
      ]);
      expect(s.snapshot?.runs[0]).toMatchObject({ runId: jobId, jobId, status: 'cancelled' });
    } finally {
      live.close();
    }
  });

  it('a worker killed with SIGKILL mid-migration: on restart the database opens, the migration is absent, the ledger matches, and the job failed visibly instead of re-running', async () => {
    const live = await openLive(sys.url, sys.tokens.viewer);
    let jobId: string;
    try {
      jobId = await runUntilSlowStatement(live);
      await sys.worker.kill('SIGKILL');
      expect(sys.worker.lastExit?.signal).toBe('SIGKILL');

      await sys.worker.restart(); // opens the database again (recovering its WAL if need be)
      const failed = (await live.next((m) => m.type === 'failed' && m.jobId === jobId, 30_000)) as Extract<LiveMessage, { type: 'failed' }>;
      expect(failed.failedReason).toContain(STALLED_FAILED_REASON);
      expect(failed.failedReason).toContain(WORKER_DIED_MESSAGE);
      expect(failed).toMatchObject({ errorCode: 'crashed', result: null });
      // never started again: no second run:start for this job after the kill
      const starts = live.received.filter((m) => m.type === 'progress' && m.jobId === jobId && m.progress.event.type === 'run:start');
      expect(starts).toHaveLength(1);
    } finally {
      live.close();
    }

    // the restarted worker explains the failure on the job's log right after BullMQ fails it
    let job: JobView;
    for (let attempt = 0; ; attempt++) {
      job = (await call<JobView>(sys.url, `${ADMIN_PREFIX}/jobs/${jobId}`, { token: sys.tokens.viewer })).body;
      if (job.logs.includes(WORKER_DIED_MESSAGE) || attempt === 50) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job.state).toBe('failed');
    expect(job.logs).toContain(WORKER_DIED_MESSAGE);
    expect(job.failedReason).toContain(WORKER_DIED_MESSAGE);
    expect(job).toMatchObject({ errorCode: 'crashed', result: null });

    // what the restarted worker published: 002 still pending, nothing recorded for the killed attempt
    const s = await status();
    expect(s.worker.online).toBe(true);
    expect(s.snapshot?.worker.pid).toBe(sys.worker.pid);
    expect(s.snapshot?.status.currentVersion).toBe(1);
    expect(s.snapshot?.status.pending.map((p) => p.version)).toEqual([2]);
    expect(s.snapshot?.status.ledger.filter((e) => e.jobId === jobId)).toEqual([]);

    // and the file: the killed migration's first statement is not there either (not half-applied)
    await sys.worker.kill('SIGTERM');
    expect(sys.worker.lastExit?.code).toBe(0);
    const [tables, ledger] = await queryFile(sys.dbPath, TABLES_SQL, LEDGER_SQL);
    const names = tables!.map((t) => String(t.table_name));
    expect(names).toContain('projects');
    expect(names).not.toContain('marker_before');
    expect(names).not.toContain('slow_result');
    expect(ledger!.map((r) => [r.version, r.status])).toEqual([
      [1, 'applied'],
      [2, 'cancelled'],
    ]);
  });
});
