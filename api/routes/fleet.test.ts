// Specification of /api/v1/fleet against a real Redis: the fleet as workers publish it
// (target states, shard states, leases; a drifted target as a worker's scan of real files
// publishes it), fleet runs as the contract records them, controls landing on the run's
// control list, retry-failed, a target's file read by its owner (the worker's own read job
// on real files), the roles each route needs (written out by hand below), and the live channel.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorBody,
  FLEET_PREFIX,
  FLEET_QUEUE,
  FleetControl,
  FleetControlResponse,
  FleetEvent,
  FleetJobData,
  FleetRun,
  FleetRunDetail,
  FleetRunsResponse,
  FleetSqlPage,
  FleetStatusResponse,
  FleetTargetDetail,
  FleetTargetFile,
  FleetTargetsResponse,
  TargetJobData,
  TargetOutcome,
  STATEMENT_PREVIEW_BYTES,
  TargetState,
  fleetKeys,
  shardQueueName,
  type Role,
} from '../../contract/index.js';
import { Database, FileMigrationSource, MigrationRunner } from '../../core/index.js';
import { openFleetQueue, type FleetQueue } from '../../fleet/queue.js';
import { Catalog } from '../../worker/fleet/catalog.js';
import { processTargetRead } from '../../worker/fleet/target-read.js';
import { ROLES, useApiHarness } from '../../test/support/api-harness.js';
import { abandonShard, outcome, publishFleet, recordOutcomes as record, shardState, targetState } from '../../test/support/fleet.js';
import { messageLog } from '../../test/support/message-log.js';
import { sseEvents } from '../../cli/remote/sse.js';

const keys = fleetKeys();
let fleetQueue: FleetQueue;
const h = useApiHarness({ rateLimit: { limit: 1_000, windowMs: 60_000 } }, async (h) => {
  const left = await h.redis.keys('duckmig:fleet:*');
  if (left.length) await h.redis.del(...left);
  await fleetQueue.obliterate({ force: true });
});
beforeAll(() => {
  fleetQueue = openFleetQueue(h.redis);
});

const get = <T>(path: string, schema: { parse(v: unknown): T }, role: Role = 'viewer') =>
  h.call(`${FLEET_PREFIX}${path}`, { role }).then(async (res) => {
    expect(res.status, `GET ${path}`).toBe(200);
    return schema.parse(await res.json());
  });
const post = (path: string, json?: unknown, role: Role = 'operator') => h.call(`${FLEET_PREFIX}${path}`, { method: 'POST', role, json });
const errorCode = async (res: Response) => ErrorBody.parse(await res.json()).error.code;

async function startRun(body: unknown = { mode: 'run' }): Promise<FleetRun> {
  const res = await post('/runs', body);
  expect(res.status).toBe(202);
  return FleetRun.parse(await res.json());
}

/** What the coordinator leaves when a run ends: the final record, the slot freed. */
async function finishRun(run: FleetRun, status: FleetRun['status']): Promise<FleetRun> {
  const done = FleetRun.parse({ ...run, status, finishedAt: new Date().toISOString() });
  await h.redis.multi().set(keys.run(run.id), JSON.stringify(done)).del(keys.active).exec();
  return done;
}

const P = 'duckmig';
const recordOutcomes = (runId: string, outcomes: TargetOutcome[]) => record(h.redis, P, runId, outcomes);
const state = (id: string, shard: string, over: Partial<TargetState> = {}): TargetState => TargetState.parse({ ...targetState(id, shard), version: 3, pending: 0, health: 'ok', ...over });

/** Two shards: eu (owned, live) and us (its owner gone: lease expired, state left). */
async function publishTwoShards() {
  const shards = [{ ...shardState('eu'), targets: 4 }, { ...shardState('us'), targets: 2 }];
  await publishFleet(
    h.redis,
    P,
    [
      state('eu/acme', 'eu', { labels: { tier: 'gold', region: 'eu' } }),
      state('eu/beta', 'eu', { labels: { tier: 'free', region: 'eu' }, version: 2, pending: 1, health: 'pending' }),
      state('eu/core', 'eu', { labels: { tier: 'gold', region: 'eu' }, version: 2, pending: 1, health: 'failed', lastError: { code: 'migration-failed', message: 'boom' } }),
      state('eu/dead', 'eu', { version: null, health: 'unreadable' }),
      state('us/echo', 'us', { labels: { tier: 'gold', region: 'us' } }),
      state('us/fox', 'us', { version: 2, pending: 1, health: 'drifted' }),
    ],
    shards,
  );
  await abandonShard(h.redis, P, 'us');
}

/** Live owners of these shards with these migration ids. */
const ownShards = (ids: Record<string, string>) =>
  publishFleet(h.redis, P, [], Object.entries(ids).map(([shard, migrationsId]) => shardState(shard, migrationsId)));

describe('GET /fleet/status', () => {
  it('shows an empty fleet when no fleet worker has published anything', async () => {
    const status = await get('/status', FleetStatusResponse);
    expect(status).toMatchObject({
      targets: { total: 0, ok: 0, pending: 0, failed: 0, locked: 0, unreadable: 0, drifted: 0, offline: 0, byVersion: [] },
      shards: [],
      activeRun: null,
      migrations: { agreed: true, ids: [] },
    });
  });

  it('counts targets by version and health, marks a shard without a live lease offline with its targets, and names the run in flight', async () => {
    await publishTwoShards();
    const run = await startRun();
    const status = await get('/status', FleetStatusResponse);
    expect(status.targets).toEqual({
      total: 6,
      ok: 2,
      pending: 1,
      failed: 1,
      locked: 0,
      unreadable: 1,
      drifted: 1,
      offline: 2,
      byVersion: [
        { version: 3, targets: 2 },
        { version: 2, targets: 3 },
        { version: null, targets: 1 },
      ],
    });
    const [eu, us] = status.shards;
    expect(eu).toMatchObject({ shard: 'eu', online: true, owner: 'worker-eu', token: 1, targets: 4, migrationsId: 'm1', concurrency: 2 });
    expect(eu!.leaseTtlMs).toBeGreaterThan(25_000);
    expect(eu!.renewedAgoMs).toBeLessThan(10_000);
    expect(us).toMatchObject({ shard: 'us', online: false, owner: null, token: null, leaseTtlMs: null, targets: 2 });
    expect(status.activeRun).toEqual(run);
    expect(status.migrations).toEqual({ agreed: true, ids: [{ migrationsId: 'm1', shards: ['eu'] }] });
  });

  it('counts a target whose file was changed by hand as drifted, as a worker\'s scan of the real files publishes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duckmig-fleet-status-'));
    try {
      const migrationsDir = join(dir, 'migrations');
      mkdirSync(migrationsDir);
      writeFileSync(join(migrationsDir, '001_accounts.sql'), 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);');
      const template = join(dir, 'migrated.template');
      const db = await Database.open(template, { attempts: 1 });
      expect((await new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(migrationsDir), database: db }).run()).status).toBe('success');
      await db.close();
      mkdirSync(join(dir, 'tenants'));
      for (const id of ['acme', 'globex', 'initech']) copyFileSync(template, join(dir, 'tenants', `${id}.duckdb`));
      // by hand, with a plain DuckDB connection, while no worker holds the file
      const instance = await DuckDBInstance.create(join(dir, 'tenants', 'globex.duckdb'));
      const connection = await instance.connect();
      await connection.run('ALTER TABLE accounts ADD COLUMN note VARCHAR');
      connection.closeSync();
      instance.closeSync();

      const logger = pino({ level: 'silent' });
      const catalog = new Catalog({
        source: { glob: 'tenants/*.duckdb' },
        cwd: dir,
        shard: 'eu',
        workerId: 'worker-eu',
        settings: { migrationsDir, threads: 1, secrets: () => [], logger },
        redis: h.redis,
        keys,
        logger,
      });
      await catalog.scan();
      await ownShards({ eu: catalog.migrationsId });

      const status = await get('/status', FleetStatusResponse);
      expect(status.targets).toMatchObject({ total: 3, ok: 2, pending: 0, failed: 0, drifted: 1, offline: 0 });
      const drifted = await get('/targets?health=drifted', FleetTargetsResponse);
      expect(drifted.targets).toEqual([expect.objectContaining({ id: 'globex', health: 'drifted', online: true, drift: expect.objectContaining({ differences: 1, first: ['extra column accounts.note'] }) })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the live owners\' migration files disagree', async () => {
    await ownShards({ a: 'm1', b: 'm2' });
    const status = await get('/status', FleetStatusResponse);
    expect(status.migrations).toEqual({ agreed: false, ids: [{ migrationsId: 'm1', shards: ['a'] }, { migrationsId: 'm2', shards: ['b'] }] });
  });
});

describe('GET /fleet/targets', () => {
  it('lists targets sorted by id, filtered by health (offline too), label, shard and version, paged with the total', async () => {
    await publishTwoShards();
    const ids = async (query: string) => (await get(`/targets${query}`, FleetTargetsResponse)).targets.map((t) => t.id);
    expect(await ids('')).toEqual(['eu/acme', 'eu/beta', 'eu/core', 'eu/dead', 'us/echo', 'us/fox']);
    expect(await ids('?health=offline')).toEqual(['us/echo', 'us/fox']);
    expect(await ids('?health=failed')).toEqual(['eu/core']);
    expect(await ids('?label=tier=gold')).toEqual(['eu/acme', 'eu/core', 'us/echo']);
    expect(await ids('?label=tier=gold,region=eu')).toEqual(['eu/acme', 'eu/core']);
    expect(await ids('?shard=us')).toEqual(['us/echo', 'us/fox']);
    expect(await ids('?version=2')).toEqual(['eu/beta', 'eu/core', 'us/fox']);
    expect(await ids('?version=none')).toEqual(['eu/dead']);
    const page = await get('/targets?offset=2&limit=2', FleetTargetsResponse);
    expect(page).toMatchObject({ total: 6, offset: 2, limit: 2 });
    expect(page.targets.map((t) => [t.id, t.online])).toEqual([
      ['eu/core', true],
      ['eu/dead', true],
    ]);
    expect((await h.call(`${FLEET_PREFIX}/targets?health=sleepy`, { role: 'viewer' })).status).toBe(400);
  });
});

describe('GET /fleet/targets/{id}', () => {
  it('shows a target (its id encoded) with its outcomes in the recent runs that touched it, newest first', async () => {
    await publishTwoShards();
    const first = await startRun();
    await recordOutcomes(first.id, [outcome({ id: 'eu/core', result: 'failed', errorCode: 'migration-failed', error: 'boom' })]);
    await finishRun(first, 'halted');
    const second = await startRun({ mode: 'dry-run' });
    await recordOutcomes(second.id, [outcome({ id: 'eu/acme', result: 'rehearsed' })]);
    await finishRun(second, 'succeeded');
    const third = await startRun();
    await recordOutcomes(third.id, [outcome({ id: 'eu/core', result: 'succeeded' })]);

    const detail = await get(`/targets/${encodeURIComponent('eu/core')}`, FleetTargetDetail);
    expect(detail.target).toMatchObject({ id: 'eu/core', shard: 'eu', health: 'failed', online: true });
    expect(detail.runs.map((r) => [r.runId, r.mode, r.status, r.outcome.result])).toEqual([
      [third.id, 'run', 'queued', 'succeeded'],
      [first.id, 'run', 'halted', 'failed'],
    ]);
    expect((await get(`/targets/${encodeURIComponent('us/echo')}`, FleetTargetDetail)).target.online).toBe(false);
    const missing = await h.call(`${FLEET_PREFIX}/targets/${encodeURIComponent('eu/nobody')}`, { role: 'viewer' });
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('fleet-target-not-found');
  });
});

describe('GET /fleet/targets/{id}/file', () => {
  it("is read by the target's owner through its shard queue: its ledger, pending migrations, own run history and schema", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duckmig-fleet-read-'));
    const connection = new Redis(h.server.url, { maxRetriesPerRequest: null });
    let owner: Worker | undefined;
    try {
      const migrationsDir = join(dir, 'migrations');
      mkdirSync(migrationsDir);
      mkdirSync(join(dir, 'tenants'));
      writeFileSync(join(migrationsDir, '001_accounts.sql'), 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);');
      const db = await Database.open(join(dir, 'tenants', 'acme.duckdb'), { attempts: 1 });
      expect((await new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(migrationsDir), database: db }).run({ runId: 'first', appliedBy: 'otto', reason: 'day one' })).status).toBe('success');
      await db.close();
      writeFileSync(join(migrationsDir, '002_invoices.sql'), 'CREATE TABLE invoices (id INTEGER);\nCREATE INDEX invoices_id ON invoices (id);');

      // the shard's owner: its catalog of the real files, and the job a fleet worker runs for a read
      const logger = pino({ level: 'silent' });
      const settings = { migrationsDir, threads: 1, secrets: () => [], logger };
      const catalog = new Catalog({ source: { glob: 'tenants/*.duckdb' }, cwd: dir, shard: 'eu', workerId: 'worker-eu', settings, redis: h.redis, keys, logger });
      await catalog.scan();
      await ownShards({ eu: catalog.migrationsId });
      const restoreDir = (id: string) => join(dir, 'restore-points', id);
      owner = new Worker<TargetJobData, TargetOutcome>(shardQueueName('eu'), (job) => processTargetRead({ catalog, settings, workerId: 'worker-eu', redis: h.redis, keys, restoreDir }, job.data, job.id!), { connection });

      const file = await get(`/targets/acme/file`, FleetTargetFile);
      expect(file).toMatchObject({ id: 'acme', worker: 'worker-eu', currentVersion: 1, latestVersion: 2, problems: [] });
      expect(file.applied.map((m) => [m.version, m.name, m.status, m.appliedBy, m.runId])).toEqual([[1, 'accounts', 'applied', 'otto', 'first']]);
      expect(file.pending.map((m) => [m.version, m.file, m.statementCount])).toEqual([[2, '002_invoices.sql', 2]]);
      expect(file.runs.map((r) => [r.runId, r.status, r.fromVersion, r.toVersion, r.requestedBy, r.reason])).toEqual([['first', 'success', 0, 1, 'otto', 'day one']]);
      // the migrations' tables only: the ledger tables are duckmig's
      expect(file.schema.tables.map((t) => [t.name, t.columns.map((c) => c.name), t.rows?.exact])).toEqual([['accounts', ['id', 'name'], 0]]);
      // the read was handed over once, and nothing of it stays in Redis
      expect(await h.redis.keys(`${keys.targetRead('*')}`)).toEqual([]);

      // the pending file's SQL, published by the owner with the read, paged by its checksum
      const checksum = file.pending[0]!.checksum;
      const sql = await get(`/migrations/${checksum}/sql`, FleetSqlPage);
      expect(sql).toMatchObject({ checksum, offset: 0, available: 2, statementPreviewBytes: STATEMENT_PREVIEW_BYTES });
      expect(sql.statements.map((s) => [s.index, s.line, s.sql.trim().replace(/;$/, '')])).toEqual([
        [0, 1, 'CREATE TABLE invoices (id INTEGER)'],
        [1, 2, 'CREATE INDEX invoices_id ON invoices (id)'],
      ]);
      const second = await get(`/migrations/${checksum}/sql?offset=1&limit=1`, FleetSqlPage);
      expect(second.statements.map((s) => s.index)).toEqual([1]);
      // the applied file was not pending: nothing of it was published
      const applied = await h.call(`${FLEET_PREFIX}/migrations/${file.applied[0]!.checksum}/sql`, { role: 'viewer' });
      expect(applied.status).toBe(404);
      expect(await errorCode(applied)).toBe('sql-not-published');
      expect((await h.call(`${FLEET_PREFIX}/migrations/not-a-checksum/sql`, { role: 'viewer' })).status).toBe(400);
    } finally {
      await owner?.close();
      connection.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused for a target whose shard no worker owns now, and for one not in the fleet', async () => {
    await publishFleet(h.redis, P, [targetState('us/echo', 'us')], [shardState('us', 'm1')], []);
    const offline = await h.call(`${FLEET_PREFIX}/targets/${encodeURIComponent('us/echo')}/file`, { role: 'viewer' });
    expect(offline.status).toBe(409);
    expect(await errorCode(offline)).toBe('fleet-target-offline');
    // nothing was queued for an owner that is not there
    expect(await h.redis.keys('bull:fleet-shard-us:*')).toEqual([]);
    const missing = await h.call(`${FLEET_PREFIX}/targets/nobody/file`, { role: 'viewer' });
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('fleet-target-not-found');
  });
});

describe('POST /fleet/runs', () => {
  it('records the run as queued, lists it, and adds the coordinator job under the run id with the request', async () => {
    const res = await post('/runs', { mode: 'run', reason: 'release 9', select: { labels: { tier: 'gold' } }, waves: [{ name: 'canary', count: 1 }, { percent: 100 }], halt: { maxFailedPercent: 5 } });
    expect(res.status).toBe(202);
    const run = FleetRun.parse(await res.json());
    expect(run).toMatchObject({ mode: 'run', status: 'queued', requestedBy: 'otto', reason: 'release 9', halt: { maxFailedPercent: 5 } });
    expect(FleetRun.parse(JSON.parse((await h.redis.get(keys.run(run.id)))!))).toEqual(run);
    expect(await h.redis.get(keys.active)).toBe(run.id);
    expect(await h.redis.zrange(keys.runs, '0', '-1')).toEqual([run.id]);
    const job = await fleetQueue.getJob(run.id);
    expect(job?.queueName).toBe(FLEET_QUEUE);
    expect(FleetJobData.parse(job!.data)).toEqual({
      mode: 'run',
      reason: 'release 9',
      select: { labels: { tier: 'gold' } },
      waves: [{ name: 'canary', count: 1 }, { percent: 100 }],
      halt: { maxFailedPercent: 5 },
      runId: run.id,
      requestedBy: 'otto',
    });
  });

  it('refuses a second run while one is in flight (409 with its id), a dry-run too', async () => {
    const first = await startRun({ mode: 'dry-run', sample: 3 });
    const second = await post('/runs', { mode: 'run' }, 'admin');
    expect(second.status).toBe(409);
    const body = ErrorBody.parse(await second.json());
    expect(body.error).toMatchObject({ code: 'fleet-run-in-progress', details: { runId: first.id } });
    expect(await fleetQueue.count()).toBe(1);
    await finishRun(first, 'succeeded');
    expect((await post('/runs', { mode: 'run' })).status).toBe(202);
  });

  it('refuses while the live owners\' migration files differ, or differ from the pinned id', async () => {
    await ownShards({ a: 'm1', b: 'm2' });
    const split = await post('/runs', { mode: 'run' });
    expect(split.status).toBe(409);
    expect(await errorCode(split)).toBe('migrations-differ');
    await abandonShard(h.redis, P, 'b'); // only live owners count
    const pinned = await post('/runs', { mode: 'run', migrationsId: 'm0' });
    expect(pinned.status).toBe(409);
    expect(await errorCode(pinned)).toBe('migrations-differ');
    expect(await h.redis.get(keys.active)).toBeNull();
    expect((await post('/runs', { mode: 'run', migrationsId: 'm1' })).status).toBe(202);
  });

  it('answers 400 for a request outside the contract', async () => {
    for (const body of [{ mode: 'apply' }, { mode: 'run', waves: [{ count: 1, percent: 10 }] }, { mode: 'run', select: { ids: ['../etc'] } }]) {
      const res = await post('/runs', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(await h.redis.get(keys.active)).toBeNull();
  });
});

describe('GET /fleet/runs and /fleet/runs/{id}', () => {
  it('lists runs newest first, paged, and shows one run with its outcomes by wave then id, filtered and paged', async () => {
    const runs: FleetRun[] = [];
    for (let i = 0; i < 3; i++) runs.push(await finishRun(await startRun(), 'succeeded'));
    const page = await get('/runs?limit=2', FleetRunsResponse);
    expect(page).toMatchObject({ total: 3, offset: 0, limit: 2 });
    expect(page.runs.map((r) => r.id)).toEqual([runs[2]!.id, runs[1]!.id]);

    const run = runs[0]!;
    await recordOutcomes(run.id, [
      outcome({ id: 'c', wave: 1, result: 'failed', errorCode: 'target-locked' }),
      outcome({ id: 'a', wave: 1, result: 'succeeded' }),
      outcome({ id: 'z', wave: 0, result: 'succeeded' }),
      outcome({ id: 'b', wave: 2, result: 'skipped', applied: 0 }),
    ]);
    const ids = async (query: string) => (await get(`/runs/${run.id}${query}`, FleetRunDetail)).outcomes.map((o) => o.id);
    expect(await ids('')).toEqual(['z', 'a', 'c', 'b']);
    expect(await ids('?result=failed')).toEqual(['c']);
    expect(await ids('?wave=1')).toEqual(['a', 'c']);
    expect(await ids('?errorCode=target-locked')).toEqual(['c']);
    const detail = await get(`/runs/${run.id}?offset=1&limit=2`, FleetRunDetail);
    expect(detail).toMatchObject({ run, total: 4, offset: 1, limit: 2 });
    expect(detail.outcomes.map((o) => o.id)).toEqual(['a', 'c']);
    const missing = await h.call(`${FLEET_PREFIX}/runs/nope`, { role: 'viewer' });
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('fleet-run-not-found');
  });
});

describe('controls', () => {
  const controls = async (runId: string) => (await h.redis.lrange(keys.control(runId), 0, -1)).map((text) => FleetControl.parse(JSON.parse(text)));

  it('pause, resume and skip land on the run\'s control list in order, by whom, and are announced', async () => {
    const run = await startRun();
    const announced = new Redis(h.server.url);
    const events = messageLog<FleetEvent>((e) => e.type);
    announced.on('message', (_channel, text: string) => events.push(FleetEvent.parse(JSON.parse(text))));
    await announced.subscribe(keys.events);
    try {
      const pause = await post(`/runs/${run.id}/pause`);
      expect(pause.status).toBe(202);
      expect(FleetControlResponse.parse(await pause.json())).toMatchObject({ outcome: 'requested', control: { action: 'pause', requestedBy: 'otto' }, run: { id: run.id } });
      expect((await post(`/runs/${run.id}/resume`, undefined, 'admin')).status).toBe(202);
      expect((await post(`/runs/${run.id}/skip`, { ids: ['eu/acme', 'us/echo'] })).status).toBe(202);
      expect((await controls(run.id)).map((c) => [c.action, c.requestedBy, c.ids])).toEqual([
        ['pause', 'otto', undefined],
        ['resume', 'ada', undefined],
        ['skip', 'otto', ['eu/acme', 'us/echo']],
      ]);
      await events.next((e) => e.type === 'fleet:control' && e.control.action === 'skip', 5_000);
      expect(events.received.map((e) => (e.type === 'fleet:control' ? [e.runId, e.control.action] : e.type))).toEqual([
        [run.id, 'pause'],
        [run.id, 'resume'],
        [run.id, 'skip'],
      ]);
    } finally {
      announced.disconnect();
    }
    expect((await post(`/runs/${run.id}/skip`, { ids: [] })).status).toBe(400);
  });

  it('cancel of a run no worker has picked up cancels it at once: job removed, record cancelled, slot freed', async () => {
    const run = await startRun();
    const res = await post(`/runs/${run.id}/cancel`);
    expect(res.status).toBe(200);
    const body = FleetControlResponse.parse(await res.json());
    expect(body).toMatchObject({ outcome: 'applied', run: { id: run.id, status: 'cancelled' } });
    expect(body.run.haltReason).toContain('otto');
    expect(await fleetQueue.getJob(run.id)).toBeUndefined();
    expect(await h.redis.get(keys.active)).toBeNull();
    expect(FleetRun.parse(JSON.parse((await h.redis.get(keys.run(run.id)))!)).status).toBe('cancelled');
    // and then it has ended
    const again = await post(`/runs/${run.id}/pause`);
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('fleet-run-finished');
  });

  it('cancel of a run whose coordinator is working is a request on the control list (202)', async () => {
    const run = await startRun();
    const connection = new Redis(h.server.url, { maxRetriesPerRequest: null });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const started = new Promise<void>((resolve) => (taken = resolve));
    const coordinator = new Worker(
      FLEET_QUEUE,
      async () => {
        taken();
        await held;
      },
      { connection },
    );
    try {
      await started;
      const res = await post(`/runs/${run.id}/cancel`);
      expect(res.status).toBe(202);
      expect(FleetControlResponse.parse(await res.json()).outcome).toBe('requested');
      expect((await controls(run.id)).map((c) => c.action)).toEqual(['cancel']);
      expect(await h.redis.get(keys.active)).toBe(run.id);
    } finally {
      release();
      await coordinator.close();
      connection.disconnect();
    }
  });

  it('answers 404 for an unknown run', async () => {
    const res = await post('/runs/nope/pause');
    expect(res.status).toBe(404);
  });
});

describe('POST /fleet/runs/{id}/retry-failed', () => {
  it('starts a new run over exactly the failed targets, with retryOf, the earlier mode and halt rule', async () => {
    const run = await startRun({ mode: 'run', halt: { maxFailedPercent: 20 } });
    const early = await post(`/runs/${run.id}/retry-failed`);
    expect(early.status).toBe(409);
    expect(await errorCode(early)).toBe('fleet-run-not-finished');
    await recordOutcomes(run.id, [
      outcome({ id: 'eu/core', result: 'failed', errorCode: 'migration-failed' }),
      outcome({ id: 'eu/acme', result: 'succeeded' }),
      outcome({ id: 'eu/beta', result: 'failed', errorCode: 'owner-offline' }),
      outcome({ id: 'us/echo', result: 'skipped' }),
    ]);
    await finishRun(run, 'halted');
    const res = await post(`/runs/${run.id}/retry-failed`, { reason: 'fixed 007' });
    expect(res.status).toBe(202);
    const retry = FleetRun.parse(await res.json());
    expect(retry).toMatchObject({ mode: 'run', status: 'queued', retryOf: run.id, reason: 'fixed 007', halt: { maxFailedPercent: 20 } });
    expect(FleetJobData.parse((await fleetQueue.getJob(retry.id))!.data)).toMatchObject({ runId: retry.id, retryOf: run.id, select: { ids: ['eu/beta', 'eu/core'] } });
  });

  it('retries the targets refused for drift applying anyway when asked (allowDrift on the record and the job)', async () => {
    const run = await startRun();
    expect(run.allowDrift).toBeUndefined();
    await recordOutcomes(run.id, [outcome({ id: 'eu/core', result: 'failed', errorCode: 'drifted', applied: 0 }), outcome({ id: 'eu/acme', result: 'succeeded' })]);
    await finishRun(run, 'failed');
    const res = await post(`/runs/${run.id}/retry-failed`, { allowDrift: true });
    expect(res.status).toBe(202);
    const retry = FleetRun.parse(await res.json());
    expect(retry).toMatchObject({ retryOf: run.id, allowDrift: true });
    expect(FleetJobData.parse((await fleetQueue.getJob(retry.id))!.data)).toMatchObject({ allowDrift: true, select: { ids: ['eu/core'] } });
  });

  it('answers 409 nothing-to-retry when the run had no failure', async () => {
    const run = await finishRun(await startRun(), 'succeeded');
    await recordOutcomes(run.id, [outcome({ id: 'a', result: 'succeeded' })]);
    const res = await post(`/runs/${run.id}/retry-failed`);
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe('nothing-to-retry');
  });
});

describe('roles', () => {
  // who may do what, from the design: viewers read; operators start, control and retry
  const TABLE: [method: 'GET' | 'POST', path: string, role: Role][] = [
    ['GET', '/status', 'viewer'],
    ['GET', '/targets', 'viewer'],
    ['GET', '/targets/eu%2Facme', 'viewer'],
    ['GET', '/targets/eu%2Facme/file', 'viewer'],
    ['GET', `/migrations/${'0'.repeat(64)}/sql`, 'viewer'],
    ['GET', '/runs', 'viewer'],
    ['GET', '/runs/r1', 'viewer'],
    ['GET', '/events/sse', 'viewer'],
    ['POST', '/runs', 'operator'],
    ['POST', '/runs/r1/pause', 'operator'],
    ['POST', '/runs/r1/resume', 'operator'],
    ['POST', '/runs/r1/cancel', 'operator'],
    ['POST', '/runs/r1/skip', 'operator'],
    ['POST', '/runs/r1/retry-failed', 'operator'],
  ];
  const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

  it.each(TABLE)('%s %s needs %s', async (method, path, needed) => {
    for (const role of ROLES) {
      // a body that fails validation: allowed roles get past the guard to 400, others stop at 403
      const res = await h.call(`${FLEET_PREFIX}${path}`, { method, role, ...(method === 'POST' ? { json: { nonsense: true } } : {}) });
      await res.body?.cancel();
      if (RANK[role] < RANK[needed]) expect(res.status, role).toBe(403);
      else expect([200, 202, 400, 404], role).toContain(res.status);
    }
    const anonymous = await h.call(`${FLEET_PREFIX}${path}`, { method });
    expect(anonymous.status).toBe(401);
  });

  it('refuses a state change from another origin', async () => {
    const res = await h.call(`${FLEET_PREFIX}/runs`, { method: 'POST', role: 'admin', json: { mode: 'run' }, headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(await h.redis.get(keys.active)).toBeNull();
  });
});

describe('GET /fleet/events/sse', () => {
  /** Opens the run's SSE stream as a viewer; its events gather in `log`. */
  async function followSse(runId: string) {
    const res = await h.call(`${FLEET_PREFIX}/events/sse?runId=${runId}`, { role: 'viewer' });
    expect(res.status).toBe(200);
    const log = messageLog<FleetEvent>((e) => e.type);
    const controller = new AbortController();
    void (async () => {
      for await (const event of sseEvents(res.body!, { signal: controller.signal })) log.push(FleetEvent.parse(JSON.parse(event.data)));
    })().catch(() => undefined);
    return { log, close: () => controller.abort() };
  }

  it('starts with the run\'s current record, then forwards that run\'s events and no other run\'s', async () => {
    const run = await startRun();
    const { log, close } = await followSse(run.id);
    try {
      expect(await log.next(() => true, 5_000)).toEqual({ type: 'fleet:run', run });
      const target: FleetEvent = { type: 'fleet:target', runId: run.id, outcome: outcome({ id: 'eu/acme', result: 'succeeded' }) };
      await h.redis.publish(keys.events, JSON.stringify({ type: 'fleet:target', runId: 'another', outcome: outcome({ id: 'x', result: 'failed' }) }));
      await h.redis.publish(keys.events, JSON.stringify(target));
      expect(await log.next((e) => e.type === 'fleet:target', 5_000)).toEqual(target);
      expect(log.received).toHaveLength(2);
    } finally {
      close();
    }
  });

  it('after the API\'s subscription to Redis was cut (a restart, a failover), sends the run\'s record again: an end published meanwhile is not missed', async () => {
    const run = await startRun();
    const { log, close } = await followSse(run.id);
    try {
      expect(await log.next(() => true, 5_000)).toEqual({ type: 'fleet:run', run });
      const done = FleetRun.parse({ ...run, status: 'succeeded', finishedAt: new Date().toISOString() });
      // Redis drops the API's subscriber connections, then the run ends before they are back
      await h.redis
        .multi()
        .call('CLIENT', 'KILL', 'TYPE', 'pubsub')
        .set(keys.run(run.id), JSON.stringify(done))
        .del(keys.active)
        .publish(keys.events, JSON.stringify({ type: 'fleet:run', run: done }))
        .exec();
      expect(await log.next((e) => e.type === 'fleet:run' && e.run.finishedAt !== undefined, 10_000)).toEqual({ type: 'fleet:run', run: done });
    } finally {
      close();
    }
  });
});
