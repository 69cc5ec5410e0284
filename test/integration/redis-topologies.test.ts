// duckmig on Redis beyond one node, chosen by REDIS_URL alone: the whole service (API and
// worker processes) runs a migration through a real three-master Redis Cluster, and so does
// a fleet (three fleet worker processes, each its own shard of 100 DuckDB files, a fleet run
// in the default waves requested through the API, every file checked after it), with every key either writes in the one slot of the hash
// tag {duckmig}; and connects through a real Sentinel group to its master (no failover
// here). docs/deployment.md, Redis Cluster and Sentinel.
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { ADMIN_PREFIX, FLEET_PREFIX, FleetRun, FleetRunDetail, StatusResponse, type EnqueuedResponse } from '../../contract/index.js';
import { Database } from '../../core/index.js';
import { LEDGER_SQL, queryFile, TABLES_SQL } from '../support/duckdb-file.js';
import { call, finishedJob } from '../support/live.js';
import { startTestCluster, startTestSentinels, type TestTopology } from '../support/redis-topologies.js';
import { initialSchemaOnly, manage, startSystem, type RunningSystem } from '../support/system.js';

const SECOND = { '002_add_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR);\n' };

/** Enqueues a run through the API, waits for its job, and returns the job and the status after it. */
async function runThrough(sys: RunningSystem) {
  const enqueued = await call<EnqueuedResponse>(sys.url, `${ADMIN_PREFIX}/run`, { token: sys.tokens.operator, body: { reason: 'topology test' } });
  expect(enqueued.status).toBe(202);
  const job = await finishedJob(sys.url, sys.tokens.viewer, enqueued.body.jobId, 60_000);
  const status = StatusResponse.parse((await call(sys.url, `${ADMIN_PREFIX}/status?view=full`, { token: sys.tokens.viewer })).body);
  return { job, status };
}

describe('through a Redis Cluster (REDIS_URL=redis+cluster://…)', () => {
  let cluster: TestTopology;
  let sys: RunningSystem;
  beforeAll(async () => {
    cluster = await startTestCluster();
    sys = await startSystem({ redis: cluster, migrations: { ...initialSchemaOnly(), ...SECOND } });
  });
  afterAll(() => sys?.stop());

  it('a run completes and the status shows every migration applied', async () => {
    const { job, status } = await runThrough(sys);
    expect(job.state).toBe('completed');
    expect(job.result?.status).toBe('success');
    expect(job.result?.migrations.map((m) => [m.version, m.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
    ]);
    expect(status.worker.online).toBe(true);
    expect(status.snapshot?.status.currentVersion).toBe(2);
    expect(status.snapshot?.status.pending).toEqual([]);
    expect(status.queue.completed).toBeGreaterThanOrEqual(1);
  });

  it('a fleet run through the API migrates 300 targets of three fleet workers in waves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duckmig-cluster-fleet-'));
    mkdirSync(join(dir, 'migrations'), { recursive: true });
    writeFileSync(join(dir, 'migrations', '001_accounts.sql'), 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR);\n');
    writeFileSync(join(dir, 'migrations', '002_invoices.sql'), 'CREATE TABLE invoices (id INTEGER, total DECIMAL(12, 2));\n');
    await (await Database.open(join(dir, 'empty.template'), { attempts: 1 })).close();
    // three workers, as three machines would be: each its own shard directory of 100 files
    const targets = Object.fromEntries(['x', 'y', 'z'].map((shard) => [shard, Array.from({ length: 100 }, (_, i) => `${shard}${String(i).padStart(3, '0')}`)]));
    for (const [shard, ids] of Object.entries(targets)) {
      mkdirSync(join(dir, shard));
      for (const id of ids) copyFileSync(join(dir, 'empty.template'), join(dir, shard, `${id}.duckdb`));
    }
    const workers = Object.keys(targets).map((shard) =>
      manage(
        {
          name: 'worker',
          readyEvent: 'worker:ready',
          env: {
            ...process.env,
            REDIS_URL: cluster.url,
            DUCKMIG_DATABASES: join(dir, shard, '*.duckdb'),
            DUCKMIG_SHARD: shard,
            DUCKMIG_WORKER_ID: `fleet-${shard}`,
            DUCKMIG_MIGRATIONS: join(dir, 'migrations'),
            DUCKMIG_DATA_DIR: join(dir, `data-${shard}`),
            DUCKMIG_RESTORE_POINTS: 'off',
            DUCKMIG_DUCKDB_THREADS: '1',
            LOG_LEVEL: 'info',
          },
        },
        () => undefined,
      ),
    );
    try {
      for (const worker of workers) await worker.start();
      await Promise.all(workers.map((w) => w.waitForOutput('"event":"fleet:consuming"', 60_000)));
      const requested = await call(sys.url, `${FLEET_PREFIX}/runs`, { token: sys.tokens.operator, body: { mode: 'run', reason: 'fleet through a cluster' } });
      expect(requested.status, JSON.stringify(requested.body)).toBe(202);
      const runId = FleetRun.parse(requested.body).id;
      // the API's record of the run, polled until it ends (the live channel is another test's subject)
      let detail: FleetRunDetail | undefined;
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await delay(250)) {
        detail = FleetRunDetail.parse((await call(sys.url, `${FLEET_PREFIX}/runs/${runId}?limit=500`, { token: sys.tokens.viewer })).body);
        if (detail.run.finishedAt !== undefined) break;
      }
      expect(detail?.run.status, JSON.stringify(detail?.outcomes.filter((o) => o.result !== 'succeeded').slice(0, 3))).toBe('succeeded');
      // the default waves: the canary alone, then 10 %, then the rest
      expect(detail!.run.waves.map((w) => [w.status, w.targets, w.succeeded])).toEqual([
        ['done', 1, 1],
        ['done', 29, 29],
        ['done', 270, 270],
      ]);
      const all = Object.values(targets).flat();
      expect(detail!.outcomes.map((o) => [o.id, o.result, o.toVersion]).sort()).toEqual(all.map((id) => [id, 'succeeded', 2]).sort());
      expect(new Set(detail!.outcomes.map((o) => o.worker))).toEqual(new Set(['fleet-x', 'fleet-y', 'fleet-z']));
    } finally {
      await Promise.allSettled(workers.map((w) => w.kill('SIGTERM')));
    }
    // every file opens directly, and its ledger matches its schema: 001 and 002 applied, their two tables and duckmig's own
    for (const [shard, ids] of Object.entries(targets)) {
      for (const id of ids) {
        const [tables, ledger] = await queryFile(join(dir, shard, `${id}.duckdb`), TABLES_SQL, LEDGER_SQL);
        expect(ledger!.map((r) => [Number(r.version), r.status]), id).toEqual([
          [1, 'applied'],
          [2, 'applied'],
        ]);
        expect(tables!.map((t) => t.table_name), id).toEqual(['accounts', 'invoices', 'schema_migration_runs', 'schema_migrations']);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  it('every key lives in the slot of {duckmig}: BullMQ under {duckmig}:, duckmig under {duckmig}:duckmig:', async () => {
    const client = new Cluster(cluster.nodePorts.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { password: cluster.password } });
    try {
      await once(client, 'ready');
      const keys = (await Promise.all(client.nodes('master').map((node: Redis) => node.keys('*')))).flat();
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((key) => !key.startsWith('{duckmig}:'))).toEqual([]);
      // the worker's snapshot and heartbeat, and BullMQ's job of the run, all there
      expect(keys).toEqual(expect.arrayContaining(['{duckmig}:duckmig:migrations:snapshot', '{duckmig}:duckmig:migrations:heartbeat', '{duckmig}:migrations:completed']));
      // the fleet's too: its targets, shards, fencing tokens, runs, and the BullMQ queues of its coordinator and shards
      expect(keys).toEqual(
        expect.arrayContaining(['{duckmig}:duckmig:fleet:targets', '{duckmig}:duckmig:fleet:shards', '{duckmig}:duckmig:fleet:fence:x', '{duckmig}:duckmig:fleet:runs', '{duckmig}:fleet:completed', '{duckmig}:fleet-shard-x:completed']),
      );
      const slots = new Set(await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key))));
      expect(slots.size).toBe(1);
    } finally {
      client.disconnect();
    }
  });
});

describe('through Sentinel (REDIS_URL=redis+sentinel://…/<master>)', () => {
  let sentinels: TestTopology;
  let sys: RunningSystem;
  beforeAll(async () => {
    sentinels = await startTestSentinels();
    sys = await startSystem({ redis: sentinels, migrations: initialSchemaOnly() });
  });
  afterAll(() => sys?.stop());

  it('the API and the worker find the master through the sentinels: a run completes, its keys are on the master', async () => {
    const { job, status } = await runThrough(sys);
    expect(job.state).toBe('completed');
    expect(status.snapshot?.status.currentVersion).toBe(1);

    const master = new Redis({ host: '127.0.0.1', port: sentinels.nodePorts[0]!, password: sentinels.password });
    try {
      expect(await master.exists('duckmig:migrations:snapshot', 'bull:migrations:completed')).toBe(2);
    } finally {
      master.disconnect();
    }
  });
});
