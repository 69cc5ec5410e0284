// duckmig on Redis beyond one node, chosen by REDIS_URL alone: the whole service (API and
// worker processes) runs a migration through a real three-master Redis Cluster, with
// every key it writes in the one slot of the hash tag {duckmig}; and connects through a
// real Sentinel group to its master (no failover here). docs/deployment.md, Redis Cluster
// and Sentinel.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { ADMIN_PREFIX, StatusResponse, type EnqueuedResponse } from '../../contract/index.js';
import { call, finishedJob } from '../support/live.js';
import { startTestCluster, startTestSentinels, type TestTopology } from '../support/redis-topologies.js';
import { initialSchemaOnly, startSystem, type RunningSystem } from '../support/system.js';

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

  it('every key lives in the slot of {duckmig}: BullMQ under {duckmig}:, duckmig under {duckmig}:duckmig:', async () => {
    const client = new Cluster(cluster.nodePorts.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { password: cluster.password } });
    try {
      await once(client, 'ready');
      const keys = (await Promise.all(client.nodes('master').map((node: Redis) => node.keys('*')))).flat();
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((key) => !key.startsWith('{duckmig}:'))).toEqual([]);
      // the worker's snapshot and heartbeat, and BullMQ's job of the run, all there
      expect(keys).toEqual(expect.arrayContaining(['{duckmig}:duckmig:migrations:snapshot', '{duckmig}:duckmig:migrations:heartbeat', '{duckmig}:migrations:completed']));
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
