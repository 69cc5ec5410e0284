// Drift detection through the running service: after changes made by hand to the DuckDB
// file while the worker was stopped, the worker (checking at start) reports them in its
// status snapshot, at GET …/migrations/drift, in /metrics and to `duckmig drift --api`
// (exit 1 with the diff; exit 0 while the schema is what the migrations made); a run on the
// drifted database fails with errorCode 'drifted' and applies nothing, and one with
// allowDrift applies.
import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DriftResponse, JobView, StatusResponse } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(() => sys?.stop());

const remote = (args: string[], token = sys.tokens.operator) => runCli([...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: token } });

async function get(path: string): Promise<Response> {
  return fetch(`${sys.url}${path}`, { headers: { authorization: `Bearer ${sys.tokens.viewer}` } });
}

async function drift(): Promise<DriftResponse['drift']> {
  return DriftResponse.parse(await (await get('/api/v1/admin/migrations/drift')).json()).drift;
}

/** The drift report once the worker checked version `version` (it checks right after each job ends). */
async function driftAt(version: number): Promise<DriftResponse['drift']> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const report = await drift();
    if (report?.version === version || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function metric(name: string): Promise<string | undefined> {
  const text = await (await get('/metrics')).text();
  return new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
}

/** Changes the file the way someone with a DuckDB shell would, while the worker is stopped. */
async function byHand(...statements: string[]): Promise<void> {
  await sys.worker.kill('SIGTERM');
  const instance = await DuckDBInstance.create(sys.dbPath);
  const connection = await instance.connect();
  try {
    for (const s of statements) await connection.run(s);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  await sys.worker.restart();
}

/** Under load on two shared cores a step of the service may take a while. */
const SLOW = 90_000;

it('a freshly migrated database has no drift (API, metrics, duckmig drift --api exit 0)', async () => {
  expect((await remote(['run', '--wait'])).code).toBe(0);
  expect(await driftAt(4)).toMatchObject({ version: 4, drifted: false, differences: [], error: null });
  expect(await metric('duckmig_schema_drift')).toBe('0');
  const cli = await remote(['drift'], sys.tokens.viewer);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toContain('no drift');
}, SLOW);

it('changes made by hand while the worker was stopped are reported in the status, the drift route, /metrics and duckmig drift --api (exit 1)', async () => {
  await byHand('ALTER TABLE projects ADD COLUMN note VARCHAR', 'CREATE TABLE extra (id INTEGER)', 'DROP INDEX idx_links_project');

  const status = StatusResponse.parse(await (await get('/api/v1/admin/migrations/status?view=full')).json());
  expect(status.snapshot?.drift?.drifted).toBe(true);
  const expected = ['extra table extra', 'extra column extra.id', 'extra column projects.note', 'missing index idx_links_project'];
  expect(status.snapshot?.drift?.differences.map((d) => `${d.change} ${d.kind} ${d.name}`)).toEqual(expected);
  expect((await drift())?.differences.map((d) => `${d.change} ${d.kind} ${d.name}`)).toEqual(expected);
  expect(await metric('duckmig_schema_drift')).toBe('1');
  expect(await metric('duckmig_schema_drift_differences')).toBe('4');

  const cli = await remote(['drift'], sys.tokens.viewer);
  expect(cli.code).toBe(1);
  expect(cli.stdout).toMatch(/^ {2}\+ extra column projects\.note {2}VARCHAR/m);
  expect(cli.stdout).toMatch(/^ {2}- missing index idx_links_project\b/m);
}, SLOW);

it('a run on the drifted database fails with errorCode drifted and applies nothing; with allowDrift it applies', async () => {
  writeFileSync(join(sys.migrationsDir, '005_tickets.sql'), 'CREATE TABLE tickets (id INTEGER);\n');
  const refused = await remote(['run', '--wait', '--json']);
  expect(refused.code).toBe(1);
  const job = JobView.parse(JSON.parse(refused.stdout));
  expect(job.errorCode).toBe('drifted');
  expect(job.result).toMatchObject({ status: 'invalid', toVersion: 4 });
  expect(job.failedReason).toContain('extra table extra, extra column extra.id, extra column projects.note and 1 more');

  const allowed = await remote(['run', '--wait', '--allow-drift']);
  expect(allowed.code).toBe(0);
  expect(allowed.stdout).toContain('done: version 4 → 5');
  // checked again after the run: the hand-made changes are still there, 005 is not drift
  const after = await driftAt(5);
  expect(after).toMatchObject({ version: 5, drifted: true });
  expect(after?.differences).toHaveLength(4);
}, SLOW);
