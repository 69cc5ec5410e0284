// The fleet at scale, with real processes as separate machines: four `duckmig worker`
// processes, each with its own data directory, one Redis; shards b and c each on their own
// disk, shard a on shared storage (an owner and a standby on the same files). 300 target
// files (copies of three templates) are migrated in waves: two runs requested at once, one
// accepted; the owner of shard a is killed (SIGKILL) in the middle of the last wave, with a
// slow target in flight: that target fails visibly as crashed, never half-applied, its
// lease expires and the standby takes the shard over and migrates the targets waiting
// there. A file another process holds and a corrupt file fail on their own, within the halt
// rule, and the fleet goes on. Afterwards every file opens directly, and its ledger matches
// its schema.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetKeys, TargetOutcome } from '../../contract/index.js';
import { Database } from '../../core/index.js';
import { LEDGER_SQL, TABLES_SQL } from '../support/duckdb-file.js';
import { FleetEvents, requestFleetRun } from '../support/fleet.js';
import { mapPooled } from '../support/pool.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { jsonRows } from '../support/rows.js';
import { manage } from '../support/system.js';

const TARGETS = 300;
const SHARDS = ['a', 'b', 'c'] as const;
const id = (i: number) => `t${String(i).padStart(3, '0')}`;
const shardOf = (target: string) => SHARDS[Number(target.slice(1)) % SHARDS.length]!;
/** shard a's slow targets, late in the last wave: the owner is killed while one runs */
const SLOW = ['t240', 't243', 't246', 't249'];
/** shard b: held by another process (this test) during the run, and not a database at all */
const LOCKED = 't298';
const CORRUPT = 't295';

const MIGRATIONS = {
  '001_accounts.sql': 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);\n',
  // as much work as the target's weight says: nothing on most, a few seconds on the slow ones
  '002_ledger.sql': 'CREATE TABLE entries AS SELECT range AS id, md5(CAST(range AS VARCHAR)) AS digest FROM range((SELECT n FROM weight));\n',
};
const prefixes = { keyPrefix: 'duckmig', bullPrefix: 'bull' };
/** files opened at once when checking them afterwards */
const VERIFY_WIDTH = 4;

let dir: string;
let redis: TestRedis;
let conn: Redis;
let events: FleetEvents;
let holder: Database | undefined;
/** the slow target in flight on shard a's owner when it was killed */
let inFlight: string | undefined;
const workers = new Map<string, ReturnType<typeof manage>>();
const fileOf = (target: string) => join(dir, shardOf(target), `${target}.duckdb`);

async function template(path: string, weight: number): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE weight AS SELECT ${weight}::BIGINT AS n`);
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
}

/** A worker of `shard` as its own machine: its own data directory; the shard's files on its disk. */
function fleetWorker(workerId: string, shard: string): ReturnType<typeof manage> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redis.url,
    DUCKMIG_DATABASES: join(dir, shard, '*.duckdb'),
    DUCKMIG_SHARD: shard,
    DUCKMIG_WORKER_ID: workerId,
    DUCKMIG_MIGRATIONS: join(dir, 'migrations'),
    DUCKMIG_DATA_DIR: join(dir, `data-${workerId}`),
    DUCKMIG_RESTORE_POINTS: 'off',
    DUCKMIG_DUCKDB_THREADS: '1',
    DUCKMIG_FLEET_CONCURRENCY: '2',
    // long enough for a loaded machine: a lease or job lock lost to load would fail targets the test expects to succeed
    DUCKMIG_LEASE_TTL_MS: '10000',
    // a standby takes over within the lease TTL, long before the shard would count as offline
    DUCKMIG_FLEET_OFFLINE_AFTER_MS: '60000',
    DUCKMIG_FLEET_SCAN_MS: '3600000',
    DUCKMIG_LOCK_DURATION_MS: '10000',
    DUCKMIG_STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'info',
  };
  const worker = manage({ name: 'worker', env, readyEvent: 'worker:ready' }, () => undefined);
  workers.set(workerId, worker);
  return worker;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duckmig-fleet-scale-'));
  mkdirSync(join(dir, 'migrations'));
  for (const [name, sql] of Object.entries(MIGRATIONS)) writeFileSync(join(dir, 'migrations', name), sql);
  for (const shard of SHARDS) mkdirSync(join(dir, shard));
  await template(join(dir, 'light.template'), 0);
  await template(join(dir, 'slow.template'), 4_000_000);
  for (let i = 0; i < TARGETS; i++) copyFileSync(join(dir, SLOW.includes(id(i)) ? 'slow.template' : 'light.template'), fileOf(id(i)));
  writeFileSync(fileOf(CORRUPT), Buffer.alloc(64 * 1024, 0x5a));
  holder = await Database.open(fileOf(LOCKED), { attempts: 1 });

  redis = await startTestRedis();
  conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  events = await FleetEvents.open(redis.url, prefixes.keyPrefix);
  // a-1 first, so it owns shard a; a-2 stands by on the same files
  await fleetWorker('a-1', 'a').start();
  // one after the other: four processes starting at once on two cores take long to be ready
  for (const [workerId, shard] of [['a-2', 'a'], ['b', 'b'], ['c', 'c']] as const) await fleetWorker(workerId, shard).start();
  await Promise.all(['a-1', 'b', 'c'].map((w) => workers.get(w)!.waitForOutput('"event":"fleet:consuming"', 60_000)));
  expect(await conn.get(fleetKeys().lease('a'))).toBe('a-1:1');
  expect(await conn.hlen(fleetKeys().targets)).toBe(TARGETS);
}, 240_000);

afterAll(async () => {
  events?.close();
  await holder?.close();
  await Promise.allSettled([...workers.values()].map((w) => w.kill('SIGTERM')));
  conn?.disconnect();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function outcomes(runId: string): Promise<Map<string, TargetOutcome>> {
  const all = await conn.hgetall(fleetKeys().runTargets(runId));
  return new Map(Object.entries(all).map(([target, raw]) => [target, TargetOutcome.parse(JSON.parse(raw))]));
}

/** What each set of applied versions leaves in a file besides the bookkeeping tables. */
const EXPECTED_TABLES: Record<string, string[]> = { '': ['weight'], '1': ['accounts', 'weight'], '1,2': ['accounts', 'entries', 'weight'] };
const BOOKKEEPING = new Set(['schema_migrations', 'schema_migration_runs', 'schema_version', 'duckmig_fence']);

/** One direct open, as an operator would: the applied versions and the file's own tables. */
async function fileState(target: string): Promise<{ applied: string; tables: string[] }> {
  const instance = await DuckDBInstance.create(fileOf(target));
  const connection = await instance.connect();
  try {
    const names = jsonRows(await connection.runAndReadAll(TABLES_SQL)).map((t) => String(t.table_name));
    const ledger = names.includes('schema_migrations') ? jsonRows(await connection.runAndReadAll(LEDGER_SQL)) : [];
    return { applied: ledger.filter((r) => r.status === 'applied').map((r) => Number(r.version)).join(','), tables: names.filter((t) => !BOOKKEEPING.has(t)) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe(`a fleet of ${TARGETS} targets on four worker processes`, () => {
  it('migrates in waves through the kill of a shard owner mid-wave, failing only what it must', async () => {
    // the targets' weight table is made by hand, not by a migration (drift): applied anyway
    const request = { mode: 'run' as const, waves: [{ name: 'canary', count: 1 }, { percent: 10 }, {}], halt: { maxFailedPercent: 5 }, allowDrift: true };
    // two runs requested at once: exactly one is accepted
    const answers = await Promise.all([requestFleetRun(conn, prefixes, request), requestFleetRun(conn, prefixes, request)]);
    expect(answers.filter((a) => a === null)).toHaveLength(1);
    const runId = answers.find((a) => a !== null)!;
    expect(await conn.get(fleetKeys().active)).toBe(runId);

    const started = await events.next(
      (e) => (e.type === 'fleet:target-start' && e.runId === runId && e.worker === 'a-1' && SLOW.includes(e.id)) || (e.type === 'fleet:run' && e.run.id === runId && e.run.finishedAt !== undefined),
      600_000,
    );
    if (started.type !== 'fleet:target-start') throw new Error(`the run ended before a slow target started: ${JSON.stringify([...(await outcomes(runId)).values()].filter((o) => o.result === 'failed').slice(0, 5))}`);
    inFlight = started.id;
    await workers.get('a-1')!.kill('SIGKILL');

    const run = await events.finished(runId, 800_000);
    const recorded = await outcomes(runId);
    const failed = [...recorded.values()].filter((o) => o.result === 'failed');
    const failures = JSON.stringify(failed.map((o) => [o.id, o.errorCode, o.worker]));
    // failures within the halt rule: every wave ran, and the run says some targets failed
    expect(run.status, failures).toBe('failed');
    expect(run.waves.map((w) => w.status), failures).toEqual(['done', 'done', 'done']);
    expect(recorded.size).toBe(TARGETS);
    expect(recorded.get(LOCKED)).toMatchObject({ result: 'failed', errorCode: 'target-locked' });
    expect(recorded.get(CORRUPT)).toMatchObject({ result: 'failed', errorCode: 'target-unreadable' });
    // the target in flight on the killed owner failed visibly, and was not run again
    expect(recorded.get(inFlight!), failures).toMatchObject({ result: 'failed', errorCode: 'crashed' });
    // besides those, at most the other target a-1 had in flight (concurrency 2) failed, as crashed too
    const others = failed.filter((o) => ![LOCKED, CORRUPT, inFlight!].includes(o.id));
    expect(others.length, failures).toBeLessThanOrEqual(1);
    for (const o of others) expect(o, failures).toMatchObject({ errorCode: 'crashed' });
    expect(run.counts).toMatchObject({ targets: TARGETS, failed: failed.length, succeeded: TARGETS - failed.length, skipped: 0 });

    // the standby took shard a over with a new token and ran what was waiting there
    expect(await conn.get(fleetKeys().lease('a'))).toBe('a-2:2');
    const byA2 = [...recorded.values()].filter((o) => o.worker === 'a-2');
    expect(byA2.length).toBeGreaterThan(0);
    expect(byA2.every((o) => shardOf(o.id) === 'a' && o.result === 'succeeded')).toBe(true);
    for (const target of SLOW.filter((t) => recorded.get(t)?.result === 'succeeded')) expect(recorded.get(target)?.worker).toBe('a-2');
  }, 900_000);

  it('leaves every file opening directly, its ledger matching its schema', async () => {
    await Promise.allSettled([...workers.values()].map((w) => w.kill('SIGTERM')));
    await holder?.close();
    holder = undefined;
    // the files are independent: a few opened at once, each checked in the list's order
    const targets = Array.from({ length: TARGETS }, (_, i) => id(i)).filter((target) => target !== CORRUPT);
    const read = await mapPooled(targets, VERIFY_WIDTH, fileState);
    const states = new Map<string, { applied: string; tables: string[] }>();
    targets.forEach((target, i) => {
      const state = read[i]!;
      expect(state.tables, `${target}: ${state.applied}`).toEqual(EXPECTED_TABLES[state.applied]);
      states.set(target, state);
    });
    expect(states.get(LOCKED)).toEqual({ applied: '', tables: ['weight'] });
    // the killed owner's target in flight: 002 left no trace (001 committed, or not yet begun)
    expect(['', '1']).toContain(states.get(inFlight!)?.applied);
    const full = [...states.values()].filter((s) => s.applied === '1,2').length;
    // all but the locked file and the one or two crashed targets are fully migrated
    expect(full).toBeGreaterThanOrEqual(TARGETS - 4);
  }, 180_000);
});
