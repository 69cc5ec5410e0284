// Specification: the four migrations reproduce the legacy schema exactly, and databases the
// old application upgraded (v1..v4) are adopted, upgraded and left with their data intact.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { dumpData, insertLegacyData, LEGACY_TABLES_BY_VERSION, legacyUpgrade } from '../test/fixtures/legacy-app.js';
import { openRunner, REPO_MIGRATIONS, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { Database } from './database.js';
import { LEDGER_DDL, LEDGER_TABLES } from './ledger.js';
import { readSchema } from './schema.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

async function legacyReferenceSchema(version: number) {
  const db = await Database.open(':memory:');
  try {
    await legacyUpgrade(db.connection, version);
    return await readSchema(db.connection, LEDGER_TABLES);
  } finally {
    await db.close();
  }
}

describe('the migrations reproduce the legacy schema', () => {
  it('a fresh database migrated to 004 has exactly the schema the old application built', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect(result.migrations.map((m) => [m.version, m.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
      [3, 'applied'],
      [4, 'applied'],
    ]);
    const schema = await readSchema(db.connection, LEDGER_TABLES);
    await db.close();
    const reference = await legacyReferenceSchema(4);
    expect([...schema.values()]).toEqual([...reference.values()]);
    // the reference is not trivially empty: tables, columns, indexes and macros are all there
    const kinds = new Set([...reference.values()].map((o) => o.kind));
    expect(kinds).toEqual(new Set(['table', 'column', 'index', 'macro']));
  });

  it('each prefix 001..00N equals legacy vN', async () => {
    for (const version of [1, 2, 3]) {
      box = sandbox();
      const { db, runner } = await openRunner(box);
      expect((await runner.run({ target: version })).toVersion).toBe(version);
      const schema = await readSchema(db.connection, LEDGER_TABLES);
      await db.close();
      expect([...schema.values()]).toEqual([...(await legacyReferenceSchema(version)).values()]);
      box.cleanup();
    }
  });

  it('001 creates the same ledger table duckmig creates before running anything', () => {
    const sql = readFileSync(`${REPO_MIGRATIONS}/001_initial_schema.sql`, 'utf8');
    expect(sql).toContain(`${LEDGER_DDL};`);
    expect(sql.indexOf('schema_migrations')).toBeLessThan(sql.indexOf('CREATE TABLE IF NOT EXISTS projects'));
  });
});

describe('legacy databases are adopted, never damaged', () => {
  for (const version of [1, 2, 3, 4]) {
    it(`a v${version} database: versions 1..${version} adopted (not re-run), the rest applied, data intact`, async () => {
      box = sandbox();
      const legacy = await Database.open(box.dbPath);
      await legacyUpgrade(legacy.connection, version);
      await insertLegacyData(legacy.connection, version);
      const before = await dumpData(legacy.connection, LEGACY_TABLES_BY_VERSION[version - 1]!);
      await legacy.close();

      const { db, runner } = await openRunner(box);
      const status = await runner.status();
      expect(status.currentVersion).toBe(version);
      expect(status.legacy?.versions).toEqual(Array.from({ length: version }, (_, i) => i + 1));
      expect(status.pending.map((p) => p.version)).toEqual([1, 2, 3, 4].filter((v) => v > version));

      const result = await runner.run({ appliedBy: 'tester' });
      expect(result.status).toBe(version === 4 ? 'nothing-to-do' : 'success');
      expect(result.migrations.map((m) => m.version)).toEqual([1, 2, 3, 4].filter((v) => v > version));

      const ledger = await rowsOf(db, 'SELECT version, status, applied_by FROM schema_migrations ORDER BY version');
      expect(ledger).toEqual(
        [1, 2, 3, 4].map((v) => (v <= version ? { version: v, status: 'adopted', applied_by: 'legacy' } : { version: v, status: 'applied', applied_by: 'tester' })),
      );
      // old builds read MAX(version) from schema_version: it must say 4 now
      expect(await scalar(db, 'SELECT MAX(version) FROM schema_version')).toBe(4);
      expect(await dumpData(db.connection, LEGACY_TABLES_BY_VERSION[version - 1]!, before)).toEqual(before);
      expect(before.rows.projects).toContain('Alpha');
      const schema = await readSchema(db.connection, LEDGER_TABLES);
      await db.close();
      expect([...schema.values()]).toEqual([...(await legacyReferenceSchema(4)).values()]);
    });
  }

  it('an old application build started against an adopted database finds nothing to upgrade', async () => {
    box = sandbox();
    const legacy = await Database.open(box.dbPath);
    await legacyUpgrade(legacy.connection, 2);
    await legacy.close();
    const { db, runner } = await openRunner(box);
    await runner.run();
    // the old code: current = MAX(version); run steps current+1..4 — none must run
    await legacyUpgrade(db.connection, 4);
    expect(await scalar(db, 'SELECT count(*) FROM schema_version')).toBe(4n);
    await db.close();
  });

  it('schema_version lists every version a run applied, past the old builds\' last one too, once the run ends', async () => {
    box = sandbox();
    box.write('005_tags.sql', 'CREATE TABLE tags (id INTEGER);\n');
    box.write('006_labels.sql', 'CREATE TABLE labels (id INTEGER);\n');
    const { db, runner } = await openRunner(box);
    expect((await runner.run({ target: 5 })).status).toBe('success');
    expect(await scalar(db, 'SELECT MAX(version) FROM schema_version')).toBe(5);
    expect((await runner.run()).status).toBe('success');
    expect(await rowsOf(db, 'SELECT version FROM schema_version ORDER BY version')).toEqual([1, 2, 3, 4, 5, 6].map((version) => ({ version })));
    await db.close();
  });

  it("with legacyVersions 'adopted' (fleet targets), only a database an old build created keeps schema_version up to date", async () => {
    box = sandbox();
    // a database duckmig created: no old build reads it, so it gets no schema_version at all
    const fresh = await openRunner(box, { legacyVersions: 'adopted' });
    expect((await fresh.runner.run()).status).toBe('success');
    expect(await scalar(fresh.db, 'SELECT count(*) FROM schema_migrations WHERE status = \'applied\'')).toBe(4n);
    expect(await scalar(fresh.db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'")).toBe(0n);
    await fresh.db.close();
    box.cleanup();

    // a database the old application created at v2: 3 and 4 still go into schema_version
    box = sandbox();
    const legacy = await Database.open(box.dbPath);
    await legacyUpgrade(legacy.connection, 2);
    await legacy.close();
    const adopted = await openRunner(box, { legacyVersions: 'adopted' });
    expect((await adopted.runner.run()).status).toBe('success');
    expect(await rowsOf(adopted.db, 'SELECT version FROM schema_version ORDER BY version')).toEqual([1, 2, 3, 4].map((version) => ({ version })));
    await adopted.db.close();
  });

  it('status on a legacy database writes nothing; adoption is recorded on run or adoptLegacy()', async () => {
    box = sandbox();
    const legacy = await Database.open(box.dbPath);
    await legacyUpgrade(legacy.connection, 3);
    await legacy.close();
    const { db, runner } = await openRunner(box);
    await runner.status();
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'")).toBe(0n);
    const info = await runner.adoptLegacy();
    expect(info).toEqual({ versions: [1, 2, 3], adopted: [1, 2, 3] });
    expect(await runner.adoptLegacy()).toEqual({ versions: [1, 2, 3], adopted: [1, 2, 3] });
    expect(await scalar(db, "SELECT count(*) FROM schema_migrations WHERE status = 'adopted'")).toBe(3n);
    await db.close();
  });
});
