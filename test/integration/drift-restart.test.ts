// A restarted worker's drift check (docs/governance.md, drift): the schema the applied files
// produce is kept in Redis by the worker that applied them, so a worker starting again over
// the same applied files compares the live schema with it instead of replaying every file
// (which re-executes their data: a long CREATE TABLE … AS, a seed read from a file). Observed
// through a seed migration whose replay cannot run after the run (its CSV is removed): the
// restarted worker still reports no drift and no error, and changes made by hand while it
// was stopped are still found.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DriftResponse } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
let seeds: string;
beforeAll(async () => {
  seeds = join(mkdtempSync(join(tmpdir(), 'duckmig-seeds-')), 'seeds');
  mkdirSync(seeds);
  sys = await startSystem({ env: { DUCKMIG_ALLOWED_PATHS: seeds } });
});
afterAll(async () => {
  await sys?.stop();
  rmSync(join(seeds, '..'), { recursive: true, force: true });
});

/** The drift report of a check made after `since` (the worker checks at start and after each job). */
async function driftCheckedAfter(since: number): Promise<DriftResponse['drift']> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${sys.url}/api/v1/admin/migrations/drift`, { headers: { authorization: `Bearer ${sys.tokens.viewer}` } });
    const report = DriftResponse.parse(await res.json()).drift;
    if ((report && Date.parse(report.checkedAt) > since) || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const SLOW = 90_000;

it('compares with the schema the applied files produced, without replaying them, and still finds changes made by hand', async () => {
  const csv = join(seeds, 'plans.csv');
  writeFileSync(csv, 'id,name\n1,free\n2,team\n');
  writeFileSync(join(sys.migrationsDir, '005_seed_plans.sql'), `CREATE TABLE plans AS SELECT * FROM read_csv('${csv}');\n`);
  const ran = Date.now();
  const run = await runCli(['run', '--wait', '--api', sys.url], { env: { DUCKMIG_TOKEN: sys.tokens.operator } });
  expect(run.code, run.stderr).toBe(0);
  expect(await driftCheckedAfter(ran)).toMatchObject({ version: 5, drifted: false, error: null });

  // replaying 005 now would fail: its seed is gone
  rmSync(csv);
  const restarted = Date.now();
  await sys.worker.restart();
  expect(await driftCheckedAfter(restarted)).toMatchObject({ version: 5, drifted: false, differences: [], error: null });

  // a change made by hand while the worker was stopped
  await sys.worker.kill('SIGTERM');
  const instance = await DuckDBInstance.create(sys.dbPath);
  const connection = await instance.connect();
  try {
    await connection.run('ALTER TABLE plans ADD COLUMN price DECIMAL(10, 2)');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const again = Date.now();
  await sys.worker.restart();
  const report = await driftCheckedAfter(again);
  expect(report).toMatchObject({ version: 5, drifted: true, error: null });
  expect(report?.differences.map((d) => `${d.change} ${d.kind} ${d.name}`)).toEqual(['extra column plans.price']);
}, SLOW);
