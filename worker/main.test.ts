// Specification of the worker in-process, on a real Redis and real DuckDB files: what it
// publishes at start-up (without applying anything), how a job's outcome follows its
// run's (result as return value, or a failed job with the result on its last progress),
// that restore is refused without a retry, and that close() waits for the job in progress.
import { DuckDBInstance } from '@duckdb/node-api';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Heartbeat, JobProgress, LiveSchema, VersionSchema, WorkerSnapshot, redisKeys, type ErrorCode, type JobData, type JobDataWithOutcome, type RunResult } from '../contract/index.js';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { startTestRedis, type TestRedis } from '../test/support/redis.js';
import { loadWorkerConfig } from './config.js';
import { startWorker, type WorkerHandle } from './main.js';

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await client?.quit();
  await redis?.stop();
});

const logger = pino({ level: 'silent' });
let box: Sandbox;
let worker: WorkerHandle | undefined;
let queue: Queue<JobData> | undefined;
let events: QueueEvents | undefined;
let queueName = '';
let n = 0;

afterEach(async () => {
  await worker?.close();
  await events?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  worker = queue = events = undefined;
  box?.cleanup();
});

async function start(setup?: (box: Sandbox) => Promise<void> | void) {
  box = sandbox();
  await setup?.(box);
  queueName = `worker-test-${process.pid}-${++n}`;
  const config = { ...loadWorkerConfig({ DUCKMIG_DB: box.dbPath, DUCKMIG_MIGRATIONS: box.migrationsDir, REDIS_URL: redis.url }) };
  worker = await startWorker(config, logger, { queueName });
  queue = new Queue<JobData>(queueName, { connection: client });
  events = new QueueEvents(queueName, { connection: { host: redis.host, port: redis.port, password: redis.password || undefined } });
  await events.waitUntilReady();
}

async function snapshot(): Promise<WorkerSnapshot> {
  return WorkerSnapshot.parse(JSON.parse((await client.get(redisKeys(queueName).snapshot))!));
}

/** How the job ended, as the worker stored it in the job's data (whatever the outcome). */
async function outcome(
  job: Job<JobData>,
): Promise<{ state: string; result: RunResult | null; errorCode: ErrorCode | null | undefined; reason: string | null; progress: JobProgress | null }> {
  try {
    await job.waitUntilFinished(events!, 30_000);
  } catch {
    // failed: read below
  }
  const fresh = (await queue!.getJob(job.id!))!;
  const progress = typeof fresh.progress === 'object' ? JobProgress.parse(fresh.progress) : null;
  const stored = (fresh.data as JobDataWithOutcome).outcome;
  return { state: await fresh.getState(), result: stored?.result ?? null, errorCode: stored?.errorCode, reason: fresh.failedReason ?? null, progress };
}

describe('the worker', () => {
  it('publishes a snapshot and a heartbeat at start-up and never applies migrations on its own', async () => {
    await start();
    const snap = await snapshot();
    expect(snap.worker.pid).toBe(process.pid);
    expect(snap.status.currentVersion).toBe(0);
    expect(snap.status.pending.map((p) => p.version)).toEqual([1, 2, 3, 4]);
    expect(snap.status.database.duckdbVersion).toMatch(/^v1\.5/);
    const beat = Heartbeat.parse(JSON.parse((await client.get(redisKeys(queueName).heartbeat))!));
    expect(beat).toMatchObject({ workerId: snap.worker.id, busyWith: null });
    expect(await client.pttl(redisKeys(queueName).heartbeat)).toBeGreaterThan(0);
  });

  it('republishes the snapshot when a migration file is added, so the new file shows as pending', async () => {
    await start();
    const before = (await snapshot()).publishedAt;
    box.write('005_add_tags.sql', 'CREATE TABLE tags (id INTEGER);\n');
    let snap = await snapshot();
    for (let i = 0; i < 100 && snap.publishedAt === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      snap = await snapshot();
    }
    expect(snap.status.pending.map((p) => p.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('adopts a legacy schema_version database at start-up (recorded as adopted, not re-run)', async () => {
    await start(async (b) => {
      const instance = await DuckDBInstance.create(b.dbPath);
      const c = await instance.connect();
      await c.run('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)');
      await c.run('INSERT INTO schema_version (version) VALUES (1), (2)');
      c.closeSync();
      instance.closeSync();
    });
    const snap = await snapshot();
    expect(snap.status.legacy?.adopted).toEqual([1, 2]);
    expect(snap.status.applied.map((e) => [e.version, e.status])).toEqual([
      [1, 'adopted'],
      [2, 'adopted'],
    ]);
    expect(snap.status.pending.map((p) => p.version)).toEqual([3, 4]);
  });

  it('completes a run job with the RunResult and publishes the new snapshot before the job completes', async () => {
    await start();
    const job = await queue!.add('run', { kind: 'run', requestedBy: 'alice', reason: 'release 7' }, { attempts: 1 });
    const o = await outcome(job);
    expect(o.state).toBe('completed');
    expect(o.result).toMatchObject({ runId: job.id, status: 'success', toVersion: 4 });
    expect(o.errorCode).toBeNull();
    expect(o.progress).toMatchObject({ event: { type: 'run:done' }, percent: 100 });
    const snap = await snapshot();
    expect(snap.status.currentVersion).toBe(4);
    expect(snap.status.applied.every((e) => e.appliedBy === 'alice' && e.jobId === job.id && e.runId === job.id)).toBe(true);
    expect(snap.runs[0]).toMatchObject({ runId: job.id, jobId: job.id, requestedBy: 'alice', reason: 'release 7', status: 'success' });
  });

  it('a run with nothing to apply is at the top of the published history before its job completes, exactly as the database records it', async () => {
    await start();
    expect((await outcome(await queue!.add('run', { kind: 'run', requestedBy: 'alice' }, { attempts: 1 }))).state).toBe('completed');
    for (const [requestedBy, reason] of [['bob', 'nightly deploy'], ['carol', undefined]] as const) {
      const job = await queue!.add('run', { kind: 'run', requestedBy, ...(reason && { reason }) }, { attempts: 1 });
      const o = await outcome(job);
      expect(o.result).toMatchObject({ status: 'nothing-to-do', toVersion: 4 });
      expect((await snapshot()).runs[0]).toMatchObject({ runId: job.id, jobId: job.id, requestedBy, reason: reason ?? null, status: 'nothing-to-do', migrations: [] });
    }
    // as published, not as the contract reads it (which drops what it does not know)
    const published = (JSON.parse((await client.get(redisKeys(queueName).snapshot))!) as WorkerSnapshot).runs;
    await worker!.close();
    worker = undefined;
    const { db, runner } = await openRunner(box);
    try {
      const recorded = JSON.parse(JSON.stringify(await runner.listRuns(50))) as unknown;
      expect(published).toHaveLength(3);
      expect(published).toEqual(recorded);
    } finally {
      await db.close();
    }
  });

  it('publishes the live schema under its own key at start-up and again after a run, never inside the snapshot', async () => {
    await start();
    const liveSchema = async () => LiveSchema.parse(JSON.parse((await client.get(redisKeys(queueName).schema))!));
    expect(await liveSchema()).toMatchObject({ version: 0, tables: [] });
    const o = await outcome(await queue!.add('run', { kind: 'run', requestedBy: 'alice', target: 3 }, { attempts: 1 }));
    expect(o.state).toBe('completed');
    // published before the job completed, like the snapshot
    const after = await liveSchema();
    expect(after.version).toBe(3);
    expect(after.tables.map((t) => t.name)).toEqual(['files', 'links', 'projects', 'repositories', 'runs', 'system_logs']);
    expect(after.tables.every((t) => t.rows?.exact === 0)).toBe(true);
    expect(JSON.stringify(await snapshot())).not.toContain('"columns"');
  });

  it('a schema-at job replays the applied files up to a version and caches the schema; the live database is untouched', async () => {
    await start();
    await outcome(await queue!.add('run', { kind: 'run', requestedBy: 'alice' }, { attempts: 1 }));
    const applied = (await snapshot()).status.applied.filter((e) => e.version <= 2).map(({ version, checksum }) => ({ version, checksum }));
    const o = await outcome(await queue!.add('schema-at', { kind: 'schema-at', requestedBy: 'vera', version: 2, applied }, { attempts: 1 }));
    expect(o.state).toBe('completed');
    const cached = VersionSchema.parse(JSON.parse((await client.get(redisKeys(queueName).schemaAt(2)))!));
    expect(cached).toMatchObject({ version: 2, applied });
    expect(cached.tables.map((t) => t.name)).toEqual(['links', 'projects', 'repositories', 'system_logs']);
    expect((await snapshot()).status.currentVersion).toBe(4);
  });

  it('fails a job whose run failed, with the runner error as reason and the RunResult on the last progress', async () => {
    await start((b) => void b.write('005_broken.sql', 'CREATE TABLE ok_table (id INTEGER);\nSELECT * FROM no_such_table;\n'));
    const job = await queue!.add('run', { kind: 'run', requestedBy: 'ci' }, { attempts: 3 });
    const o = await outcome(job);
    expect(o.state).toBe('failed');
    expect(o.reason).toMatch(/^run failed; the failing migration was rolled back: 005_broken\.sql: .*no_such_table/);
    expect(o.result?.status).toBe('failed');
    expect(o.result?.migrations.at(-1)).toMatchObject({ version: 5, status: 'failed', error: { statementIndex: 1, line: 2 } });
    expect(o.result?.runId).toBe(job.id);
    expect(o.errorCode).toBe('migration-failed');
    const fresh = (await queue!.getJob(job.id!))!;
    expect(fresh.attemptsMade).toBe(1); // UnrecoverableError: attempts: 3 notwithstanding, never retried
    const snap = await snapshot();
    expect(snap.status.ledger.at(-1)).toMatchObject({ version: 5, status: 'failed', jobId: job.id, runId: job.id });
    expect(snap.runs[0]).toMatchObject({ runId: job.id, status: 'failed' });
  });

  it('a dry-run job plans without touching the database', async () => {
    await start();
    const job = await queue!.add('dry-run', { kind: 'dry-run', requestedBy: 'ci', rehearse: false }, { attempts: 1 });
    const o = await outcome(job);
    expect(o.state).toBe('completed');
    expect(o.result?.mode).toBe('plan');
    expect(o.result?.plan?.map((p) => p.version)).toEqual([1, 2, 3, 4]);
    expect((await snapshot()).status.ledger).toEqual([]);
  });

  it('a run takes a restore point first, and a restore job puts it back, keeping the run history', async () => {
    await start();
    const run = await outcome(await queue!.add('run', { kind: 'run', requestedBy: 'ci' }, { attempts: 1 }));
    expect(run.state).toBe('completed');
    const point = run.result?.restorePoint;
    expect(point?.id).toMatch(/^rp-/);
    // the snapshot lists it, so the API and UI can offer it without touching the worker's disk
    expect((await snapshot()).restorePoints).toEqual([expect.objectContaining({ id: point!.id, version: 0, checksum: point!.checksum })]);

    const restoreJob = await queue!.add('restore', { kind: 'restore', requestedBy: 'ops', restorePointId: point!.id, reason: 'bad release' }, { attempts: 1 });
    const restore = await outcome(restoreJob);
    expect(restore.state).toBe('completed');
    expect(restore.result).toMatchObject({ runId: restoreJob.id, mode: 'restore', status: 'success', fromVersion: 4, toVersion: 0 });
    expect(restore.errorCode).toBeNull();
    const snap = await snapshot();
    expect(snap.status.currentVersion).toBe(0);
    expect(snap.runs.map((r) => r.mode)).toEqual(['restore', 'apply']);
    expect(snap.runs[0]).toMatchObject({ runId: restoreJob.id, jobId: restoreJob.id, requestedBy: 'ops', reason: 'bad release' });

    // the worker goes on with the restored file
    const again = await outcome(await queue!.add('run', { kind: 'run', requestedBy: 'ci' }, { attempts: 1 }));
    expect(again.result).toMatchObject({ status: 'success', fromVersion: 0, toVersion: 4 });
  });

  it('refuses to restore an unknown restore point, changes nothing, and does not retry', async () => {
    await start();
    const job = await queue!.add('restore', { kind: 'restore', requestedBy: 'ops', restorePointId: 'rp-20260101T000000000Z-abcdef' }, { attempts: 3 });
    const o = await outcome(job);
    expect(o.state).toBe('failed');
    expect(o.reason).toMatch(/^restore refused, nothing was changed: restore point rp-20260101T000000000Z-abcdef does not exist/);
    expect(o).toMatchObject({ result: null, errorCode: 'restore-refused' });
    expect((await queue!.getJob(job.id!))!.attemptsMade).toBe(1);
    expect((await snapshot()).status.pending).toHaveLength(4);
  });

  it('close() waits for the job in progress to finish, is idempotent, and leaves a file that opens directly', async () => {
    await start((b) => void b.write('005_slow.sql', 'CREATE TABLE slow AS SELECT count(*) AS n FROM range(200000000) t(i) WHERE hash(i) % 7 = 0;\n'));
    const job = await queue!.add('run', { kind: 'run', requestedBy: 'ci' }, { attempts: 1 });
    await new Promise<void>((resolve) => {
      const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
        const p = JobProgress.safeParse(data);
        if (jobId === job.id && p.success && p.data.event.type === 'migration:start' && p.data.event.version === 5) {
          events!.off('progress', onProgress);
          resolve();
        }
      };
      events!.on('progress', onProgress);
    });
    const closing = worker!.close();
    expect(worker!.close()).toBe(closing);
    await closing;
    expect(await (await queue!.getJob(job.id!))!.getState()).toBe('completed');
    const instance = await DuckDBInstance.create(box.dbPath);
    const c = await instance.connect();
    const rows = (await c.runAndReadAll("SELECT count(*) FROM schema_migrations WHERE status = 'applied'")).getRows();
    c.closeSync();
    instance.closeSync();
    expect(Number(rows[0]?.[0])).toBe(5);
    expect(await client.exists(redisKeys(queueName).heartbeat)).toBe(0);
  });
});
