// Specification (docs/fleet.md › Live progress) of a fleet target job's restore point as the
// run's live channel shows it, with real Redis, BullMQ and DuckDB files: while the target's
// file is copied before its migrations are applied, the job publishes how far the copy is
// ('fleet:target-copy': bytes copied of the file's size, never going back), all before the
// target's outcome, which names the restore point the copy became.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fleetKeys, shardQueueName, type FleetEvent, type TargetJobData, type TargetOutcome } from '../../contract/index.js';
import { Database } from '../../core/index.js';
import { FleetEvents } from '../../test/support/fleet.js';
import { startTestRedis, type TestRedis } from '../../test/support/redis.js';
import { Catalog } from './catalog.js';
import { createTargetProcessor } from './target-job.js';

let redis: TestRedis;
let conn: Redis;
let dir: string;
beforeAll(async () => {
  redis = await startTestRedis();
  conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  dir = mkdtempSync(join(tmpdir(), 'duckmig-target-copy-'));
});
afterAll(async () => {
  conn?.disconnect();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("publishes its restore point copy's progress on the run's live channel, before the target's outcome", async () => {
  const keys = fleetKeys();
  const migrationsDir = join(dir, 'migrations');
  mkdirSync(migrationsDir);
  mkdirSync(join(dir, 'tenants'));
  writeFileSync(join(migrationsDir, '001_customers.sql'), 'CREATE TABLE customers (id INTEGER, name VARCHAR);\n');
  // a file whose copy takes a moment: ~70 MB of doubles that do not compress (made by hand, so the run allows drift)
  const file = join(dir, 'tenants', 'big.duckdb');
  const db = await Database.open(file, { attempts: 1 });
  await db.connection.run('CREATE TABLE filler AS SELECT random() AS r FROM range(10000000)');
  await db.close();
  const size = statSync(file).size;

  const logger = pino({ level: 'silent' });
  const settings = { migrationsDir, threads: 1, secrets: () => [], logger };
  const catalog = new Catalog({ source: { glob: 'tenants/*.duckdb' }, cwd: dir, shard: 'eu', workerId: 'worker-eu', settings, redis: conn, keys, logger });
  const processor = createTargetProcessor({
    catalog,
    settings,
    shard: 'eu',
    workerId: 'worker-eu',
    fence: () => ({ shard: 'eu', token: 1, held: () => true }),
    // sampled often, so that a copy this fast is seen several times
    restore: { enabled: true, keep: 2, maxBytes: 10 * size, dir: (root) => join(root, '.duckmig', 'restore-points'), copySampleMs: 10 },
    redis: conn,
    keys,
    logger,
  });
  const events = await FleetEvents.open(redis.url, 'duckmig');
  const queue = new Queue<TargetJobData, TargetOutcome>(shardQueueName('eu'), { connection: conn });
  const consumer = new Redis(redis.url, { maxRetriesPerRequest: null });
  const worker = new Worker<TargetJobData, TargetOutcome>(shardQueueName('eu'), processor, { connection: consumer });
  try {
    const done = new Promise<TargetOutcome>((resolve, reject) => {
      worker.on('completed', (_job, outcome) => resolve(outcome));
      worker.on('failed', (_job, err) => reject(err));
    });
    await queue.add('target', { kind: 'target-run', runId: 'r1', target: 'big', wave: 0, requestedBy: 'otto', restorePoints: true, allowDrift: true });
    const outcome = await done;
    expect(outcome).toMatchObject({ id: 'big', result: 'succeeded', fromVersion: 0, toVersion: 1, restorePoint: expect.stringMatching(/^rp-/) });

    const seen = await events.next((e) => e.type === 'fleet:target' && e.outcome.id === 'big');
    const before = events.events.slice(0, events.events.indexOf(seen));
    const copies = before.filter((e): e is Extract<FleetEvent, { type: 'fleet:target-copy' }> => e.type === 'fleet:target-copy');
    expect(copies.length, 'copy progress events before the outcome').toBeGreaterThanOrEqual(2);
    // of the file as the restore point holds it
    const point = readdirSync(dir, { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith(`${outcome.restorePoint}.duckdb`));
    expect(point, 'the restore point file').toBeDefined();
    const pointSize = statSync(join(dir, point!)).size;
    expect(pointSize).toBeGreaterThanOrEqual(size);
    for (const c of copies) expect(c).toMatchObject({ runId: 'r1', id: 'big', bytes: pointSize });
    const copied = copies.map((c) => c.bytesDone);
    expect(copied, 'never going back').toEqual([...copied].sort((a, b) => a - b));
    expect(copied.every((n) => n >= 0 && n <= pointSize)).toBe(true);
  } finally {
    await worker.close();
    await queue.close();
    consumer.disconnect();
    events.close();
  }
}, 60_000);
