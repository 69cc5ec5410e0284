// The worker when DuckDB invalidates its database instance in the middle of a job (an
// INTERNAL error at COMMIT): the job fails with DuckDB's message, the failure is in the
// ledger and the run history of the reopened file, the worker process stays up (no
// restart, no crash loop) and serves the next job. Real API, worker and Redis.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, StatusResponse, type EnqueuedResponse } from '../../contract/index.js';
import { call, finishedJob } from '../support/live.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let dir: string;
let sys: RunningSystem;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duckmig-invalidated-'));
  writeFileSync(join(dir, '001_struct_table.sql'), 'CREATE TABLE t (S STRUCT(i INTEGER, j INTEGER));\nINSERT INTO t VALUES (ROW(1, 1));\n');
  // DuckDB 1.5.6 accepts the statement and then fails the COMMIT with an INTERNAL error
  // that invalidates the instance (core/commit-failures.test.ts shows it)
  writeFileSync(join(dir, '002_rename_field.sql'), 'ALTER TABLE t RENAME s.i TO v1;\n');
  sys = await startSystem({ migrationsDir: dir });
});
afterAll(async () => {
  await sys?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function status(): Promise<StatusResponse> {
  const res = await call<StatusResponse>(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer });
  expect(res.status).toBe(200);
  return StatusResponse.parse(res.body);
}

async function runJob() {
  const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { reason: 'invalidation test' } });
  expect(res.status).toBe(202);
  return finishedJob(sys.url, sys.tokens.viewer, res.body.jobId);
}

describe('a job during which DuckDB invalidates the database', () => {
  it('fails the job with DuckDB\'s message, records it, and the same worker process serves the next job', async () => {
    const pid = sys.worker.pid;
    const job = await runJob();
    expect(job.state).toBe('failed');
    expect(job.failedReason).toMatch(/002_rename_field\.sql: INTERNAL Error/);
    expect(sys.worker.output()).toContain('"event":"database:reopened"');

    const after = await status();
    expect(after.snapshot?.status.currentVersion).toBe(1);
    expect(after.snapshot?.status.ledger.map((e) => [e.version, e.status, e.jobId])).toEqual([
      [1, 'applied', job.id],
      [2, 'failed', job.id],
    ]);
    const history = await call<{ runs: { jobId: string | null; status: string }[] }>(sys.url, `${ADMIN_PREFIX}/history`, { token: sys.tokens.viewer });
    expect(history.body.runs.map((r) => [r.jobId, r.status])).toContainEqual([job.id, 'failed']);

    // the same process, still serving: a corrected 002 is applied by the next job
    expect(sys.worker.pid).toBe(pid);
    expect(sys.worker.lastExit).toBeNull();
    writeFileSync(join(dir, '002_rename_field.sql'), 'ALTER TABLE t RENAME COLUMN S TO s2;\n');
    const next = await runJob();
    expect(next.state).toBe('completed');
    expect(next.result?.migrations.map((m) => [m.version, m.status])).toEqual([[2, 'applied']]);
    expect((await status()).snapshot?.status.currentVersion).toBe(2);
    expect(sys.worker.pid).toBe(pid);
  }, 120_000); // two jobs through the queue on a busy 2-core machine
});
