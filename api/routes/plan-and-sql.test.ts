// Specification of plan pinning and the pending-SQL route at the API, against a real Redis
// holding what a worker publishes (snapshot, plan links, statement previews):
// a run pinned to a plan that no longer matches the pending files is refused with 409 and
// the difference, nothing enqueued; the status carries no SQL; a pending migration's
// statements are paged from their own route, each capped.
import { describe, expect, it } from 'vitest';
import {
  ADMIN_PREFIX,
  EMPTY_PLAN_ID,
  EnqueuedResponse,
  ErrorBody,
  PendingSqlResponse,
  PlanDifference,
  STATEMENT_PREVIEW_BYTES,
  type PendingMigration,
  type WorkerSnapshot,
} from '../../contract/index.js';
import { sampleSnapshot, useApiHarness } from '../../test/support/api-harness.js';
import { publishPendingSql, publishPlans } from '../../worker/snapshot.js';
import type { MigrationFile } from '../../core/index.js';
import { planIds } from '../../core/plan.js';
import { splitStatements } from '../../core/statement-text.js';

const h = useApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } }, async (h) => {
  const sqlKeys = await h.redis.keys(h.keys.pendingSql('*'));
  await h.redis.del(h.keys.snapshot, h.keys.heartbeat, h.keys.plans, ...sqlKeys);
});

function file(version: number, name: string, checksum: string, statements: string[]): MigrationFile {
  const sql = statements.map((s) => `${s};\n`).join('');
  return {
    version,
    name,
    file: `${String(version).padStart(3, '0')}_${name}.sql`,
    path: `/m/${version}`,
    sql,
    sizeBytes: Buffer.byteLength(sql),
    checksum,
    statements: splitStatements(sql),
  };
}

function pendingOf(files: MigrationFile[]): PendingMigration[] {
  const ids = planIds(files);
  return files.map((f, i) => ({ version: f.version, name: f.name, file: f.file, checksum: f.checksum, statementCount: f.statements.length, sizeBytes: f.sizeBytes, planId: ids[i]! }));
}

/** What the worker publishes for these pending files. */
async function publish(files: MigrationFile[]): Promise<WorkerSnapshot> {
  const snapshot = sampleSnapshot();
  snapshot.status.pending = pendingOf(files);
  await publishPendingSql(h.redis, h.keys.pendingSql, files);
  await publishPlans(h.redis, h.keys.plans, snapshot.status.pending);
  await h.redis.set(h.keys.snapshot, JSON.stringify(snapshot));
  return snapshot;
}

const post = (path: string, json?: unknown) => h.call(`${ADMIN_PREFIX}${path}`, { method: 'POST', role: 'operator', json });

describe('POST /run with a pinned plan', () => {
  const v2 = file(2, 'add_owner', '2'.repeat(64), ['ALTER TABLE projects ADD COLUMN owner VARCHAR']);
  const v3 = file(3, 'upload_settings', '3'.repeat(64), ['CREATE TABLE upload_settings (id INTEGER)']);
  const v3edited = file(3, 'upload_settings', 'e'.repeat(64), ['DROP TABLE upload_settings']);
  const v4 = file(4, 'extra', '4'.repeat(64), ['CREATE TABLE extra (id INTEGER)']);

  it('enqueues the run with the plan when the pending files are the previewed ones', async () => {
    const snapshot = await publish([v2, v3]);
    const plan = snapshot.status.pending[1]!.planId;
    const res = await post('/run', { plan, reason: 'pinned' });
    expect(res.status).toBe(202);
    const job = await h.queue.getJob(EnqueuedResponse.parse(await res.json()).jobId);
    expect(job?.data).toEqual({ kind: 'run', requestedBy: 'otto', reason: 'pinned', plan, notAfter: expect.any(String) });
  });

  it('a plan up to a target is the pending list up to that version', async () => {
    const snapshot = await publish([v2, v3]);
    expect((await post('/run', { plan: snapshot.status.pending[0]!.planId, target: 2 })).status).toBe(202);
  });

  it('refuses with 409 plan-changed naming the changed and added files; nothing is enqueued', async () => {
    const previewed = await publish([v2, v3]);
    const plan = previewed.status.pending[1]!.planId;
    await publish([v2, v3edited, v4]);
    const res = await post('/run', { plan });
    expect(res.status).toBe(409);
    const body = ErrorBody.parse(await res.json());
    expect(body.error.code).toBe('plan-changed');
    expect(body.error.message).toContain('003_upload_settings.sql changed');
    expect(body.error.message).toContain('004_extra.sql added');
    const difference = PlanDifference.parse(body.error.details);
    expect(difference).toMatchObject({
      expected: plan,
      previewKnown: true,
      changed: [{ version: 3, file: '003_upload_settings.sql', checksum: 'e'.repeat(64), previewedChecksum: '3'.repeat(64) }],
      added: [{ version: 4, file: '004_extra.sql' }],
      removed: [],
    });
    expect(await h.queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 0, active: 0 });
  });

  it('names a migration that is no longer pending as removed', async () => {
    const previewed = await publish([v2, v3]);
    const plan = previewed.status.pending[1]!.planId;
    await publish([v3]);
    const res = await post('/run', { plan });
    expect(res.status).toBe(409);
    expect(PlanDifference.parse(ErrorBody.parse(await res.json()).error.details).removed.map((e) => e.version)).toEqual([2]);
  });

  it('refuses an unknown plan id (never previewed) with 409, and a malformed one with 400', async () => {
    await publish([v2]);
    const unknown = await post('/run', { plan: 'f'.repeat(64) });
    expect(unknown.status).toBe(409);
    expect(PlanDifference.parse(ErrorBody.parse(await unknown.json()).error.details).previewKnown).toBe(false);
    expect((await post('/run', { plan: 'latest' })).status).toBe(400);
  });

  it('pins "nothing to apply" too: the empty plan is refused once a file appears', async () => {
    await publish([v2]);
    expect((await post('/run', { plan: EMPTY_PLAN_ID })).status).toBe(409);
  });
});

describe('GET /pending/:version/sql', () => {
  it('the status lists pending migrations without SQL', async () => {
    await publish([file(2, 'add_owner', '2'.repeat(64), ['ALTER TABLE projects ADD COLUMN owner VARCHAR'])]);
    const res = await h.call(`${ADMIN_PREFIX}/status?view=full`, { role: 'viewer' });
    const text = await res.text();
    expect(text).not.toContain('ALTER TABLE');
    expect(JSON.parse(text).snapshot.status.pending[0]).toEqual(expect.objectContaining({ statementCount: 1, sizeBytes: 47 }));
  });

  it('pages through the statements, each capped at the preview size with its real size', async () => {
    const huge = `INSERT INTO seed VALUES ${Array.from({ length: 5000 }, (_, i) => `(${i}, 'row ${i}')`).join(', ')}`;
    const statements = [...Array.from({ length: 30 }, (_, i) => `CREATE TABLE t${i} (id INTEGER)`), huge];
    await publish([file(7, 'seed', '7'.repeat(64), statements)]);

    const first = await h.call(`${ADMIN_PREFIX}/pending/7/sql?offset=0&limit=10`, { role: 'viewer' });
    expect(first.status).toBe(200);
    const page = PendingSqlResponse.parse(await first.json());
    expect(page).toMatchObject({ version: 7, file: '007_seed.sql', statementCount: 31, available: 31, offset: 0, statementPreviewBytes: STATEMENT_PREVIEW_BYTES });
    // the file as written, one piece per statement
    expect(page.statements.map((s) => s.sql)).toEqual(statements.slice(0, 10).map((s) => `${s};`));
    expect(page.statements.map((s) => s.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const last = PendingSqlResponse.parse(await (await h.call(`${ADMIN_PREFIX}/pending/7/sql?offset=30&limit=10`, { role: 'viewer' })).json());
    expect(last.statements).toHaveLength(1);
    expect(last.statements[0]).toMatchObject({ index: 30, truncated: true, sizeBytes: Buffer.byteLength(`${huge};`) });
    expect(Buffer.byteLength(last.statements[0]!.sql)).toBeLessThanOrEqual(STATEMENT_PREVIEW_BYTES);
    expect(huge.startsWith(last.statements[0]!.sql)).toBe(true);
  });

  it('404 for a version that is not pending; 400 for a page larger than 100', async () => {
    await publish([file(2, 'add_owner', '2'.repeat(64), ['SELECT 1'])]);
    expect((await h.call(`${ADMIN_PREFIX}/pending/9/sql`, { role: 'viewer' })).status).toBe(404);
    expect((await h.call(`${ADMIN_PREFIX}/pending/2/sql?limit=1000`, { role: 'viewer' })).status).toBe(400);
  });

  it('needs a token', async () => {
    await publish([file(2, 'add_owner', '2'.repeat(64), ['SELECT 1'])]);
    expect((await h.call(`${ADMIN_PREFIX}/pending/2/sql`)).status).toBe(401);
  });
});
