// GET …/status for pollers: a small summary by default, with an ETag that names the
// worker's snapshot, its liveness and the queue; If-None-Match with that tag answers 304
// without a body until one of them changes. The full status stays behind ?view=full.
import { describe, expect, it } from 'vitest';
import {
  ADMIN_PREFIX,
  EMPTY_PLAN_ID,
  HEARTBEAT_TTL_MS,
  StatusResponse,
  StatusSummary,
  WorkerSnapshot,
  type EnqueuedResponse,
} from '../../contract/index.js';
import { planIds } from '../../core/plan.js';
import { sampleSnapshot, useApiHarness } from '../../test/support/api-harness.js';

const h = useApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } }, (h) => h.redis.del(h.keys.snapshot, h.keys.heartbeat));

const STATUS = `${ADMIN_PREFIX}/status`;
const status = (headers: Record<string, string> = {}) => h.call(STATUS, { role: 'viewer', headers });
const publish = (snapshot: WorkerSnapshot) => h.redis.set(h.keys.snapshot, JSON.stringify(snapshot));
const beat = (busyWith: string | null = null) =>
  h.redis.set(h.keys.heartbeat, JSON.stringify({ workerId: 'worker-1', at: new Date().toISOString(), busyWith }), 'PX', HEARTBEAT_TTL_MS);

/** the sample snapshot with one more pending migration and one warning, as a worker would republish it */
function withNewFile(base: WorkerSnapshot): WorkerSnapshot {
  const pending = [
    ...base.status.pending,
    { version: 3, name: 'add_index', file: '003_add_index.sql', checksum: 'c'.repeat(64), statementCount: 1, sizeBytes: 40, planId: '' },
  ];
  const ids = planIds(pending);
  return WorkerSnapshot.parse({
    ...base,
    publishedAt: new Date(Date.parse(base.publishedAt) + 1_000).toISOString(),
    status: {
      ...base.status,
      latestVersion: 3,
      pending: pending.map((m, i) => ({ ...m, planId: ids[i] })),
      problems: [{ code: 'missing-if-not-exists', severity: 'warning', message: 'CREATE INDEX without IF NOT EXISTS', file: '003_add_index.sql', version: 3 }],
    },
  });
}

describe('GET /status (summary)', () => {
  it('answers the summary by default: versions, pending names, plan id, problem counts, liveness, queue', async () => {
    const snapshot = sampleSnapshot();
    await publish(snapshot);
    await beat();
    const res = await status();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(StatusSummary.strict().parse(await res.json())).toEqual({
      schema: {
        currentVersion: 1,
        latestVersion: 2,
        pendingCount: 1,
        pending: [{ version: 2, name: 'add_owner' }],
        planId: snapshot.status.pending[0]!.planId,
        problems: { errors: 0, warnings: 0 },
        generatedAt: snapshot.status.generatedAt,
        publishedAt: snapshot.publishedAt,
      },
      worker: { online: true, busyWith: null },
      queue: { waiting: 0, active: 0, completed: 0, failed: 0, failedDryRuns: 0, delayed: 0, paused: false },
      activeJob: null,
    });
  });

  it('is small: no ledger, runs or restore points (those are in ?view=full)', async () => {
    const snapshot = sampleSnapshot();
    await publish(snapshot);
    const summary = await (await status()).text();
    const full = await (await h.call(`${STATUS}?view=full`, { role: 'viewer' })).text();
    expect(summary).not.toContain('"ledger"');
    expect(summary).not.toContain('"runs"');
    expect(summary.length).toBeLessThan(1024);
    expect(StatusResponse.parse(JSON.parse(full)).snapshot).toEqual(snapshot);
  });

  it('says there is no schema yet, with the empty plan, before the worker ever published', async () => {
    const summary = StatusSummary.parse(await (await status()).json());
    expect(summary).toEqual({
      schema: null,
      worker: { online: false, busyWith: null },
      queue: { waiting: 0, active: 0, completed: 0, failed: 0, failedDryRuns: 0, delayed: 0, paused: false },
      activeJob: null,
    });
    await publish(WorkerSnapshot.parse({ ...sampleSnapshot(), status: { ...sampleSnapshot().status, pending: [] } }));
    expect(StatusSummary.parse(await (await status()).json()).schema?.planId).toBe(EMPTY_PLAN_ID);
  });

  it('answers 304 without a body to If-None-Match with its ETag, also weak or in a list', async () => {
    await publish(sampleSnapshot());
    await beat();
    const first = await status();
    const etag = first.headers.get('ETag');
    expect(etag).toMatch(/^"[^"]+"$/);
    for (const ifNoneMatch of [etag!, `W/${etag}`, `"something-else", ${etag}`, '*']) {
      const again = await status({ 'If-None-Match': ifNoneMatch });
      expect(again.status, ifNoneMatch).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('ETag')).toBe(etag);
    }
    expect((await status({ 'If-None-Match': '"something-else"' })).status).toBe(200);
  });

  it('answers 200 with a new ETag once the worker publishes a snapshot with a new file', async () => {
    const before = sampleSnapshot();
    await publish(before);
    const etag = (await status()).headers.get('ETag')!;
    await publish(withNewFile(before));
    const res = await status({ 'If-None-Match': etag });
    expect(res.status).toBe(200);
    expect(res.headers.get('ETag')).not.toBe(etag);
    const summary = StatusSummary.parse(await res.json());
    expect(summary.schema).toMatchObject({ latestVersion: 3, pendingCount: 2, pending: [{ version: 2 }, { version: 3, name: 'add_index' }], problems: { errors: 0, warnings: 1 } });
  });

  it('answers 200 with a new ETag when the worker comes online or starts a job, and when the queue changes', async () => {
    await publish(sampleSnapshot());
    const offline = (await status()).headers.get('ETag')!;

    await beat();
    const online = await status({ 'If-None-Match': offline });
    expect(online.status).toBe(200);
    expect(StatusSummary.parse(await online.json()).worker).toEqual({ online: true, busyWith: null });
    const onlineTag = online.headers.get('ETag')!;
    expect(onlineTag).not.toBe(offline);

    await beat('job-7');
    const busy = await status({ 'If-None-Match': onlineTag });
    expect(busy.status).toBe(200);
    expect(StatusSummary.parse(await busy.json()).worker.busyWith).toBe('job-7');
    const busyTag = busy.headers.get('ETag')!;

    const run = (await (await h.call(`${ADMIN_PREFIX}/run`, { method: 'POST', role: 'operator', json: {} })).json()) as EnqueuedResponse;
    const queued = await status({ 'If-None-Match': busyTag });
    expect(queued.status).toBe(200);
    const summary = StatusSummary.parse(await queued.json());
    expect(summary.queue.waiting).toBe(1);
    expect(summary.activeJob).toEqual({ jobId: run.jobId, kind: 'run', state: 'waiting' });
    expect(queued.headers.get('ETag')).not.toBe(busyTag);
  });

  it('keeps its ETag while nothing changes, even as heartbeats refresh', async () => {
    await publish(sampleSnapshot());
    await beat();
    const etag = (await status()).headers.get('ETag')!;
    await beat();
    expect((await status({ 'If-None-Match': etag })).status).toBe(304);
  });

  it('still needs a token (401), for both views and for a known ETag', async () => {
    await publish(sampleSnapshot());
    const etag = (await status()).headers.get('ETag')!;
    for (const path of [STATUS, `${STATUS}?view=full`]) {
      const res = await h.call(path, { headers: { 'If-None-Match': etag } });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('ETag')).toBeNull();
    }
  });

  it('refuses an unknown view (400)', async () => {
    expect((await h.call(`${STATUS}?view=everything`, { role: 'viewer' })).status).toBe(400);
  });
});
