// What runs is what was previewed, and big inputs do not break the system, with a real
// API and worker: a run pinned to a dry-run's plan is refused (409, the changed file
// named, nothing applied) once a file was edited, through the API and `duckmig run --plan`;
// a 50 MB seed migration keeps the status small, the API's memory bounded with 10
// concurrent viewers, and its SQL readable page by page as a truncated preview.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PREFIX,
  EnqueuedResponse,
  ErrorBody,
  JobView,
  PendingSqlResponse,
  PlanDifference,
  STATEMENT_PREVIEW_BYTES,
  StatusResponse,
} from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { call, finishedJob } from '../support/live.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});

async function status(): Promise<StatusResponse> {
  return StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
}

/** The worker republishes when a file changes: wait until its snapshot says `done`. */
async function statusWhere(done: (s: StatusResponse) => boolean, timeoutMs = 120_000): Promise<StatusResponse> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    if (done(s)) return s;
    if (Date.now() > until) throw new Error(`status never matched: ${JSON.stringify(s.snapshot?.status.pending.map((p) => [p.version, p.checksum.slice(0, 8)]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Peak resident memory of a process so far, in MiB. */
function peakRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))!;
  return Number(line.replace(/\D+/g, '')) / 1024;
}

describe('plan pinning', () => {
  it('dry-run, edit a file, run with the plan: 409 naming the file, `duckmig run --plan` fails, nothing applied; the new plan runs', async () => {
    const preview = await call<JobView>(sys.url, `${ADMIN_PREFIX}/dry-run?wait=60`, { token: sys.tokens.operator, body: { rehearse: true } });
    expect(preview.status).toBe(200);
    const plan = JobView.parse(preview.body).result?.planId;
    expect(plan).toMatch(/^[0-9a-f]{64}$/);
    const before = await status();
    expect(before.snapshot?.status.pending.at(-1)?.planId).toBe(plan);

    const file = join(sys.migrationsDir, '004_add_upload_settings.sql');
    writeFileSync(file, 'DROP TABLE IF EXISTS upload_settings;\n');
    const edited = await statusWhere((s) => s.snapshot?.status.pending.at(-1)?.checksum !== before.snapshot?.status.pending.at(-1)?.checksum);

    const refused = await call(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { plan, reason: 'as previewed' } });
    expect(refused.status).toBe(409);
    const error = ErrorBody.parse(refused.body).error;
    expect(error.code).toBe('plan-changed');
    expect(PlanDifference.parse(error.details).changed.map((c) => c.file)).toEqual(['004_add_upload_settings.sql']);

    const cli = await runCli(['run', '--api', sys.url, '--plan', plan!, '--wait'], { env: { DUCKMIG_TOKEN: sys.tokens.operator } });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('004_add_upload_settings.sql changed');

    const after = await status();
    expect(after.snapshot?.status.currentVersion).toBe(0);
    expect(after.queue.waiting + after.queue.active).toBe(0);
    expect(after.snapshot?.runs).toEqual([]);

    // the plan of what is there now runs
    const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, {
      token: sys.tokens.operator,
      body: { plan: edited.snapshot!.status.pending.at(-1)!.planId, reason: 'new plan' },
    });
    expect(res.status).toBe(202);
    const job = await finishedJob(sys.url, sys.tokens.viewer, res.body.jobId);
    expect(job.state).toBe('completed');
    expect((await status()).snapshot?.status.currentVersion).toBe(4);
  });
});

describe('a 50 MB migration file', () => {
  const STATEMENT_BYTES = 10 * 1024 * 1024;
  it('keeps the status under 64 KB and the API under 400 MiB with 10 concurrent viewers; its SQL is paged as a truncated preview with the size', async () => {
    const blob = 'x'.repeat(STATEMENT_BYTES);
    let sql = 'CREATE TABLE seed_blobs (id INTEGER, body VARCHAR);\n';
    for (let i = 0; i < 5; i++) sql += `INSERT INTO seed_blobs VALUES (${i}, '${blob}');\n`;
    // written beside the directory and renamed in, as a deploy puts files in place
    writeFileSync(join(sys.dataDir, '005_seed_blobs.sql'), sql);
    renameSync(join(sys.dataDir, '005_seed_blobs.sql'), join(sys.migrationsDir, '005_seed_blobs.sql'));
    await statusWhere((s) => s.snapshot?.status.pending.some((p) => p.version === 5) ?? false, 180_000);

    const raw = await fetch(`${sys.url}${ADMIN_PREFIX}/status?view=full`, { headers: { authorization: `Bearer ${sys.tokens.viewer}` } });
    const body = await raw.text();
    expect(body.length).toBeLessThan(64 * 1024);
    const pending = StatusResponse.parse(JSON.parse(body)).snapshot!.status.pending.find((p) => p.version === 5)!;
    expect(pending).toMatchObject({ statementCount: 6, sizeBytes: Buffer.byteLength(sql) });

    const viewer = async () => {
      const s = await fetch(`${sys.url}${ADMIN_PREFIX}/status?view=full`, { headers: { authorization: `Bearer ${sys.tokens.viewer}` } });
      const page = await fetch(`${sys.url}${ADMIN_PREFIX}/pending/5/sql?limit=100`, { headers: { authorization: `Bearer ${sys.tokens.viewer}` } });
      return [s.status, (await s.text()).length, page.status, (await page.text()).length];
    };
    const answers = await Promise.all(Array.from({ length: 10 }, viewer));
    for (const [statusCode, statusBytes, pageCode, pageBytes] of answers) {
      expect([statusCode, pageCode]).toEqual([200, 200]);
      expect(statusBytes).toBeLessThan(64 * 1024);
      expect(pageBytes).toBeLessThan(6 * STATEMENT_PREVIEW_BYTES + 16 * 1024);
    }
    expect(peakRssMiB(sys.api.pid!)).toBeLessThan(400);

    const page = PendingSqlResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/pending/5/sql?offset=1&limit=1`, { token: sys.tokens.viewer })).body);
    expect(page.statements[0]).toMatchObject({ index: 1, truncated: true, sizeBytes: Buffer.byteLength(`INSERT INTO seed_blobs VALUES (0, '${blob}');`) });
    expect(page.statements[0]!.sql.startsWith("INSERT INTO seed_blobs VALUES (0, 'xxx")).toBe(true);
  }, 300_000);
});
