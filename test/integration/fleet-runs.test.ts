// Fleet runs end to end with real processes: three `duckmig worker` processes in fleet
// mode, each with its own data directory (its own shard) of 100 DuckDB files, one Redis.
// A dry-run changes nothing; a failing canary stops everything; failures above the
// threshold in wave 2 stop wave 3; a run can be paused and resumed, and a second run is
// refused meanwhile. The files are copies of two template files (one "poisoned": its
// second migration fails on it), so making many of them is fast. Their poison table is made
// by hand, not by a migration (drift), so the runs here apply anyway (allowDrift): refusing
// drifted targets is fleet-targets.test.ts's.
// The tests run in order on the same fleet: each says which targets it uses. After each,
// every one of the 300 files opens directly and its ledger matches its schema.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fleetKeys, TargetOutcome, type FleetRun } from '../../contract/index.js';
import { LEDGER_SQL, TABLES_SQL } from '../support/duckdb-file.js';
import { mapPooled } from '../support/pool.js';
import { jsonRows } from '../support/rows.js';
import { control, FleetEvents, readRun, requestFleetRun, writePoisonTemplate } from '../support/fleet.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { manage, type ManagedChild } from '../support/system.js';

const SHARDS = ['a', 'b', 'c'] as const;
const TARGETS = 300;
const id = (i: number) => `t${String(i).padStart(3, '0')}`;
const shardOf = (i: number) => SHARDS[i % SHARDS.length]!;
/** t000 fails the canary; t004 and t007 fail in wave 2 of the halt test */
const POISONED = new Set(['t000', 't004', 't007']);

const MIGRATIONS = {
  '001_items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR);\n',
  // fails (and is rolled back) on a target whose poison table has a row
  '002_audit.sql': "CREATE TABLE audit (happened_at TIMESTAMP, what VARCHAR);\nSELECT CASE WHEN count(*) > 0 THEN error('poisoned target') END FROM poison;\n",
};

const prefixes = { keyPrefix: 'duckmig', bullPrefix: 'bull' };
let dir: string;
let redis: TestRedis;
let conn: Redis;
let events: FleetEvents;
const workers = new Map<string, ManagedChild & { start(): Promise<void> }>();
const fileOf = (target: string) => join(dir, shardOf(Number(target.slice(1))), `${target}.duckdb`);

function fleetWorker(shard: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redis.url,
    DUCKMIG_DATABASES: join(dir, shard, '*.duckdb'),
    DUCKMIG_SHARD: shard,
    DUCKMIG_WORKER_ID: `worker-${shard}`,
    DUCKMIG_MIGRATIONS: join(dir, 'migrations'),
    DUCKMIG_DATA_DIR: join(dir, `data-${shard}`),
    DUCKMIG_RESTORE_POINTS: 'off',
    DUCKMIG_DUCKDB_THREADS: '1',
    DUCKMIG_FLEET_CONCURRENCY: '2',
    DUCKMIG_LEASE_TTL_MS: '30000',
    DUCKMIG_FLEET_OFFLINE_AFTER_MS: '2000',
    // files are opened only by target jobs while a test reads them between runs
    DUCKMIG_FLEET_SCAN_MS: '3600000',
    DUCKMIG_LOCK_DURATION_MS: '5000',
    DUCKMIG_STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'info',
  };
  return manage({ name: 'worker', env, readyEvent: 'worker:ready' }, () => undefined);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duckmig-fleet-'));
  mkdirSync(join(dir, 'migrations'));
  for (const [name, sql] of Object.entries(MIGRATIONS)) writeFileSync(join(dir, 'migrations', name), sql);
  for (const shard of SHARDS) mkdirSync(join(dir, shard));
  await writePoisonTemplate(join(dir, 'clean.template'), false);
  await writePoisonTemplate(join(dir, 'poisoned.template'), true);
  for (let i = 0; i < TARGETS; i++) copyFileSync(join(dir, POISONED.has(id(i)) ? 'poisoned.template' : 'clean.template'), fileOf(id(i)));

  redis = await startTestRedis();
  conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  // while the restart test has Redis away, this client reconnects (and says so here, quietly)
  conn.on('error', () => undefined);
  events = await FleetEvents.open(redis.url, prefixes.keyPrefix);
  for (const shard of SHARDS) workers.set(shard, fleetWorker(shard));
  await Promise.all([...workers.values()].map((w) => w.start()));
  // a worker consumes its shard queue once it holds the lease and has published its targets
  await Promise.all([...workers.values()].map((w) => w.waitForOutput('"event":"fleet:consuming"', 110_000)));
  expect(await conn.hlen(fleetKeys().targets)).toBe(TARGETS);
}, 180_000);

afterAll(async () => {
  events?.close();
  await Promise.allSettled([...workers.values()].map((w) => w.kill('SIGTERM')));
  conn?.disconnect();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The run's final record, read from Redis: events published while Redis was away are gone. */
async function finishedRun(runId: string): Promise<FleetRun> {
  const deadline = Date.now() + 120_000;
  let run = await readRun(conn, prefixes.keyPrefix, runId);
  while (!run.finishedAt && Date.now() < deadline) {
    await events.next((e) => e.type === 'fleet:run' && e.run.id === runId && e.run.finishedAt !== undefined, 2_000).catch(() => undefined);
    run = await readRun(conn, prefixes.keyPrefix, runId);
  }
  expect(run.finishedAt, `run ${runId} did not end`).toBeDefined();
  return run;
}

/** The failures of a run, for assertion messages. */
const failures = async (runId: string) => JSON.stringify([...(await outcomes(runId)).values()].filter((o) => o.result === 'failed').slice(0, 3));

async function outcomes(runId: string): Promise<Map<string, TargetOutcome>> {
  const all = await conn.hgetall(fleetKeys().runTargets(runId));
  return new Map(Object.entries(all).map(([target, raw]) => [target, TargetOutcome.parse(JSON.parse(raw))]));
}

/** The bookkeeping tables a worker may create in any file it opens; the rest is the migrations' work. */
const BOOKKEEPING = new Set(['schema_migrations', 'schema_migration_runs', 'schema_version', 'duckmig_fence']);

/** The versions the ledger says are applied, and the file's own tables: one direct open, as an operator would. */
async function fileState(target: string): Promise<{ applied: number[]; tables: string[] }> {
  const instance = await DuckDBInstance.create(fileOf(target));
  const connection = await instance.connect();
  try {
    const names = jsonRows(await connection.runAndReadAll(TABLES_SQL)).map((t) => String(t.table_name));
    const ledger = names.includes('schema_migrations') ? jsonRows(await connection.runAndReadAll(LEDGER_SQL)) : [];
    return { applied: ledger.filter((r) => r.status === 'applied').map((r) => Number(r.version)), tables: names.filter((t) => !BOOKKEEPING.has(t)) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** What each set of applied versions must have left in the schema (001: items, 002: audit). */
const EXPECTED_TABLES: Record<string, string[]> = {
  '': ['poison'],
  '1': ['items', 'poison'],
  '1,2': ['audit', 'items', 'poison'],
};
const matchesLedger = (target: string, state: { applied: number[]; tables: string[] }) => expect(state.tables, target).toEqual(EXPECTED_TABLES[state.applied.join(',')]);

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => id(from + i));

/** files opened at once when checking them all */
const VERIFY_WIDTH = 4;

// after each case: every file of the fleet opens directly, and its ledger matches its schema
afterEach(async () => {
  const targets = range(0, TARGETS);
  const states = await mapPooled(targets, VERIFY_WIDTH, fileState);
  targets.forEach((target, i) => matchesLedger(target, states[i]!));
}, 120_000);

describe('fleet runs across three worker processes', () => {
  it('warns at start that its job lock (5 s) is shorter than its lease (30 s): a job failed as crashed could still commit', () => {
    for (const worker of workers.values()) expect(worker.output()).toContain('"event":"fleet:lock-shorter-than-lease"');
  });

  it('a dry-run rehearses a sample and changes no file', async () => {
    const runId = (await requestFleetRun(conn, prefixes, { mode: 'dry-run', sample: 6, select: { ids: range(1, 31).filter((t) => !POISONED.has(t)) } }))!;
    const run = await events.finished(runId);
    expect(run.status, await failures(runId)).toBe('succeeded');
    const recorded = await outcomes(runId);
    expect([...recorded.values()].map((o) => o.result)).toEqual(Array(6).fill('rehearsed'));
    for (const target of recorded.keys()) expect(await fileState(target)).toEqual({ applied: [], tables: ['poison'] });
  });

  it('a failing canary stops everything: no other target is touched', async () => {
    const runId = (await requestFleetRun(conn, prefixes, { mode: 'run', allowDrift: true }))!;
    const run = await events.finished(runId);
    expect(run.status).toBe('halted');
    expect(run.counts).toMatchObject({ targets: TARGETS, failed: 1, skipped: TARGETS - 1, succeeded: 0 });
    const recorded = await outcomes(runId);
    expect(recorded.get('t000')).toMatchObject({ result: 'failed', errorCode: 'migration-failed' });
    expect([...recorded.values()].filter((o) => o.result !== 'skipped').map((o) => o.id)).toEqual(['t000']);
    // 001 committed, 002 rolled back on the canary; the next targets untouched
    const canary = await fileState('t000');
    expect(canary.applied).toEqual([1]);
    matchesLedger('t000', canary);
    for (const target of ['t001', 't002', 't003']) expect((await fileState(target)).applied).toEqual([]);
  });

  it('failures in wave 2 above the threshold stop wave 3: its targets are skipped and untouched', async () => {
    const runId = (await requestFleetRun(conn, prefixes, { mode: 'run', select: { ids: range(1, 31) }, waves: [{ count: 1 }, { count: 10 }, {}], halt: { maxFailedPercent: 10 }, allowDrift: true }))!;
    const run = await events.finished(runId);
    expect(run.status).toBe('halted');
    expect(run.waves.map((w) => [w.status, w.succeeded, w.failed, w.skipped])).toEqual([
      ['done', 1, 0, 0],
      ['halted', 8, 2, 0],
      ['skipped', 0, 0, 19],
    ]);
    const recorded = await outcomes(runId);
    expect(recorded.get('t004')).toMatchObject({ result: 'failed', errorCode: 'migration-failed', wave: 1 });
    for (const target of range(12, 31)) expect(recorded.get(target)?.result).toBe('skipped');
    for (const target of ['t012', 't020', 't030']) expect((await fileState(target)).applied).toEqual([]);
    expect((await fileState('t011')).applied).toEqual([1, 2]);
  });

  it('pauses before the next wave and resumes; a second run is refused meanwhile', async () => {
    const ids = range(31, 41);
    const runId = (await requestFleetRun(conn, prefixes, { mode: 'run', select: { ids }, waves: [{ count: 1 }, {}], allowDrift: true }))!;
    await control(conn, prefixes.keyPrefix, runId, 'pause');
    const paused = await events.until((r) => r.id === runId && r.status === 'paused');
    expect(paused.waves.at(-1)?.status).toBe('pending');
    expect(await requestFleetRun(conn, prefixes, { mode: 'run' })).toBeNull();
    expect(await conn.get(fleetKeys().active)).toBe(runId);
    const touched = await outcomes(runId);
    expect(ids.filter((t) => touched.has(t)).length).toBeLessThanOrEqual(1);

    await control(conn, prefixes.keyPrefix, runId, 'resume');
    const run = await events.finished(runId);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ targets: 10, succeeded: 10 });
  });

  it('Redis restarting in the middle of a wave (its append-only data kept): the run ends, each outcome tells the truth, nothing runs twice; retrying the failed ones finishes the fleet', async () => {
    const ids = [...range(12, 31), ...range(41, 45)];
    const runId = (await requestFleetRun(conn, prefixes, { mode: 'run', select: { ids }, waves: [{ count: 1 }, {}], allowDrift: true }))!;
    await events.until((r) => r.id === runId && r.waves[0]?.status === 'done');
    // the premise: wave 2 is still going when Redis goes away
    expect((await outcomes(runId)).size).toBeLessThan(ids.length);
    await redis.restart();
    const run = await finishedRun(runId);
    const recorded = await outcomes(runId);
    expect([...recorded.keys()].sort(), `the run ended ${run.status}: ${run.haltReason ?? ''}`).toEqual(ids);
    expect(run.counts).toMatchObject({ targets: ids.length, succeeded: ids.length - run.counts.failed });
    // A target job in flight may lose its BullMQ lock while Redis is away (it is then failed as
    // stalled, never run again): its outcome must say so and its file must agree.
    for (const target of ids) {
      const o = recorded.get(target)!;
      const state = await fileState(target);
      matchesLedger(target, state);
      if (o.result === 'succeeded') expect(state.applied, target).toEqual([1, 2]);
      else expect([o.errorCode, o.applied, state.applied], target).toEqual(['crashed', 0, []]);
    }
    const failed = ids.filter((t) => recorded.get(t)!.result !== 'succeeded');
    if (failed.length > 0) {
      const retry = (await requestFleetRun(conn, prefixes, { mode: 'run', select: { ids: failed }, waves: [{}], retryOf: runId, allowDrift: true }))!;
      expect((await finishedRun(retry)).status, await failures(retry)).toBe('succeeded');
    }
    for (const target of ids) expect((await fileState(target)).applied, target).toEqual([1, 2]);
  }, 180_000);
});
