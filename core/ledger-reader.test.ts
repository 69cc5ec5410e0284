// Specification of the cheap ledger read a fleet scan does: the versions it reports are the
// ones the runner itself counts as applied (undone ones excluded, the old application's
// schema_version adopted), with the checksums the runner gives drift checks, another tool's
// schema_migrations counts as nothing applied, a database without a ledger has nothing
// applied, a WAL not yet checkpointed is read with the file (its schema too, when asked,
// duckmig's ledger left out), and the read leaves every file exactly as it was (no byte
// written, no ledger created).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { legacyUpgrade } from '../test/fixtures/legacy-app.js';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { LedgerReader } from './ledger-reader.js';

let box: Sandbox | undefined;
let reader: LedgerReader | undefined;
afterEach(() => {
  reader?.close();
  reader = undefined;
  box?.cleanup();
  box = undefined;
});

/** Runs SQL on a file with a plain DuckDB instance; `keepWal` leaves its writes in the WAL. */
async function onFile(path: string, sql: string[], keepWal = false): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  if (keepWal) await connection.run('PRAGMA disable_checkpoint_on_shutdown');
  for (const q of sql) await connection.run(q);
  connection.closeSync();
  instance.closeSync();
}

describe('LedgerReader', () => {
  it('reports the versions the runner counts as applied, an undone one excluded', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_a.sql', 'CREATE TABLE a (id INTEGER);');
    box.write('002_b.sql', 'CREATE TABLE b (id INTEGER);');
    box.write('003_c.sql', 'CREATE TABLE c (id INTEGER);');
    const { db, runner } = await openRunner(box);
    expect((await runner.run()).status).toBe('success');
    // as an undo of version 3 leaves it: an 'undone' row after its 'applied' one, and its schema_version row gone
    await db.connection.run("INSERT INTO schema_migrations SELECT * REPLACE ('undone' AS status, now() AS applied_at) FROM schema_migrations WHERE version = 3");
    await db.connection.run('DELETE FROM schema_version WHERE version = 3');
    const expected = (await runner.getAppliedMigrations()).map((e) => e.version);
    const files = await runner.getAppliedFiles();
    await db.close();
    expect(expected).toEqual([1, 2]);

    reader = await LedgerReader.open(1);
    expect(await reader.read(box.dbPath)).toEqual({ applied: expected, files, foreign: false });
  });

  it("adopts the old application's schema_version, and counts another tool's ledger as nothing applied", async () => {
    box = sandbox();
    const legacy = `${box.dir}/legacy.duckdb`;
    const instance = await DuckDBInstance.create(legacy);
    const connection = await instance.connect();
    await legacyUpgrade(connection, 3);
    connection.closeSync();
    instance.closeSync();
    const foreign = `${box.dir}/foreign.duckdb`;
    await onFile(foreign, ['CREATE TABLE schema_migrations (version BIGINT, dirty BOOLEAN)', 'INSERT INTO schema_migrations VALUES (7, false)']);

    reader = await LedgerReader.open();
    // the runner counts those with their files' checksums: the reader knows no files
    const unrecorded = [1, 2, 3].map((version) => ({ version, checksum: null }));
    expect(await reader.read(legacy)).toEqual({ applied: [1, 2, 3], files: unrecorded, foreign: false });
    expect(await reader.read(foreign)).toEqual({ applied: [], files: [], foreign: true });
  });

  it('reads a WAL not yet checkpointed, and writes nothing to any file it reads', async () => {
    box = sandbox({ copyMigrations: false });
    const empty = `${box.dir}/empty.duckdb`;
    await onFile(empty, ['CREATE TABLE notes (body VARCHAR)']);
    const walled = `${box.dir}/walled.duckdb`;
    await onFile(walled, [
      'CREATE TABLE schema_migrations (version BIGINT, name VARCHAR, checksum VARCHAR, status VARCHAR, applied_at TIMESTAMP, duration_ms BIGINT, applied_by VARCHAR, run_id VARCHAR, job_id VARCHAR, error VARCHAR)',
      "INSERT INTO schema_migrations VALUES (5, 'five', 'x', 'applied', now(), 1, 'test', NULL, NULL, NULL)",
    ], true);
    expect(existsSync(`${walled}.wal`)).toBe(true);
    const before = [readFileSync(empty), readFileSync(walled), readFileSync(`${walled}.wal`)];

    reader = await LedgerReader.open();
    expect(await reader.read(empty)).toEqual({ applied: [], files: [], foreign: false });
    expect(await reader.read(walled)).toEqual({ applied: [5], files: [{ version: 5, checksum: 'x' }], foreign: false });
    const tables = async (path: string) => (await reader!.read(path, { liveSchema: true })).live?.schema;
    expect(await tables(empty)).toMatchObject({ tables: [{ name: 'notes' }], excluded: [] });
    expect(await tables(walled)).toMatchObject({ tables: [], excluded: ['schema_migrations'] });
    expect([readFileSync(empty), readFileSync(walled), readFileSync(`${walled}.wal`)]).toEqual(before);
    expect(existsSync(`${empty}.wal`)).toBe(false);
  });

  it('refuses a file beside a restore journal and a file that is not a database, and goes on reading others', async () => {
    box = sandbox({ copyMigrations: false });
    const journaled = `${box.dir}/journaled.duckdb`;
    await onFile(journaled, ['CREATE TABLE notes (body VARCHAR)']);
    writeFileSync(`${journaled}.restore-journal`, '{}');
    const corrupt = `${box.dir}/corrupt.duckdb`;
    writeFileSync(corrupt, Buffer.alloc(64 * 1024, 0x5a));
    const fine = `${box.dir}/fine.duckdb`;
    await onFile(fine, ['CREATE TABLE notes (body VARCHAR)']);

    reader = await LedgerReader.open();
    await expect(reader.read(journaled)).rejects.toThrow(/restore's journal/);
    await expect(reader.read(corrupt)).rejects.toThrow();
    expect(await reader.read(fine)).toEqual({ applied: [], files: [], foreign: false });
  });
});
