// Specification: a run fenced by a token writes the file only while its token is the
// newest the file has seen and its writer still holds its lease; a refused run writes
// nothing at all (no migration, no failure row, no history row), and a newer token wins.
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { readFence, type WriteFence } from './write-fence.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const fence = (token: number, held = () => true): WriteFence => ({ shard: 's1', token, held });
const count = async (db: Parameters<typeof scalar>[0], table: string) => Number(await scalar(db, `SELECT count(*) FROM ${table}`));

describe('a fenced run', () => {
  it('stores its token with the migrations it applies', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const result = await runner.run({ fence: fence(3), target: 2 });
    expect(result.status).toBe('success');
    expect(await readFence(db.connection, 's1')).toBe(3);
    expect(await count(db, "schema_migrations WHERE status = 'applied'")).toBe(2);
    await db.close();
  });

  it('is refused by a file that a newer token wrote, and writes nothing', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    await runner.run({ fence: fence(5), target: 1 });
    const ledger = await count(db, 'schema_migrations');
    const runs = await count(db, 'schema_migration_runs');
    const stale = await runner.run({ fence: fence(4) });
    expect(stale.status).toBe('failed');
    expect(stale.errorCode).toBe('lease-lost');
    expect(stale.toVersion).toBe(1);
    expect(await count(db, 'schema_migrations')).toBe(ledger);
    expect(await count(db, 'schema_migration_runs')).toBe(runs);
    expect(await readFence(db.connection, 's1')).toBe(5);
    // the newer owner goes on
    expect((await runner.run({ fence: fence(6) })).status).toBe('success');
    await db.close();
  });

  it('refused before its first write leaves a new file without any table of duckmig, and the next owner creates them with its claim', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    const refused = await runner.run({ fence: fence(2, () => false) });
    expect(refused.errorCode).toBe('lease-lost');
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('schema_migrations', 'schema_migration_runs', 'schema_version', 'duckmig_fence')")).toBe(0n);
    const next = await runner.run({ fence: fence(3), target: 1 });
    expect(next.status).toBe('success');
    expect(await readFence(db.connection, 's1')).toBe(3);
    expect(await scalar(db, 'SELECT status FROM schema_migration_runs')).toBe('success');
    await db.close();
  });

  it('whose writer loses its lease mid-run rolls the migration in progress back and records nothing more', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box);
    let held = true;
    // the lease is lost while the second migration runs
    runner.events.onEvent((event) => {
      if (event.type === 'migration:start' && event.version === 2) held = false;
    });
    const result = await runner.run({ fence: fence(1, () => held) });
    expect(result.status).toBe('failed');
    expect(result.errorCode).toBe('lease-lost');
    expect(result.toVersion).toBe(1);
    expect(result.migrations.map((m) => m.status)).toEqual(['applied', 'failed', 'not-run', 'not-run']);
    expect(await count(db, 'schema_migrations')).toBe(1);
    expect(await scalar(db, 'SELECT status FROM schema_migration_runs')).toBe('running');
    await db.close();
  });

  it('keeps its token on its own run-history row: a new file gets no table for it', async () => {
    box = sandbox();
    const { db, runner } = await openRunner(box, { legacyVersions: 'adopted' });
    const result = await runner.run({ fence: fence(4), target: 2 });
    expect(result.status).toBe('success');
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'duckmig_fence'")).toBe(0n);
    expect(await rowsOf(db, 'SELECT run_id, status, fence_shard, fence_token FROM schema_migration_runs')).toEqual([{ run_id: result.runId, status: 'success', fence_shard: 's1', fence_token: 4 }]);
    // an older token is refused by it, a newer one goes on
    expect((await runner.run({ fence: fence(3) })).errorCode).toBe('lease-lost');
    expect((await runner.run({ fence: fence(5) })).status).toBe('success');
    expect(await readFence(db.connection, 's1')).toBe(5);
    await db.close();
  });

  it('on a file whose run history has no fence columns (fenced by an earlier duckmig) keeps using its duckmig_fence table', async () => {
    box = sandbox();
    // what an earlier duckmig left: a run history without the fence columns, the token in a table
    const earlier = await openRunner(box, { legacyVersions: 'adopted' });
    expect((await earlier.runner.run({ target: 1 })).status).toBe('success');
    await earlier.db.connection.run("CREATE TABLE duckmig_fence (shard VARCHAR NOT NULL, token BIGINT NOT NULL); INSERT INTO duckmig_fence VALUES ('s1', 7)");
    await earlier.db.close();

    const { db, runner } = await openRunner(box, { legacyVersions: 'adopted' });
    expect((await runner.run({ fence: fence(6) })).errorCode).toBe('lease-lost');
    expect((await runner.run({ fence: fence(8), target: 2 })).status).toBe('success');
    expect(await rowsOf(db, 'SELECT shard, token FROM duckmig_fence')).toEqual([{ shard: 's1', token: 8 }]);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'schema_migration_runs' AND column_name = 'fence_token'")).toBe(0n);
    expect(await readFence(db.connection, 's1')).toBe(8);
    await db.close();
  });

  it('on a file with a crashed run: records it as crashed, and its own mark carries the claim', async () => {
    box = sandbox();
    const first = await openRunner(box, { legacyVersions: 'adopted' });
    expect((await first.runner.run({ fence: fence(1), target: 1 })).status).toBe('success');
    // a run that died: its mark stays 'running'
    await first.db.connection.run(
      "INSERT INTO schema_migration_runs (run_id, mode, status, started_at, finished_at, duration_ms, from_version, to_version, migrations, fence_shard, fence_token) VALUES ('dead', 'apply', 'running', TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:00:00', 0, 1, 1, '[]', 's1', 2)",
    );
    await first.db.close();

    const { db, runner } = await openRunner(box, { legacyVersions: 'adopted' });
    const result = await runner.run({ fence: fence(3) });
    expect(result.status).toBe('success');
    expect(await rowsOf(db, 'SELECT run_id, status, fence_token FROM schema_migration_runs ORDER BY started_at')).toEqual([
      { run_id: 'dead', status: 'crashed', fence_token: 2 },
      { run_id: expect.any(String), status: 'success', fence_token: 1 },
      { run_id: result.runId, status: 'success', fence_token: 3 },
    ]);
    await db.close();
  });
});
