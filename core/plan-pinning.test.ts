// Specification: a dry-run names its plan (the ordered versions and checksums of what it
// would apply); a run pinned to that plan applies it, and refuses, applying nothing, once a
// file was edited, added or applied by someone else since. The status gives every pending
// migration the plan id of a run up to it.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_PLAN_ID } from '../contract/index.js';
import { openRunner, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { planIdOf, planIds } from './plan.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

describe('plan pinning', () => {
  it('plan ids: the empty plan is fixed, a prefix has its own id, order and checksums matter', () => {
    expect(EMPTY_PLAN_ID).toBe(createHash('sha256').update('duckmig-plan-v1').digest('hex'));
    const a = { version: 1, checksum: 'a' }, b = { version: 2, checksum: 'b' };
    const ids = planIds([a, b]);
    expect(ids[0]).toBe(planIdOf([a]));
    expect(ids[1]).toBe(planIdOf([a, b]));
    expect(planIdOf([b, a])).not.toBe(ids[1]);
    expect(planIdOf([a, { version: 2, checksum: 'c' }])).not.toBe(ids[1]);
    expect(planIdOf([])).toBe(EMPTY_PLAN_ID);
  });

  it('the dry-run\'s plan id is the status\'s for the same batch, and a run pinned to it applies it', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const preview = await runner.dryRun({ target: 3 });
    const status = await runner.status();
    expect(preview.planId).toBe(status.pending.find((m) => m.version === 3)!.planId);
    const result = await runner.run({ target: 3, plan: preview.planId });
    expect(result.status).toBe('success');
    expect(result.toVersion).toBe(3);
    await db.close();
  });

  it('a file edited after the dry-run: the pinned run is refused, names the file, applies nothing', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const preview = await runner.dryRun({ rehearse: true });
    const before = preview.plan!.map(({ version, name, file, checksum }) => ({ version, name, file, checksum }));
    box.write('004_add_upload_settings.sql', 'DROP TABLE IF EXISTS upload_settings;\n');
    const result = await runner.run({ plan: preview.planId, previewedPlan: before });
    expect(result.status).toBe('invalid');
    expect(result.errorCode).toBe('plan-changed');
    expect(result.error).toContain('004_add_upload_settings.sql changed');
    expect(result.error).toContain('nothing was applied');
    expect(result.migrations.every((m) => m.status === 'not-run')).toBe(true);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'projects'")).toBe(0n);
    // without the previewed entries the refusal still holds, in general words
    expect((await runner.run({ plan: preview.planId })).status).toBe('invalid');
    await db.close();
  });

  it('a plan made before someone else applied part of it is refused', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const preview = await runner.dryRun();
    await runner.run({ target: 1 });
    const result = await runner.run({ plan: preview.planId });
    expect(result.status).toBe('invalid');
    expect(await scalar(db, "SELECT count(*) FROM schema_migrations WHERE version > 1")).toBe(0n);
    await db.close();
  });
});
