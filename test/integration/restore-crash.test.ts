// A worker killed (SIGKILL, for real) in the middle of a restore job, after the restored file
// was swapped in and before it was reopened: the restarted worker rolls the swap back, opens
// the database with every applied migration, and is ready for jobs. Real API, worker, Redis.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, StatusResponse, type EnqueuedResponse } from '../../contract/index.js';
import { call, finishedJob } from '../support/live.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
beforeAll(async () => {
  // test-only crash injection (honoured with NODE_ENV=test): the worker kills itself right
  // after the swap step of any restore
  sys = await startSystem({ env: { NODE_ENV: 'test', DUCKMIG_TEST_RESTORE_SIGNAL: 'swapped:SIGKILL' } });
});
afterAll(() => sys?.stop());

async function status(): Promise<StatusResponse> {
  const res = await call<StatusResponse>(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer });
  expect(res.status).toBe(200);
  return StatusResponse.parse(res.body);
}

describe('a worker killed in the middle of a restore', () => {
  it('restarts with the database it had: the interrupted swap is rolled back, nothing applied is lost', async () => {
    const run = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { reason: 'deploy' } });
    expect(run.status).toBe(202);
    expect((await finishedJob(sys.url, sys.tokens.operator, run.body.jobId)).state).toBe('completed');
    const applied = await status();
    expect(applied.snapshot?.status.currentVersion).toBe(4);
    const point = applied.snapshot!.restorePoints[0]!; // taken before the run, at version 0
    expect(point.version).toBe(0);

    const restore = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/restore`, { token: sys.tokens.admin, body: { restorePointId: point.id } });
    expect(restore.status).toBe(202);
    const exit = await sys.worker.exited();
    expect(exit.signal).toBe('SIGKILL');
    expect(existsSync(`${sys.dbPath}.restore-journal`)).toBe(true);

    await sys.worker.restart();
    expect(sys.worker.output()).toContain('"event":"restore:rolled-back"');
    expect(existsSync(`${sys.dbPath}.restore-journal`)).toBe(false);
    expect(existsSync(`${sys.dbPath}.before-restore`)).toBe(false);
    const after = await status();
    expect(after.snapshot?.status.currentVersion).toBe(4);
    expect(after.snapshot?.status.pending).toEqual([]);
    // the state the restore would have replaced was kept first, so it is listed too
    expect(after.snapshot!.restorePoints.map((p) => p.version)).toEqual([4, 0]);
  }, 180_000);
});
