// Specification of the fleet's drift checks, on real DuckDB files: a scan reports a target
// whose file was changed by hand (with a plain DuckDB connection while no worker held it)
// as drifted, naming the difference, and the targets left alone (duckmig's ledger and run
// history in them) as ok; the applied files are replayed once per distinct applied list for
// all the worker's targets, never once per target, and not again at the next scan; a change
// reverted by hand is seen at the next scan. Checks that want one list at once share its
// replay, a list learnt from a clean run needs none, and a list whose replay the files
// refuse is tried once per list (drift unknown: the drift last found stays).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryFile } from '../../test/support/duckdb-file.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { TargetState } from '../../contract/index.js';
import { Database, FileMigrationSource, MigrationRunner, readDriftSchema } from '../../core/index.js';
import { migrationsIdOf } from '../../core/migrations-id.js';
import type { MigrationSource } from '../../core/source.js';
import { ExpectedSchemas, DriftFindings, findingOf, type MigrationFiles } from './target-drift.js';
import type { TargetSettings } from './target-file.js';
import { openScanner, type ScanDrift } from './target-scan.js';
import type { Target } from './targets.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MIGRATIONS = {
  '001_accounts.sql': 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);',
  '002_invoices.sql': 'CREATE TABLE invoices (id INTEGER, account_id INTEGER, total DECIMAL(12, 2));',
};

interface Fleet {
  migrationsDir: string;
  settings: TargetSettings;
  target(id: string): Target;
  /** a target file migrated up to `version` (its ledger and run history in it) */
  addTarget(id: string, version: number): void;
  /** the worker's files, counting how often they are read: once per scan, and once per replay */
  files(): MigrationFiles & { reads: () => number };
}

async function fleetAt(versions: number[]): Promise<Fleet> {
  dir = mkdtempSync(join(tmpdir(), 'duckmig-fleet-drift-'));
  const migrationsDir = join(dir, 'migrations');
  mkdirSync(migrationsDir);
  for (const [name, sql] of Object.entries(MIGRATIONS)) writeFileSync(join(migrationsDir, name), sql);
  mkdirSync(join(dir, 'tenants'));
  // one template per version, migrated as a fleet worker does, copied for every target
  for (const version of versions) {
    const db = await Database.open(join(dir, `v${version}.template`), { attempts: 1 });
    const runner = new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(migrationsDir), database: db, legacyVersions: 'adopted' });
    expect((await runner.run({ target: version, runId: 'fleet-run-1' })).status).toBe('success');
    await db.close();
  }
  const target = (id: string): Target => ({ id, file: join(dir, 'tenants', `${id}.duckdb`), path: `${id}.duckdb`, labels: {} });
  return {
    migrationsDir,
    settings: { migrationsDir, threads: 1, secrets: () => [], logger: pino({ level: 'silent' }) },
    target,
    addTarget: (id, version) => copyFileSync(join(dir, `v${version}.template`), target(id).file),
    files() {
      const files = new FileMigrationSource(migrationsDir);
      let reads = 0;
      const source: MigrationSource = { location: files.location, scan: () => (reads++, files.scan()) };
      return { migrationsId: '', source, reads: () => reads };
    },
  };
}

/** SQL on a target's file with a plain DuckDB connection, as someone with a DuckDB shell would. */
const byHand = (file: string, sql: string) => queryFile(file, sql);

/** One scan of these targets, as the catalog makes it (each state read with the previous one). */
async function scan(fleet: Fleet, files: MigrationFiles, drift: ScanDrift, ids: string[], previous = new Map<string, TargetState>()): Promise<Map<string, TargetState>> {
  const migrationsId = migrationsIdOf((await new FileMigrationSource(fleet.migrationsDir).scan()).migrations);
  const scanner = await openScanner(fleet.settings, { ...files, migrationsId }, drift);
  const states = new Map<string, TargetState>();
  try {
    for (const id of ids) states.set(id, await scanner.state(fleet.target(id), { shard: 'shard-a', owner: 'worker-a', previous: previous.get(id) }));
  } finally {
    scanner.close();
  }
  return states;
}

const newDrift = (): ScanDrift => ({ expected: new ExpectedSchemas(), findings: new DriftFindings() });

describe('a scan of the shard', () => {
  it('reports a target changed by hand as drifted and those left alone as ok, replaying once per applied list', async () => {
    const fleet = await fleetAt([1, 2]);
    const atV2 = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    const atV1 = ['u00', 'u01', 'u02', 'u03'];
    for (const id of atV2) fleet.addTarget(id, 2);
    for (const id of atV1) fleet.addTarget(id, 1);
    await byHand(fleet.target('t03').file, 'ALTER TABLE accounts ADD COLUMN note VARCHAR');
    await byHand(fleet.target('u01').file, 'CREATE INDEX accounts_name ON accounts (name)');
    const ids = [...atV1, ...atV2];

    const files = fleet.files();
    const drift = newDrift();
    const first = await scan(fleet, files, drift, ids);
    // one read for the scan's pending counts, then one replay per applied list (1, and 1–2) for 16 targets
    expect(files.reads()).toBe(1 + 2);

    expect(first.get('t03')).toMatchObject({ version: 2, pending: 0, health: 'drifted', drift: { differences: 1, first: ['extra column accounts.note'] } });
    expect(first.get('u01')).toMatchObject({ version: 1, pending: 1, health: 'drifted', drift: { differences: 1, first: ['extra index accounts_name'] } });
    for (const id of atV2.filter((t) => t !== 't03')) expect(first.get(id), id).toMatchObject({ version: 2, pending: 0, health: 'ok' });
    for (const id of atV1.filter((t) => t !== 'u01')) expect(first.get(id), id).toMatchObject({ version: 1, pending: 1, health: 'pending' });
    for (const [id, state] of first) if (id !== 't03' && id !== 'u01') expect(state.drift, id).toBeUndefined();

    // the next scan replays nothing and finds the same
    const second = await scan(fleet, files, drift, ids, first);
    expect(files.reads()).toBe(3 + 1);
    expect([...second].filter(([, s]) => s.health === 'drifted').map(([id]) => id)).toEqual(['u01', 't03']);

    // put back by hand: seen at the next scan, still without a replay
    await byHand(fleet.target('t03').file, 'ALTER TABLE accounts DROP COLUMN note');
    const third = await scan(fleet, files, drift, ids, second);
    expect(files.reads()).toBe(4 + 1);
    expect(third.get('t03')).toMatchObject({ health: 'ok' });
    expect(third.get('t03')!.drift).toBeUndefined();
    expect(third.get('u01')).toMatchObject({ health: 'drifted' });
  }, 60_000);

  it('keeps the drift last found when the files refuse the replay, tried once per applied list, not per target', async () => {
    const fleet = await fleetAt([2]);
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) fleet.addTarget(id, 2);
    await byHand(fleet.target('b').file, 'CREATE TABLE notes (body VARCHAR)');
    const files = fleet.files();
    const first = await scan(fleet, files, newDrift(), ids);
    const notes = { differences: 2, first: ['extra table notes', 'extra column notes.body'] };
    expect(first.get('b')).toMatchObject({ health: 'drifted', drift: notes });

    // an applied file edited since (every run refuses it too), and a worker that has not replayed
    // that list yet (its expected schemas are kept for the files they were made from): drift unknown
    writeFileSync(join(fleet.migrationsDir, '002_invoices.sql'), `${MIGRATIONS['002_invoices.sql']}\n-- edited`);
    await byHand(fleet.target('c').file, 'CREATE TABLE more_notes (body VARCHAR)');
    const before = files.reads();
    const second = await scan(fleet, files, newDrift(), ids, first);
    // the scan's read, and one replay attempt for the four targets
    expect(files.reads() - before).toBe(1 + 1);
    expect(second.get('b')).toMatchObject({ health: 'drifted', drift: notes });
    expect(second.get('c')).toMatchObject({ health: 'ok' });
    expect(second.get('c')!.drift).toBeUndefined();
  }, 60_000);
});

describe('the expected schemas of a worker', () => {
  it('are replayed once for checks that want one list at once, and not at all for a list learnt from a clean run', async () => {
    const fleet = await fleetAt([1, 2]);
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const id of ids) fleet.addTarget(id, 2);
    fleet.addTarget('old', 1);
    await byHand(fleet.target('e').file, 'ALTER TABLE invoices ALTER COLUMN total SET DATA TYPE DOUBLE');
    const opened = await Promise.all([...ids, 'old'].map((id) => Database.open(fleet.target(id).file, { attempts: 1 })));
    try {
      const runnerOf = (db: Database) => new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(fleet.migrationsDir), database: db });
      const applied = await Promise.all(opened.map((db) => runnerOf(db).getAppliedFiles()));
      const lives = await Promise.all(opened.map((db) => readDriftSchema(db.connection)));
      const files = fleet.files();
      const expected = new ExpectedSchemas();

      const reports = await Promise.all(ids.map((_, i) => expected.compare(lives[i]!, applied[i]!, files)));
      expect(files.reads()).toBe(1);
      expect(reports.map((r) => r.drifted)).toEqual([false, false, false, false, true, false]);
      expect(findingOf(reports[4]!)).toMatchObject({ differences: 1, first: ['changed column invoices.total'] });

      // list 1 learnt from the schema a clean run left: no replay of it
      const old = opened.length - 1;
      expected.learn(applied[old]!, lives[old]!.schema);
      expect(await expected.compare(lives[old]!, applied[old]!, files)).toMatchObject({ drifted: false, error: null });
      expect(files.reads()).toBe(1);
    } finally {
      await Promise.all(opened.map((db) => db.close()));
    }
  }, 60_000);
});
