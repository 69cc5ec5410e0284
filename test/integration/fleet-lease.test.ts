// Specification of shard ownership with real processes on shared storage (two fleet
// workers, one shard, the same files): one owner at a time through the lease; a standby
// takes over a killed owner's shard and runs the target jobs waiting there; an owner
// paused past its lease wakes up to find it lost, and the files refuse its fencing token;
// a SIGTERM'd owner finishes its target in flight and hands the lease over at once.
import { afterEach, describe, expect, it } from 'vitest';
import { ShardState } from '../../contract/index.js';
import { Database, FileMigrationSource, MigrationRunner, readFence } from '../../core/index.js';
import { startTestFleet, targetJob, type TestFleet } from '../support/fleet-workers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

const MIGRATIONS = {
  '001_accounts.sql': 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);',
  '002_invoices.sql': 'CREATE TABLE invoices (id INTEGER, account_id INTEGER, total DECIMAL(12, 2));',
};

async function fenceOf(file: string): Promise<number | null> {
  const db = await Database.open(file, { attempts: 1 });
  try {
    return await readFence(db.connection, 'shard-a');
  } finally {
    await db.close();
  }
}

describe('shard leases on shared storage', () => {
  it('a standby takes over from a killed owner and runs the target jobs waiting in the shard queue', async () => {
    const ids = ['t1', 't2', 't3', 't4', 't5', 't6'];
    fleet = await startTestFleet({ targets: ids, migrations: MIGRATIONS });
    const owner = await fleet.startWorker('worker-a');
    await owner.waitForOutput('"event":"fleet:consuming"');
    const standby = await fleet.startWorker('worker-b');
    expect(await fleet.client.get(fleet.keys.lease('shard-a'))).toBe('worker-a:1');

    await owner.kill('SIGKILL');
    const { outcomes } = await fleet.runTargets('shard-a', ids.map((id) => targetJob('run-1', id)));
    const done = await outcomes;
    expect(done.map((o) => [o.id, o.result, o.worker])).toEqual(ids.map((id) => [id, 'succeeded', 'worker-b']));
    expect(standby.output()).toContain('"event":"lease:acquired"');
    expect(await fleet.client.get(fleet.keys.lease('shard-a'))).toBe('worker-b:2');
    expect(ShardState.parse(JSON.parse((await fleet.client.hget(fleet.keys.shards, 'shard-a'))!))).toMatchObject({ owner: 'worker-b', token: 2 });
    // every file was written under the new owner's token
    for (const id of ids) expect(await fenceOf(fleet.file(id))).toBe(2);
  }, 120_000);

  it('an owner paused past its lease loses it on waking, and the files refuse its token', async () => {
    fleet = await startTestFleet({ targets: ['acme'], migrations: MIGRATIONS });
    const owner = await fleet.startWorker('worker-a');
    await owner.waitForOutput('"event":"fleet:consuming"');
    expect((await (await fleet.runTargets('shard-a', [targetJob('run-1', 'acme')])).outcomes)[0]).toMatchObject({ result: 'succeeded', worker: 'worker-a' });
    expect(await fenceOf(fleet.file('acme'))).toBe(1);
    const standby = await fleet.startWorker('worker-b');

    // the owner stops answering (a long GC pause, a frozen VM): its lease runs out
    process.kill(owner.pid!, 'SIGSTOP');
    await standby.waitForOutput('"event":"fleet:consuming"', 30_000);
    writeFileSync(join(fleet.migrationsDir, '003_payments.sql'), 'CREATE TABLE payments (id INTEGER, invoice_id INTEGER);');
    expect((await (await fleet.runTargets('shard-a', [targetJob('run-2', 'acme')])).outcomes)[0]).toMatchObject({ result: 'succeeded', worker: 'worker-b', toVersion: 3 });
    expect(await fenceOf(fleet.file('acme'))).toBe(2);

    // on waking, the old owner finds its lease gone and stops consuming
    process.kill(owner.pid!, 'SIGCONT');
    await owner.waitForOutput('"event":"fleet:stopped-consuming"', 30_000);
    expect(await fleet.client.get(fleet.keys.lease('shard-a'))).toBe('worker-b:2');

    // whatever it still tried, the file refuses its token: a run under token 1 writes nothing
    writeFileSync(join(fleet.migrationsDir, '004_refunds.sql'), 'CREATE TABLE refunds (id INTEGER);');
    const db = await Database.open(fleet.file('acme'), { attempts: 1 });
    try {
      const runner = new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(fleet.migrationsDir), database: db });
      const stale = await runner.run({ runId: 'stale', fence: { shard: 'shard-a', token: 1, held: () => true } });
      expect(stale).toMatchObject({ status: 'failed', errorCode: 'lease-lost', toVersion: 3 });
      const refunds = await db.connection.runAndReadAll("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'refunds'");
      expect(Number(refunds.getRows()[0]![0])).toBe(0);
      const staleRows = await db.connection.runAndReadAll("SELECT count(*) FROM schema_migration_runs WHERE run_id = 'stale'");
      expect(Number(staleRows.getRows()[0]![0])).toBe(0);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('a SIGTERM lets the owner finish its target in flight, then hands the lease over at once', async () => {
    fleet = await startTestFleet({
      targets: ['acme', 'globex'],
      migrations: { ...MIGRATIONS, '003_history.sql': 'CREATE TABLE history AS SELECT range AS id, md5(CAST(range AS VARCHAR)) AS digest FROM range(500000);' },
    });
    // debug: a fleet worker logs its runner's events (migration:start) only at debug
    const owner = await fleet.startWorker('worker-a', { DUCKMIG_LEASE_TTL_MS: '60000', LOG_LEVEL: 'debug' });
    await owner.waitForOutput('"event":"fleet:consuming"');
    const { outcomes } = await fleet.runTargets('shard-a', [targetJob('run-1', 'acme')]);
    await owner.waitForOutput('"type":"migration:start","runId":"run-1","version":3', 60_000);
    await owner.kill('SIGTERM');
    expect(owner.lastExit).toMatchObject({ code: 0 });
    expect((await outcomes)[0]).toMatchObject({ result: 'succeeded', toVersion: 3, worker: 'worker-a' });
    // released, not left to expire (its TTL is a minute)
    expect(await fleet.client.get(fleet.keys.lease('shard-a'))).toBeNull();
    const next = await fleet.startWorker('worker-b', { DUCKMIG_LEASE_TTL_MS: '60000' });
    await next.waitForOutput('"event":"fleet:consuming"');
    expect((await (await fleet.runTargets('shard-a', [targetJob('run-2', 'globex')])).outcomes)[0]).toMatchObject({ result: 'succeeded', worker: 'worker-b' });
  }, 120_000);
});
