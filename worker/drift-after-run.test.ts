// Drift checks after a run (docs/governance.md, drift): the replay of the applied files
// re-executes their data too, so after a run that found no drift and applied its files the
// worker takes the schema it just produced as what those files produce, instead of replaying
// them all again; drift that was there before the run is still reported. Observed through a
// migration whose replay cannot run again (its seed file is gone after the run).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from '../test/support/db.js';
import { loadWorkerConfig } from './config.js';
import { DatabaseOwner } from './database-owner.js';

let box: Sandbox | undefined;
let owner: DatabaseOwner | undefined;
afterEach(async () => {
  await owner?.close();
  box?.cleanup();
  owner = box = undefined;
});

/** An owner whose migrations may read `seeds/`, with 005 seeding a table from seeds/rows.csv. */
async function ownerWithSeedMigration(): Promise<{ owner: DatabaseOwner; csv: string }> {
  box = sandbox();
  const seeds = join(box.dir, 'seeds');
  mkdirSync(seeds);
  const csv = join(seeds, 'rows.csv');
  writeFileSync(csv, 'id,name\n1,a\n2,b\n');
  const config = loadWorkerConfig({ DUCKMIG_DB: box.dbPath, DUCKMIG_MIGRATIONS: box.migrationsDir, DUCKMIG_ALLOWED_PATHS: seeds });
  owner = await DatabaseOwner.open({ dbPath: config.dbPath, migrationsDir: config.migrationsDir, restore: { ...config.restore, enabled: false }, allowedPaths: config.allowedPaths, logger: pino({ level: 'silent' }) });
  // 001–004 first, so the run under test starts from a checked database
  const first = await owner.exclusive((held) => owner!.run(held, { appliedBy: 'test' }));
  expect(first.status).toBe('success');
  box.write('005_seed.sql', `CREATE TABLE seeded AS SELECT * FROM read_csv('${csv}');\n`);
  return { owner, csv };
}

describe('drift checks after a run', () => {
  it('take the schema a drift-free run produced as what its files produce: no replay of them', async () => {
    const { owner, csv } = await ownerWithSeedMigration();
    const run = await owner.exclusive((held) => owner.run(held, { appliedBy: 'test' }));
    expect(run.status).toBe('success');
    // replaying 005 now would fail: its seed is gone
    rmSync(csv);
    const report = await owner.checkDrift();
    expect(report).toMatchObject({ version: 5, drifted: false, error: null });
  });

  it('a run that skipped the check (allowDrift) leaves the next check to the replay', async () => {
    const { owner, csv } = await ownerWithSeedMigration();
    const run = await owner.exclusive((held) => owner.run(held, { appliedBy: 'test' }, true));
    expect(run.status).toBe('success');
    rmSync(csv);
    const report = await owner.checkDrift();
    expect(report.version).toBe(5);
    expect(report.error).toMatch(/replaying the applied files up to version 5 failed/);
  });

  it('drift made before a run (applied anyway with allowDrift) is still reported after it', async () => {
    const { owner } = await ownerWithSeedMigration();
    await owner.exclusive(({ db }) => db.connection.run('CREATE TABLE made_by_hand (id INTEGER)'));
    const refused = await owner.exclusive((held) => owner.run(held, { appliedBy: 'test' }));
    expect(refused).toMatchObject({ status: 'invalid', errorCode: 'drifted' });
    const run = await owner.exclusive((held) => owner.run(held, { appliedBy: 'test' }, true));
    expect(run.status).toBe('success');
    const report = await owner.checkDrift();
    expect(report).toMatchObject({ version: 5, drifted: true, error: null });
    expect(JSON.stringify(report.differences)).toContain('made_by_hand');
  });
});
