// Specification: a run fenced by a token writes the file only while its token is the
// newest the file has seen and its writer still holds its lease; a refused run writes
// nothing at all (no migration, no failure row, no history row), and a newer token wins.
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, sandbox, scalar, type Sandbox } from '../test/support/db.js';
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
});
