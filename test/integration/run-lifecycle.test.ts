// A run through the whole service, as users drive it: real API and worker processes,
// real Redis, a real DuckDB file. Dry-run first (nothing changes), then a run whose
// progress streams in order and whose outcome the status shows, then a burst of
// concurrent run requests that makes exactly one job. One system for the file, in order.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, JobView, StatusResponse, type EnqueuedResponse, type JobProgress, type LiveMessage } from '../../contract/index.js';
import { LEDGER_SQL, TABLES_SQL, queryFile } from '../support/duckdb-file.js';
import { call, finishedJob, openLive } from '../support/live.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
beforeAll(async () => {
  sys = await startSystem({ extraOperatorTokens: 5 });
});
afterAll(() => sys?.stop());

async function status(): Promise<StatusResponse> {
  const res = await call<StatusResponse>(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer });
  expect(res.status).toBe(200);
  return StatusResponse.parse(res.body);
}

const LEDGER_TABLES = ['schema_migration_runs', 'schema_migrations', 'schema_version'];

describe('a migration run through the queue', () => {
  it('a rehearsed dry-run reports the plan and schema diff and leaves the database unchanged (ledger and schema)', async () => {
    const before = await status();
    expect(before.snapshot?.status.currentVersion).toBe(0);
    expect(before.snapshot?.status.pending).toHaveLength(4);

    const res = await call(sys.url, `${ADMIN_PREFIX}/dry-run?wait=60`, { token: sys.tokens.operator, body: { rehearse: true } });
    expect(res.status).toBe(200);
    const job = JobView.parse(res.body);
    expect(job.state).toBe('completed');
    expect(job.result?.mode).toBe('rehearse');
    expect(job.result?.status).toBe('success');
    expect(job.result?.migrations.map((m) => m.status)).toEqual(['rehearsed', 'rehearsed', 'rehearsed', 'rehearsed']);
    expect(job.result?.schemaDiff?.some((c) => c.kind === 'table' && c.change === 'added')).toBe(true);

    const after = await status();
    expect(after.snapshot?.status.ledger).toEqual([]);
    expect(after.snapshot?.status.pending).toHaveLength(4);

    // the file itself: stop the worker (it closes DuckDB cleanly), read it directly, start it again
    await sys.worker.kill('SIGTERM');
    expect(sys.worker.lastExit?.code).toBe(0);
    const [tables, ledger] = await queryFile(sys.dbPath, TABLES_SQL, LEDGER_SQL);
    expect(tables!.map((t) => t.table_name)).toEqual(LEDGER_TABLES);
    expect(ledger).toEqual([]);
    await sys.worker.restart();
  });

  it('streams progress over SSE in order (run:start … run:done), completes, and the status shows 4 applied', async () => {
    const live = await openLive(sys.url, sys.tokens.viewer);
    try {
      const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { reason: 'integration test' } });
      expect(res.status).toBe(202);
      const { jobId } = res.body;

      const done = (await live.next((m) => m.type === 'completed' && m.jobId === jobId)) as Extract<LiveMessage, { type: 'completed' }>;
      expect(done.result?.status).toBe('success');
      expect(done.result?.runId).toBe(jobId);
      expect(done.errorCode).toBeNull();

      const progress: JobProgress[] = live.received.flatMap((m) => (m.type === 'progress' && m.jobId === jobId ? [m.progress] : []));
      const seqs = progress.map((p) => p.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(progress[0]?.event.type).toBe('run:start');
      expect(progress.at(-1)?.event.type).toBe('run:done');
      expect(progress.at(-1)?.percent).toBe(100);
      const percents = progress.map((p) => p.percent);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(progress.filter((p) => p.event.type === 'migration:start').map((p) => (p.event as { version: number }).version)).toEqual([1, 2, 3, 4]);
      expect(progress.filter((p) => p.event.type === 'migration:done')).toHaveLength(4);

      const s = await status();
      expect(s.snapshot?.status.currentVersion).toBe(4);
      expect(s.snapshot?.status.applied.map((e) => [e.version, e.status, e.appliedBy, e.jobId])).toEqual(
        [1, 2, 3, 4].map((v) => [v, 'applied', 'operator', jobId]),
      );
      expect(s.snapshot?.status.pending).toEqual([]);
      expect(s.snapshot?.runs[0]).toMatchObject({ runId: jobId, jobId, status: 'success', requestedBy: 'operator', reason: 'integration test' });
      expect(s.worker.online).toBe(true);
      expect(s.activeJob).toBeNull();

      const job = await call<JobView>(sys.url, `${ADMIN_PREFIX}/jobs/${jobId}`, { token: sys.tokens.viewer });
      expect(job.body.state).toBe('completed');
      expect(job.body.logs.some((l) => l.startsWith('run:done apply success'))).toBe(true);
    } finally {
      live.close();
    }
  });

  it('50 concurrent run requests make exactly one job, and each migration is applied exactly once', async () => {
    // the job must outlive the burst of requests (a request after it finishes may start a new one)
    writeFileSync(
      join(sys.migrationsDir, '005_add_tags.sql'),
      'CREATE TABLE IF NOT EXISTS tags (id INTEGER, name VARCHAR);\nCREATE TABLE tag_stats AS SELECT count(*) AS n FROM range(200000000) t(i) WHERE hash(i) % 7 = 0;\n',
    );
    writeFileSync(join(sys.migrationsDir, '006_add_tag_index.sql'), 'CREATE INDEX IF NOT EXISTS tags_name ON tags (name);\n');
    // five tokens, ten requests each: under the per-token rate limit, so every request meets the queue
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call<EnqueuedResponse & { error?: { code: string; details?: { jobId?: string } } }>(sys.url, `${ADMIN_PREFIX}/run`, {
          token: sys.moreOperatorTokens[i % 5]!,
          body: {},
        }),
      ),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(49);
    const jobId = accepted[0]!.body.jobId;
    expect(new Set(refused.map((a) => a.body.error?.details?.jobId))).toEqual(new Set([jobId]));

    const job = await finishedJob(sys.url, sys.tokens.viewer, jobId);
    expect(job.state).toBe('completed');
    expect(job.result?.migrations.map((m) => [m.version, m.status])).toEqual([
      [5, 'applied'],
      [6, 'applied'],
    ]);

    const ledger = (await status()).snapshot!.status.ledger;
    const appliedPerVersion = new Map<number, number>();
    for (const e of ledger) if (e.status === 'applied') appliedPerVersion.set(e.version, (appliedPerVersion.get(e.version) ?? 0) + 1);
    expect([...appliedPerVersion]).toEqual([1, 2, 3, 4, 5, 6].map((v) => [v, 1]));

    // and in the file itself, once the worker has let go of it
    await sys.worker.kill('SIGTERM');
    expect(sys.worker.lastExit?.code).toBe(0);
    const [rows] = await queryFile(sys.dbPath, "SELECT version, count(*) AS n FROM schema_migrations WHERE status = 'applied' GROUP BY version ORDER BY version");
    expect(rows!.map((r) => [Number(r.version), Number(r.n)])).toEqual([1, 2, 3, 4, 5, 6].map((v) => [v, 1]));
  });
});
