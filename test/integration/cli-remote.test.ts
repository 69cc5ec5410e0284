// The CLI's remote mode as a deploy job uses it against a running service: status,
// dry-run, run --wait with progress, exit codes by outcome (0 ok, 1 failed/cancelled,
// 2 usage, 3 API unreachable or token refused), and cancel. One system for the file.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobView, LiveSchema, SchemaDiffResponse, StatusResponse } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { freeLoopbackPort } from '../../cli/managed-redis.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(() => sys?.stop());

const remote = (args: string[], token = sys.tokens.operator) => runCli([...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: token } });

describe('duckmig CLI (remote mode)', () => {
  it('status --json prints the API status with the worker snapshot', async () => {
    const res = await remote(['status', '--json'], sys.tokens.viewer);
    expect(res.code).toBe(0);
    const status = StatusResponse.parse(JSON.parse(res.stdout));
    expect(status.worker.online).toBe(true);
    expect(status.snapshot?.status.pending.map((p) => p.version)).toEqual([1, 2, 3, 4]);
  });

  it('dry-run --rehearse waits for the plan, shows the schema diff, exits 0 and changes nothing', async () => {
    const res = await remote(['dry-run', '--rehearse']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('schema diff');
    expect(res.stdout).toMatch(/job \S+: completed/);
    const after = StatusResponse.parse(JSON.parse((await remote(['status', '--json'])).stdout));
    expect(after.snapshot?.status.currentVersion).toBe(0);
  });

  it('run --wait prints a line per migration and the summary, and exits 0', async () => {
    const res = await remote(['run', '--wait', '--reason', 'deploy 42']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/\[1\/4\] 001_initial_schema/);
    expect(res.stdout).toMatch(/✓ 004_add_upload_settings/);
    expect(res.stdout).toContain('done: version 0 → 4');
    // one id: the job's is the run's, in the history too
    const jobId = /job (\S+): completed/.exec(res.stdout)?.[1];
    const history = StatusResponse.parse(JSON.parse((await remote(['status', '--json'])).stdout)).snapshot?.runs[0];
    expect(history).toMatchObject({ runId: jobId, jobId, status: 'success' });
    const text = await remote(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/version\s+4 of 4, up to date/);
  });

  it('schema shows the live schema and, with --diff, what changed between two applied versions (a viewer may)', async () => {
    const live = await remote(['schema', '--json'], sys.tokens.viewer);
    expect(live.code).toBe(0);
    const schema = LiveSchema.parse(JSON.parse(live.stdout));
    expect(schema.version).toBe(4);
    expect(schema.tables.map((t) => t.name)).toContain('upload_settings');
    const diff = await remote(['schema', '--diff', '3..4'], sys.tokens.viewer);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('from version 3 to version 4');
    expect(diff.stdout).toMatch(/\+ table upload_settings/);
    const json = SchemaDiffResponse.parse(JSON.parse((await remote(['schema', '--diff', '1..2', '--json'], sys.tokens.viewer)).stdout));
    expect(json.changes.map((c) => c.name)).toEqual(['projects.context', 'projects.context_file_path']);
    expect((await remote(['schema', '--version', '9'], sys.tokens.viewer)).code).not.toBe(0);
  });

  it('run --wait --json exits 1 when a migration fails, with the failed RunResult in the job view', async () => {
    writeFileSync(join(sys.migrationsDir, '005_broken.sql'), 'CREATE TABLE fine (id INTEGER);\nSELECT * FROM missing_table;\n');
    const res = await remote(['run', '--wait', '--json']);
    expect(res.code).toBe(1);
    const job = JobView.parse(JSON.parse(res.stdout));
    expect(job.state).toBe('failed');
    expect(job.failedReason).toMatch(/005_broken\.sql/);
    expect(job.result?.status).toBe('failed');
    expect(job.result?.migrations[0]).toMatchObject({ version: 5, status: 'failed', error: { statementIndex: 1, line: 2 } });
    expect(job.errorCode).toBe('migration-failed');
    expect(job.result?.runId).toBe(job.id);
    const status = StatusResponse.parse(JSON.parse((await remote(['status', '--json'])).stdout));
    expect(status.snapshot?.runs[0]).toMatchObject({ runId: job.id, jobId: job.id, status: 'failed' });
    expect(status.snapshot?.status.ledger.at(-1)).toMatchObject({ version: 5, status: 'failed', runId: job.id, jobId: job.id });
    rmSync(join(sys.migrationsDir, '005_broken.sql'));
  });

  it('restore --wait puts back the restore point the failed run took (admin only), and the status shows version 4 again', async () => {
    const status = StatusResponse.parse(JSON.parse((await remote(['status', '--json'])).stdout));
    const point = status.snapshot!.restorePoints[0]!;
    expect(point.version).toBe(4);
    expect((await remote(['restore', point.id, '--wait'], sys.tokens.operator)).code).toBe(3); // 403: admins only
    const res = await remote(['restore', point.id, '--wait', '--json', '--reason', 'undo 005'], sys.tokens.admin);
    expect(res.code).toBe(0);
    // the same job view as a run's: the result under the job's id, no error code
    const job = JobView.parse(JSON.parse(res.stdout));
    expect(job).toMatchObject({ state: 'completed', errorCode: null, result: { runId: job.id, mode: 'restore', status: 'success', toVersion: 4 } });
    const after = StatusResponse.parse(JSON.parse((await remote(['status', '--json'])).stdout));
    expect(after.snapshot?.status.currentVersion).toBe(4);
    expect(after.snapshot?.runs[0]).toMatchObject({ runId: job.id, jobId: job.id, mode: 'restore', status: 'success', reason: 'undo 005' });
  });

  it('exits 3 when the token is refused or the API is unreachable, and 2 when no token is given', async () => {
    const port = await freeLoopbackPort();
    const [refused, unreachable, noToken, viewerRuns] = await Promise.all([
      remote(['status'], 'not-a-valid-token-at-all'),
      runCli(['run', '--wait', '--api', `http://127.0.0.1:${port}`], { env: { DUCKMIG_TOKEN: sys.tokens.operator } }),
      runCli(['status', '--api', sys.url]),
      remote(['run'], sys.tokens.viewer),
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('refused the token');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('cannot reach the duckmig API');
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('--token');
    expect(viewerRuns.code).toBe(3);
    expect(viewerRuns.stderr).toContain("the token's role may not do this");
  });

  it('cancel stops a run that is in flight and exits 0; the run is not applied', async () => {
    writeFileSync(
      join(sys.migrationsDir, '005_slow.sql'),
      'CREATE TABLE slow AS SELECT count(*) AS n FROM range(100000000000) t(i) WHERE hash(i) % 7 = 0;\n',
    );
    const enqueued = await remote(['run', '--json']);
    expect(enqueued.code).toBe(0);
    const { jobId } = JSON.parse(enqueued.stdout) as { jobId: string };

    const cancelled = await remote(['cancel', jobId, '--wait', '--json']);
    expect(cancelled.code).toBe(0);
    const job = JobView.parse(JSON.parse(cancelled.stdout));
    expect(job).toMatchObject({ state: 'failed', errorCode: 'cancelled', result: { runId: jobId, status: 'cancelled' } });
    expect(job.result?.migrations.map((m) => [m.version, m.status])).toEqual([[5, 'cancelled']]);
    const status = StatusResponse.parse(JSON.parse((await remote(['status', '--json'])).stdout));
    expect(status.snapshot?.status.currentVersion).toBe(4);
    expect(status.snapshot?.status.pending.map((p) => p.version)).toEqual([5]);
    rmSync(join(sys.migrationsDir, '005_slow.sql'));
  });
});
