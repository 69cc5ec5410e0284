// Run approvals with a real API, worker, Redis and DuckDB file (DUCKMIG_APPROVALS=destructive):
// an additive batch runs without approval; a destructive one requested by an operator
// waits (holding the single-run slot) until another admin approves it, and
// `duckmig run --wait` waits through the approval; the requesting admin cannot approve
// their own run and a rejection ends it with nothing applied (exit 4); the requester may
// withdraw; a file changed after approval is refused as plan-changed. Every decision is
// recorded in the database with who, when and the comment.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PREFIX, ApprovalsResponse, EnqueuedResponse, ErrorBody, LiveSchema, SCHEMA_PREFIX, StatusResponse } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { call, finishedJob } from '../support/live.js';
import { initialSchemaOnly, startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
/** the second admin, who approves or rejects */
let admin1: string;
beforeAll(async () => {
  sys = await startSystem({ migrations: initialSchemaOnly(), extraAdminTokens: 1, env: { DUCKMIG_APPROVALS: 'destructive' } });
  admin1 = sys.moreAdminTokens[0]!;
}, 120_000);
afterAll(async () => {
  await sys?.stop();
});

async function status(): Promise<StatusResponse> {
  return StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
}

/** Polls until `check` holds for the value `read` gives (the worker republishes when files change). */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  const stop = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > stop) throw new Error(`never: ${what}; last ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes a migration and waits until the worker lists it as pending. */
async function addMigration(file: string, sql: string): Promise<void> {
  writeFileSync(join(sys.migrationsDir, file), sql);
  await until(status, (s) => s.snapshot?.status.pending.some((p) => p.file === file && p.statementCount > 0) ?? false, `${file} pending`);
}

const approvals = async (token: string) => ApprovalsResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/approvals`, { token })).body);
const awaitingOne = () => until(() => approvals(sys.tokens.viewer), (a) => a.awaiting.length === 1, 'one request awaiting approval');
const decide = (token: string, jobId: string, action: string, body: unknown = {}) => call(sys.url, `${ADMIN_PREFIX}/approvals/${jobId}/${action}`, { token, body });
const cli = (token: string, ...args: string[]) => runCli([...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: token } });
async function rowsOf(table: string): Promise<number | null> {
  const schema = LiveSchema.parse((await call(sys.url, SCHEMA_PREFIX, { token: sys.tokens.viewer })).body);
  return schema.tables.find((t) => t.name === table)?.rows?.exact ?? null;
}

it('an additive batch runs at once under the destructive-only policy', async () => {
  await addMigration('002_notes.sql', "CREATE TABLE notes (id INTEGER, body VARCHAR);\nCREATE TABLE archive (id INTEGER);\nINSERT INTO archive VALUES (1), (2), (3);\n");
  const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { reason: 'notes' } });
  expect(res.status).toBe(202);
  expect(res.body.awaitingApproval).toBeUndefined();
  expect((await finishedJob(sys.url, sys.tokens.viewer, res.body.jobId)).state).toBe('completed');
  expect((await status()).snapshot?.status.currentVersion).toBe(2);
}, 120_000);

it("an operator's destructive run waits for an admin's approval, holds the run slot, and `run --wait` exits 0 once approved and applied", async () => {
  await addMigration('003_drop_notes.sql', 'DROP TABLE notes;\n');
  const requested = cli(sys.tokens.operator, 'run', '--wait', '--reason', 'drop notes');
  const { awaiting } = await awaitingOne();
  const request = awaiting[0]!;
  expect(request).toMatchObject({ requestedBy: 'operator', reason: 'drop notes', policy: 'destructive', youMayDecide: false });
  expect(request.migrations.map((m) => [m.file, m.destructive?.map((d) => d.kind)])).toEqual([['003_drop_notes.sql', ['drop']]]);
  expect(request.plan).toBe((await status()).snapshot?.status.pending.at(-1)?.planId);
  expect((await approvals(sys.tokens.admin)).awaiting[0]).toMatchObject({ youMayDecide: true, whyNot: null });

  // nothing has run, and no other run may start meanwhile
  expect((await status()).snapshot?.status.currentVersion).toBe(2);
  const second = await call(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.admin, body: {} });
  expect([second.status, ErrorBody.parse(second.body).error.code]).toEqual([409, 'run-in-progress']);
  // an operator cannot approve
  expect((await decide(sys.tokens.operator, request.jobId, 'approve')).status).toBe(403);

  const approved = await cli(sys.tokens.admin, 'approve', request.jobId, '--comment', 'checked the plan');
  expect(approved.code).toBe(0);
  const run = await requested;
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('awaits approval');

  const after = await status();
  expect(after.snapshot?.status.currentVersion).toBe(3);
  const applied = after.snapshot?.runs.find((r) => r.runId === request.jobId);
  expect(applied).toMatchObject({ status: 'success', requestedBy: 'operator', approval: { decision: 'approved', decidedBy: 'admin', comment: 'checked the plan', requestedBy: 'operator' } });
  expect(Date.parse(applied!.approval!.decidedAt)).toBeGreaterThanOrEqual(Date.parse(applied!.approval!.requestedAt));
}, 120_000);

it('the requesting admin cannot approve their own run; another admin rejects it and nothing changes (exit 4)', async () => {
  await addMigration('004_empty_archive.sql', 'DELETE FROM archive;\n');
  const requested = cli(sys.tokens.admin, 'run', '--wait', '--reason', 'empty the archive');
  const { awaiting } = await awaitingOne();
  const jobId = awaiting[0]!.jobId;
  expect((await approvals(sys.tokens.admin)).awaiting[0]).toMatchObject({ youMayDecide: false, youMayWithdraw: true });

  const self = await decide(sys.tokens.admin, jobId, 'approve');
  expect([self.status, ErrorBody.parse(self.body).error.code]).toEqual([403, 'self-approval']);
  expect((await decide(admin1, jobId, 'reject', {})).status).toBe(400); // a rejection needs a comment
  const rejected = await cli(admin1, 'reject', jobId, '--comment', 'not during business hours');
  expect(rejected.code).toBe(0);

  const run = await requested;
  expect(run.code).toBe(4);
  expect(run.stdout).toContain('not during business hours');
  expect((await status()).snapshot?.status.currentVersion).toBe(3);
  expect(await rowsOf('archive')).toBe(3);
  const { decided } = await approvals(sys.tokens.viewer);
  expect(decided[0]).toMatchObject({ runId: jobId, requestedBy: 'admin', decision: 'rejected', decidedBy: 'admin1', comment: 'not during business hours' });
  // decided once: a late approval is refused
  expect(ErrorBody.parse((await decide(admin1, jobId, 'approve')).body).error.code).toBe('approval-decided');
}, 120_000);

it('only the requester withdraws a request; the job ends as withdrawn', async () => {
  const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: {} });
  expect(res.body.awaitingApproval).toBe(true);
  const other = await decide(admin1, res.body.jobId, 'withdraw');
  expect([other.status, ErrorBody.parse(other.body).error.code]).toEqual([403, 'not-requester']);
  expect((await decide(sys.tokens.operator, res.body.jobId, 'withdraw')).status).toBe(200);
  const job = await finishedJob(sys.url, sys.tokens.viewer, res.body.jobId);
  expect([job.state, job.errorCode]).toEqual(['failed', 'approval-withdrawn']);
  expect((await approvals(sys.tokens.viewer)).decided[0]).toMatchObject({ runId: res.body.jobId, decision: 'withdrawn', decidedBy: 'operator' });
}, 120_000);

it('a file changed after approval is refused as plan-changed, nothing applied', async () => {
  const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { reason: 'empty archive' } });
  expect(res.body.awaitingApproval).toBe(true);
  // the worker is away when the approval comes, and the file changes before it returns
  await sys.worker.kill('SIGTERM');
  expect((await decide(admin1, res.body.jobId, 'approve', { comment: 'ok' })).status).toBe(200);
  writeFileSync(join(sys.migrationsDir, '004_empty_archive.sql'), 'DELETE FROM archive;\nDROP TABLE archive;\n');
  await sys.worker.restart();

  const job = await finishedJob(sys.url, sys.tokens.viewer, res.body.jobId);
  expect([job.state, job.errorCode]).toEqual(['failed', 'plan-changed']);
  expect((await status()).snapshot?.status.currentVersion).toBe(3);
  expect(await rowsOf('archive')).toBe(3);
}, 120_000);
