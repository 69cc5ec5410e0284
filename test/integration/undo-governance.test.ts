// Undo under governance, through real API, worker, Redis, DuckDB file, CLI and an HTTP
// receiver (DUCKMIG_APPROVALS=destructive, webhooks on): an undo whose down script drops
// something waits for another admin like a run (pinned to its preview's plan, holding the
// run slot, listed with its down scripts), the requester cannot approve it, another admin's
// approval lets it run and `duckmig undo --wait` exit 0; a rejection ends it with nothing
// undone (exit 4); a down script that drops nothing runs at once; an undo without a plan is
// refused. Every undo is announced as undo.queued → (undo.awaiting-approval) →
// undo.started → undo.succeeded / undo.failed, signed, in that order, apart from run events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, ApprovalsResponse, ErrorBody, JobView, StatusResponse, type EnqueuedResponse, type WebhookBody } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { call, finishedJob } from '../support/live.js';
import { startSystem, type RunningSystem } from '../support/system.js';
import { signedBody, startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'undo-governance-secret-0123456789';

let receiver: WebhookReceiver;
let sys: RunningSystem;
/** the second admin, who decides */
let admin1: string;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sys = await startSystem({
    migrations: {
      '001_accounts.sql': "CREATE TABLE accounts (id INTEGER, name VARCHAR);\nINSERT INTO accounts VALUES (1, 'ann'), (2, 'bob');\n",
      '001_accounts.down.sql': 'DROP TABLE accounts;\n',
      // its down script only deletes the rows it added: not destructive
      '002_seed_zed.sql': "INSERT INTO accounts VALUES (9, 'zed');\n",
      '002_seed_zed.down.sql': 'DELETE FROM accounts WHERE id = 9;\n',
      '003_orders.sql': 'CREATE TABLE orders (id INTEGER, account_id INTEGER);\nINSERT INTO orders VALUES (1, 1), (2, 2);\n',
      '003_orders.down.sql': 'DROP TABLE orders;\n',
    },
    extraAdminTokens: 1,
    env: { DUCKMIG_APPROVALS: 'destructive', DUCKMIG_WEBHOOKS: `json:${receiver.url}/hook`, DUCKMIG_WEBHOOK_SECRET: SECRET },
  });
  admin1 = sys.moreAdminTokens[0]!;
}, 120_000);
afterAll(async () => {
  await sys?.stop();
  await receiver?.close();
});

const cli = (token: string, ...args: string[]) => runCli([...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: token } });
const status = async () => StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
const approvals = async (token: string) => ApprovalsResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/approvals`, { token })).body);
const decide = (token: string, jobId: string, action: string, body: unknown = {}) => call(sys.url, `${ADMIN_PREFIX}/approvals/${jobId}/${action}`, { token, body });

/** Polls the approvals list until a request is awaiting (the CLI that asked runs in the background). */
async function awaitingOne(): Promise<ApprovalsResponse['awaiting'][number]> {
  const stop = Date.now() + 60_000;
  for (;;) {
    const { awaiting } = await approvals(sys.tokens.viewer);
    if (awaiting.length === 1) return awaiting[0]!;
    if (Date.now() > stop) throw new Error(`no request awaiting approval; got ${JSON.stringify(awaiting)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The undo preview's plan id (operators may preview). */
async function previewPlan(to: number): Promise<string> {
  const previewed = await call(sys.url, `${ADMIN_PREFIX}/undo/preview?wait=60`, { token: sys.tokens.operator, body: { to } });
  expect(previewed.status).toBe(200);
  return JobView.parse(previewed.body).result!.planId!;
}

const eventOf = (r: ReceivedRequest) => String(r.headers['x-duckmig-event']);
const bodyOf = (r: ReceivedRequest) => JSON.parse(r.body) as WebhookBody;
/** Waits for the job's `last` event, then verifies and returns every event of that job, in arrival order. */
async function eventsOf(jobId: string, last: string): Promise<WebhookBody[]> {
  await receiver.requests.next((r) => bodyOf(r).data.jobId === jobId && eventOf(r) === last);
  return receiver.requests.received.filter((r) => bodyOf(r).data.jobId === jobId).map((r) => signedBody(r, SECRET));
}

describe('undo through the approval gate, announced to webhooks', () => {
  it('applies the three migrations without approval (nothing in them is destructive)', async () => {
    const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: {} });
    expect([res.status, res.body.awaitingApproval]).toEqual([202, undefined]);
    expect((await finishedJob(sys.url, sys.tokens.viewer, res.body.jobId)).state).toBe('completed');
    expect((await status()).snapshot?.status.currentVersion).toBe(3);
  }, 120_000);

  it('an undo whose down script drops a table waits for another admin; self-approval is refused; once approved it runs and `undo --wait` exits 0', async () => {
    const plan = await previewPlan(2);
    const requested = cli(sys.tokens.admin, 'undo', '--to', '2', '--plan', plan, '--reason', 'orders were a mistake', '--wait');
    const request = await awaitingOne();
    expect(request).toMatchObject({ kind: 'undo', requestedBy: 'admin', reason: 'orders were a mistake', plan, policy: 'destructive', migrations: [] });
    expect(request.undo?.to).toBe(2);
    expect(request.undo?.steps.map((s) => [s.version, s.file, s.destructive?.map((d) => d.kind)])).toEqual([[3, '003_orders.down.sql', ['drop']]]);

    // nothing undone yet, and the request holds the run slot
    expect((await status()).snapshot?.status.currentVersion).toBe(3);
    const other = await call(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: {} });
    expect([other.status, ErrorBody.parse(other.body).error.code]).toEqual([409, 'run-in-progress']);
    // the requester may not approve their own undo, an operator may not approve at all
    const self = await decide(sys.tokens.admin, request.jobId, 'approve');
    expect([self.status, ErrorBody.parse(self.body).error.code]).toEqual([403, 'self-approval']);
    expect((await decide(sys.tokens.operator, request.jobId, 'approve')).status).toBe(403);

    expect((await decide(admin1, request.jobId, 'approve', { comment: 'checked the down script' })).status).toBe(200);
    const undone = await requested;
    expect(undone.code, undone.stdout + undone.stderr).toBe(0);
    expect(undone.stdout).toContain(`undo ${request.jobId} awaits approval`);
    expect(undone.stdout).toContain('done: version 3 → 2');

    const after = (await status()).snapshot!;
    expect(after.status.currentVersion).toBe(2);
    expect(after.runs.find((r) => r.runId === request.jobId)).toMatchObject({
      mode: 'undo',
      status: 'success',
      approval: { decision: 'approved', decidedBy: 'admin1', requestedBy: 'admin', comment: 'checked the down script' },
    });

    const events = await eventsOf(request.jobId, 'undo.succeeded');
    expect(events.map((e) => e.event)).toEqual(['undo.queued', 'undo.awaiting-approval', 'undo.started', 'undo.succeeded']);
    expect(events.every((e) => e.data.requestedBy === 'admin' && e.data.reason === 'orders were a mistake')).toBe(true);
    expect(events[0]!.data.toVersion).toBe(2);
    expect(events[3]!.data).toMatchObject({ fromVersion: 3, toVersion: 2, applied: 1 });
    expect(new Set(events.map((e) => e.deliveryId)).size).toBe(4);
  }, 120_000);

  it('an undo whose down script drops nothing runs at once, announced without an approval step', async () => {
    const plan = await previewPlan(1);
    const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/undo`, { token: sys.tokens.admin, body: { to: 1, plan, reason: 'no zed' } });
    expect(res.status).toBe(202);
    expect(res.body.awaitingApproval).toBeUndefined();
    const events = await eventsOf(res.body.jobId, 'undo.succeeded');
    expect(events.map((e) => e.event)).toEqual(['undo.queued', 'undo.started', 'undo.succeeded']);
    expect(events[2]!.data).toMatchObject({ fromVersion: 2, toVersion: 1, applied: 1 });
    expect((await status()).snapshot?.status.currentVersion).toBe(1);
  }, 120_000);

  it('a rejected undo undoes nothing: `undo --wait` exits 4 and undo.failed says approval-rejected', async () => {
    const plan = await previewPlan(0);
    const requested = cli(sys.tokens.admin, 'undo', '--to', '0', '--plan', plan, '--wait');
    const request = await awaitingOne();
    expect(request.undo?.steps.map((s) => s.file)).toEqual(['001_accounts.down.sql']);
    expect((await decide(admin1, request.jobId, 'reject', { comment: 'accounts stay' })).status).toBe(200);
    const undo = await requested;
    expect(undo.code).toBe(4);
    expect(undo.stdout).toContain('accounts stay');
    expect((await status()).snapshot?.status.currentVersion).toBe(1);

    const events = await eventsOf(request.jobId, 'undo.failed');
    expect(events.map((e) => e.event)).toEqual(['undo.queued', 'undo.awaiting-approval', 'undo.failed']);
    expect(events[2]!.data.errorCode).toBe('approval-rejected');
    const { decided } = await approvals(sys.tokens.viewer);
    expect(decided[0]).toMatchObject({ runId: request.jobId, decision: 'rejected', decidedBy: 'admin1', comment: 'accounts stay', plan });
  }, 120_000);

  it('with approvals on, an undo must name the plan its approver will see', async () => {
    const res = await call(sys.url, `${ADMIN_PREFIX}/undo`, { token: sys.tokens.admin, body: { to: 0 } });
    expect([res.status, ErrorBody.parse(res.body).error.code]).toEqual([422, 'plan-required']);
    expect((await approvals(sys.tokens.viewer)).awaiting).toEqual([]);
  });

  it('run events stay run events: the run that applied the files was announced as run.*, never undo.*', () => {
    const runEvents = receiver.requests.received.map(eventOf).filter((e) => e.startsWith('run.'));
    expect(runEvents).toEqual(['run.queued', 'run.started', 'run.succeeded']);
  });
});
