// Fleet workers for integration tests: a temp folder with target files (real DuckDB files under
// tenants/, copies of one empty database), a migrations directory, fleet workers as real child processes
// (`duckmig worker` with DUCKMIG_DATABASES) on one Redis, and target jobs added to a
// shard queue the way the coordinator adds them, with their outcomes awaited.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { FleetEvent, fleetKeys, shardQueueName, type TargetJobData, type TargetOutcome } from '../../contract/index.js';
import { Database } from '../../core/index.js';
import { startTestRedis, type TestRedis } from './redis.js';
import { manage, type ManagedChild } from './system.js';

export interface TestFleet {
  dir: string;
  /** the empty database every target file started as */
  template: string;
  tenantsDir: string;
  migrationsDir: string;
  redis: TestRedis;
  /** commands (not for blocking) */
  client: Redis;
  keys: ReturnType<typeof fleetKeys>;
  /** the file of a target id */
  file(id: string): string;
  /** starts a fleet worker on the shard (ready = it logged worker:ready) */
  startWorker(workerId: string, env?: Record<string, string>): Promise<ManagedChild>;
  /** adds target jobs (job id `<runId>--<target>`) and resolves with each job's outcome, in order */
  runTargets(shard: string, jobs: TargetJobData[]): Promise<{ added: Promise<void>; outcomes: Promise<TargetOutcome[]> }>;
  /** subscribes now; resolves with the next 'fleet:target' event of that run and target */
  targetEvent(runId: string, id: string): Promise<{ outcome: Promise<TargetOutcome> }>;
  stop(): Promise<void>;
}

/** Creates the folder, `count` empty target files t00…, the migrations, and a Redis. */
export async function startTestFleet(options: { targets: string[]; migrations: Record<string, string> }): Promise<TestFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-fleet-'));
  const tenantsDir = join(dir, 'tenants');
  const migrationsDir = join(dir, 'migrations');
  mkdirSync(migrationsDir, { recursive: true });
  for (const [name, sql] of Object.entries(options.migrations)) writeFileSync(join(migrationsDir, name), sql);
  const file = (id: string) => join(tenantsDir, `${id}.duckdb`);
  // one empty database, copied for every target (opening each would take far longer)
  const template = join(dir, 'empty.template');
  await (await Database.open(template, { attempts: 1 })).close();
  for (const id of options.targets) {
    mkdirSync(dirname(file(id)), { recursive: true });
    copyFileSync(template, file(id));
  }
  const redis = await startTestRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const workers: ManagedChild[] = [];
  const queues: Queue[] = [];
  const events: QueueEvents[] = [];
  const subscribers: Redis[] = [];

  return {
    dir,
    template,
    tenantsDir,
    migrationsDir,
    redis,
    client,
    keys: fleetKeys(),
    file,
    async startWorker(workerId, env = {}) {
      const worker = manage(
        {
          name: 'worker',
          readyEvent: 'worker:ready',
          env: {
            ...process.env,
            REDIS_URL: redis.url,
            DUCKMIG_DATABASES: join(tenantsDir, '**/*.duckdb'),
            DUCKMIG_MIGRATIONS: migrationsDir,
            DUCKMIG_DATA_DIR: join(dir, 'data'),
            DUCKMIG_SHARD: 'shard-a',
            DUCKMIG_WORKER_ID: workerId,
            DUCKMIG_RESTORE_POINTS: 'off',
            DUCKMIG_LEASE_TTL_MS: '2000',
            DUCKMIG_LOCK_DURATION_MS: '2000',
            DUCKMIG_STALLED_INTERVAL_MS: '500',
            DUCKMIG_DUCKDB_THREADS: '1',
            LOG_LEVEL: 'info',
            ...env,
          },
        },
        () => undefined,
      );
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async runTargets(shard, jobs) {
      const queue = new Queue<TargetJobData, TargetOutcome>(shardQueueName(shard), { connection: client });
      const queueEvents = new QueueEvents(shardQueueName(shard), { connection: { url: redis.url } });
      queues.push(queue);
      events.push(queueEvents);
      await queueEvents.waitUntilReady();
      const added = Promise.all(jobs.map((data) => queue.add(data.kind, data, { jobId: `${data.runId}--${data.target}` })));
      return {
        added: added.then(() => undefined),
        outcomes: added.then((list) => Promise.all(list.map((job) => job.waitUntilFinished(queueEvents) as Promise<TargetOutcome>))),
      };
    },
    async targetEvent(runId, id) {
      const subscriber = new Redis(redis.url, { maxRetriesPerRequest: null });
      subscribers.push(subscriber);
      await subscriber.subscribe(fleetKeys().events);
      const outcome = new Promise<TargetOutcome>((resolve) => {
        subscriber.on('message', (_channel, message) => {
          const event = FleetEvent.parse(JSON.parse(message));
          if (event.type === 'fleet:target' && event.runId === runId && event.outcome.id === id) {
            subscriber.disconnect();
            resolve(event.outcome);
          }
        });
      });
      return { outcome };
    },
    async stop() {
      for (const s of subscribers) s.disconnect();
      await Promise.allSettled(workers.map((w) => w.kill('SIGTERM')));
      await Promise.allSettled([...queues.map((q) => q.close()), ...events.map((e) => e.close())]);
      client.disconnect();
      await redis.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A target job of a run, as the coordinator sends it. */
export const targetJob = (runId: string, target: string, extra: Partial<TargetJobData> = {}): TargetJobData => ({
  kind: 'target-run',
  runId,
  target,
  wave: 0,
  requestedBy: 'test',
  ...extra,
});
