// Undo through the queue, as an admin does it from a deploy job: preview (operator) with
// dropped data and a plan id, the undo itself pinned to that plan (admin only), the history
// and ledger that say who undid what and why, a re-run that applies the files again, and a
// migration without a down script refused with the restore point to go back to instead.
// Real API, worker and Redis processes, the real CLI in remote mode. One system for the file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, JobView, StatusResponse } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
beforeAll(async () => {
  sys = await startSystem({
    migrations: {
      '001_accounts.sql': "CREATE TABLE accounts (id INTEGER, name VARCHAR);\nINSERT INTO accounts VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');\n",
      '001_accounts.down.sql': 'DROP TABLE accounts;\n',
      '002_account_email.sql': "ALTER TABLE accounts ADD COLUMN email VARCHAR;\nUPDATE accounts SET email = 'ann@example.com' WHERE id = 1;\n",
      '002_account_email.down.sql': 'ALTER TABLE accounts DROP COLUMN email;\n',
      '003_orders.sql': '-- migrate:up\nCREATE TABLE orders (id INTEGER, account_id INTEGER);\nINSERT INTO orders VALUES (1, 1), (2, 3);\n\n-- migrate:down\nDROP TABLE orders;\n',
    },
  });
});
afterAll(() => sys?.stop());

const remote = (args: string[], token: string) => runCli([...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: token } });
const api = (path: string, token: string, body?: unknown) =>
  fetch(`${sys.url}${ADMIN_PREFIX}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const status = async () => StatusResponse.parse(await (await api('/status?view=full', sys.tokens.viewer)).json());

describe('undo through the API and the worker', () => {
  it('preview → undo pinned to its plan (admins only) → history and ledger say who and why → a run applies the files again', { timeout: 120_000 }, async () => {
    expect((await remote(['run', '--wait'], sys.tokens.operator)).code).toBe(0);

    const previewed = await remote(['undo', '--to', '1', '--preview', '--json'], sys.tokens.operator);
    expect(previewed.code).toBe(0);
    const preview = JobView.parse(JSON.parse(previewed.stdout));
    expect(preview).toMatchObject({ kind: 'undo-preview', state: 'completed' });
    expect(preview.result?.undo?.dropped).toEqual({
      tables: [{ name: 'orders', rows: 2 }],
      columns: [{ table: 'accounts', column: 'email', rows: 3, nonNull: 1 }],
    });
    const plan = preview.result!.planId!;
    expect((await status()).snapshot?.status.currentVersion).toBe(3);

    const denied = await api('/undo', sys.tokens.operator, { to: 1, plan });
    expect(denied.status).toBe(403);

    const undone = await remote(['undo', '--to', '1', '--plan', plan, '--reason', 'release 7 rolled back', '--wait'], sys.tokens.admin);
    expect(undone.code).toBe(0);
    expect(undone.stdout).toMatch(/↶\s+3\s+orders\s+undone/);
    expect(undone.stdout).toContain('done: version 3 → 1');
    const jobId = /job (\S+): completed/.exec(undone.stdout)![1];

    const after = (await status()).snapshot!;
    expect(after.status.currentVersion).toBe(1);
    expect(after.status.pending.map((p) => p.version)).toEqual([2, 3]);
    expect(after.runs[0]).toMatchObject({ runId: jobId, mode: 'undo', status: 'success', requestedBy: 'admin', reason: 'release 7 rolled back', fromVersion: 3, toVersion: 1 });
    expect(after.status.ledger.filter((e) => e.status === 'undone').map((e) => [e.version, e.appliedBy, e.runId])).toEqual([
      [3, 'admin', jobId],
      [2, 'admin', jobId],
    ]);
    // a restore point was taken before the undo ran anything
    expect(after.runs[0]!.restorePoint?.version).toBe(3);

    expect((await remote(['run', '--wait'], sys.tokens.operator)).code).toBe(0);
    expect((await status()).snapshot?.status.currentVersion).toBe(3);
  });

  it('a migration without a down script refuses the undo and offers the newest restore point at or below the target, saying what it loses', { timeout: 120_000 }, async () => {
    writeFileSync(join(sys.migrationsDir, '004_audit.sql'), 'CREATE TABLE audit (logged_at TIMESTAMP);\n');
    expect((await remote(['run', '--wait'], sys.tokens.operator)).code).toBe(0);
    const points = (await status()).snapshot!.restorePoints;
    const before004 = points.find((p) => p.version === 3)!;

    const res = await remote(['undo', '--to', '3', '--wait', '--json'], sys.tokens.admin);
    expect(res.code).toBe(1);
    const job = JobView.parse(JSON.parse(res.stdout));
    expect(job).toMatchObject({ state: 'failed', errorCode: 'down-missing' });
    expect(job.result?.undo?.missingDown).toEqual([{ version: 4, name: 'audit', file: '004_audit.sql' }]);
    expect(job.result?.undo?.restoreOffer?.restorePoint?.id).toBe(before004.id);
    expect(job.result?.undo?.restoreOffer?.warning).toMatch(/does not know how many rows/);

    const text = await remote(['undo', '--to', '3', '--wait'], sys.tokens.admin);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`duckmig restore ${before004.id}`);
    expect((await status()).snapshot?.status.currentVersion).toBe(4);
  });
});
