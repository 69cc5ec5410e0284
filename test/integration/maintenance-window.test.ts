// Maintenance windows and scheduled runs through the whole service: real API, worker,
// Redis and CLI. Under policy wait, a run requested between windows waits as a scheduled
// (delayed) job, holds the single run slot, and fires inside the next window; under policy
// refuse, a run outside every window is refused with the next opening, an `at` inside one
// is scheduled, listed (with what it would apply) and cancelled (CLI `run --at`, `scheduled`,
// `cancel`). The worker checks the windows again when a run becomes due (here: a scheduled
// run promoted early, as bull-board's "promote" does, while every window is closed): under
// wait it goes back to the delayed set until the next opening, still holding the run slot;
// under refuse it fails as outside-maintenance-window with nothing applied.
import { setTimeout as delay } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, ErrorBody, JobView, QUEUE_NAME, ScheduledRunsResponse, StatusResponse, type EnqueuedResponse, type LiveMessage } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { call, finishedJob, openLive } from '../support/live.js';
import { startSystem, type RunningSystem } from '../support/system.js';

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** Windows of `lengthMs` every `periodMs` from `from`, as DUCKMIG_MAINTENANCE_WINDOW and their [start, end) spans. */
function windowsEvery(from: number, periodMs: number, lengthMs: number, count: number) {
  const first = Math.ceil(from / 1000) * 1000;
  const spans = Array.from({ length: count }, (_, i) => [first + i * periodMs, first + i * periodMs + lengthMs] as const);
  return { spans, text: spans.map(([start, end]) => `daily ${clock(start)}-${clock(end)} UTC`).join('; ') };
}

describe('policy wait: a run outside the window waits for the next one', () => {
  let sys: RunningSystem;
  // a 3 s window every 8 s for the next five minutes
  const windows = windowsEvery(Date.now(), 8_000, 3_000, 40);
  beforeAll(async () => {
    sys = await startSystem({ env: { DUCKMIG_MAINTENANCE_WINDOW: windows.text, DUCKMIG_WINDOW_POLICY: 'wait' } });
  }, 180_000);
  afterAll(() => sys?.stop());

  it('is scheduled for the next opening, holds the run slot, and runs inside that window', async () => {
    // ask between two windows
    const open = windows.spans.find(([start, end]) => start <= Date.now() && Date.now() < end);
    if (open) await delay(open[1] - Date.now() + 20);
    const next = windows.spans.find(([start]) => start > Date.now())!;

    const live = await openLive(sys.url, sys.tokens.viewer);
    try {
      const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { reason: 'in the window' } });
      expect(res.status).toBe(202);
      const { jobId, scheduledFor } = res.body;
      expect(scheduledFor).toBe(new Date(next[0]).toISOString());

      const listed = ScheduledRunsResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/scheduled`, { token: sys.tokens.viewer })).body);
      expect(listed.runs.map((r) => [r.jobId, r.scheduledFor, r.requestedBy])).toEqual([[jobId, scheduledFor, 'operator']]);
      expect(listed.policy).toBe('wait');

      const second = await call(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.admin, body: {} });
      expect(second.status).toBe(409);
      expect(ErrorBody.parse(second.body).error).toMatchObject({ code: 'run-in-progress', details: { jobId } });

      const done = (await live.next((m) => m.type === 'completed' && m.jobId === jobId, 60_000)) as Extract<LiveMessage, { type: 'completed' }>;
      expect(done.result?.status).toBe('success');
      const job = JobView.parse((await call(sys.url, `${ADMIN_PREFIX}/jobs/${jobId}`, { token: sys.tokens.viewer })).body);
      const startedAt = Date.parse(job.startedAt!);
      expect(windows.spans.some(([start, end]) => start <= startedAt && startedAt < end)).toBe(true);
      expect(startedAt).toBeGreaterThanOrEqual(next[0]);
    } finally {
      live.close();
    }
  });
});

// one hour-long window, six hours from now (whole minutes)
const opens = Math.floor(Date.now() / 60_000) * 60_000 + 6 * 3600_000;
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const window = `daily ${hhmm(opens)}-${hhmm(opens + 3600_000)}`;

const jobView = async (sys: RunningSystem, jobId: string) => JobView.parse((await call(sys.url, `${ADMIN_PREFIX}/jobs/${jobId}`, { token: sys.tokens.viewer })).body);

/** Makes a scheduled (delayed) run due now, as bull-board's "promote" does: the worker takes it while every window is closed. */
async function promote(sys: RunningSystem, jobId: string): Promise<void> {
  const queue = new Queue(QUEUE_NAME, { connection: { url: sys.redis.url } });
  try {
    await (await queue.getJob(jobId))!.promote();
  } finally {
    await queue.close();
  }
}

describe('policy wait: a run that becomes due while every window is closed waits again for the next opening', () => {
  let sys: RunningSystem;
  beforeAll(async () => {
    sys = await startSystem({ env: { DUCKMIG_MAINTENANCE_WINDOW: window, DUCKMIG_WINDOW_POLICY: 'wait' } });
  });
  afterAll(() => sys?.stop());

  it('the worker puts it back as a delayed job until the window opens, logs why, and it keeps the run slot', async () => {
    const at = new Date(opens + 10 * 60_000).toISOString();
    const res = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { at, reason: 'night release' } });
    expect([res.status, res.body.scheduledFor]).toEqual([202, at]);
    const { jobId } = res.body;

    await promote(sys, jobId);
    await sys.worker.waitForOutput('"event":"job:window-wait"');
    const next = new Date(opens).toISOString();
    const job = await jobView(sys, jobId);
    expect(job.state).toBe('delayed');
    expect(job.logs).toContain(`became due outside the maintenance window: waits until ${next}`);
    const listed = ScheduledRunsResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/scheduled`, { token: sys.tokens.viewer })).body);
    expect(listed.runs.map((r) => [r.jobId, r.scheduledFor, r.reason])).toEqual([[jobId, next, 'night release']]);

    // nothing ran, and no other run may start meanwhile
    const status = StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
    expect(status.snapshot?.status.currentVersion).toBe(0);
    const second = await call(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.admin, body: { at } });
    expect([second.status, ErrorBody.parse(second.body).error.code]).toEqual([409, 'run-in-progress']);
  });
});

describe('policy refuse: no run outside the window; a run scheduled inside it can be listed and cancelled', () => {
  let sys: RunningSystem;
  beforeAll(async () => {
    sys = await startSystem({ env: { DUCKMIG_MAINTENANCE_WINDOW: window, DUCKMIG_WINDOW_POLICY: 'refuse' } });
  }, 180_000);
  afterAll(() => sys?.stop());
  const remote = (args: string[]) => runCli([...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: sys.tokens.operator } });

  it('a run now is refused (409) with the next opening; nothing is enqueued', async () => {
    const res = await call(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: {} });
    expect(res.status).toBe(409);
    expect(ErrorBody.parse(res.body).error).toMatchObject({ code: 'outside-maintenance-window', details: { nextWindowAt: new Date(opens).toISOString() } });
    const listed = ScheduledRunsResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/scheduled`, { token: sys.tokens.viewer })).body);
    expect(listed).toEqual({ runs: [], windows: [window], policy: 'refuse' });
  });

  it('a run at a time outside the window is refused (422), naming the next opening', async () => {
    const res = await call(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { at: new Date(opens - 3600_000).toISOString() } });
    expect(res.status).toBe(422);
    expect(ErrorBody.parse(res.body).error).toMatchObject({ code: 'outside-maintenance-window', details: { nextWindowAt: new Date(opens).toISOString() } });
  });

  it('duckmig run --at inside the window schedules it; duckmig scheduled lists it; duckmig cancel removes it and frees the slot', async () => {
    const at = new Date(opens + 10 * 60_000).toISOString();
    const run = await remote(['run', '--at', at, '--reason', 'night release', '--json']);
    expect(run.code).toBe(0);
    const enqueued = JSON.parse(run.stdout) as EnqueuedResponse;
    expect(enqueued.scheduledFor).toBe(at);

    const listed = await remote(['scheduled', '--json']);
    expect(listed.code).toBe(0);
    expect(ScheduledRunsResponse.parse(JSON.parse(listed.stdout)).runs).toEqual([
      expect.objectContaining({ jobId: enqueued.jobId, scheduledFor: at, requestedBy: 'operator', reason: 'night release' }),
    ]);
    // not pinned to a plan: it would apply every pending migration, as the status lists them now
    const status = StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
    const pending = status.snapshot!.status.pending.map((m) => m.file);
    expect(pending.length).toBeGreaterThan(0);
    const [scheduled] = ScheduledRunsResponse.parse(JSON.parse(listed.stdout)).runs;
    expect(scheduled).toMatchObject({ plan: null, awaitingApproval: false });
    expect(scheduled!.migrations.map((m) => m.file)).toEqual(pending);

    const busy = await call(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.admin, body: { at } });
    expect(busy.status).toBe(409);
    expect(ErrorBody.parse(busy.body).error.code).toBe('run-in-progress');

    const cancel = await remote(['cancel', enqueued.jobId]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain('removed');
    const after = ScheduledRunsResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/scheduled`, { token: sys.tokens.viewer })).body);
    expect(after.runs).toEqual([]);
    const again = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.admin, body: { at } });
    expect(again.status).toBe(202);
    expect(again.body.scheduledFor).toBe(at);
  }, 120_000);

  it('a scheduled run that becomes due while the window is closed is refused by the worker and recorded: nothing applied, the slot freed', async () => {
    const scheduled = ScheduledRunsResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/scheduled`, { token: sys.tokens.viewer })).body);
    const { jobId } = scheduled.runs[0]!;
    await promote(sys, jobId);
    const job = await finishedJob(sys.url, sys.tokens.viewer, jobId);
    expect([job.state, job.errorCode]).toEqual(['failed', 'outside-maintenance-window']);
    expect(job.failedReason).toContain(`the next opens at ${new Date(opens).toISOString()}`);
    const status = StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
    expect(status.snapshot?.status.currentVersion).toBe(0);
    const after = ScheduledRunsResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/scheduled`, { token: sys.tokens.viewer })).body);
    expect(after.runs).toEqual([]);
    const again = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.admin, body: { at: new Date(opens + 5 * 60_000).toISOString() } });
    expect(again.status).toBe(202);
  });
});
