// The worker process's core: owns the DuckDB file (opens it once, the only process that
// does), adopts a legacy database, validates, publishes the status snapshot (at start-up,
// after every job, when a migration file changes, with the last drift check: worker/drift.ts)
// and the heartbeat, listens for cancel
// requests, runs one BullMQ job at a time, and delivers webhooks (its own BullMQ worker
// on the `webhooks` queue, when DUCKMIG_WEBHOOKS is set). It never
// applies migrations on start-up. close() is memoised: it stops taking jobs, lets the
// migration in progress finish, then closes BullMQ, DuckDB (checkpointed) and Redis in
// that order, each a bounded step (lifecycle/teardown.ts); every exit path, a failed
// start included, closes DuckDB.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker, type RedisQueueBackend } from 'bullmq';
import type { Logger } from 'pino';
import { QUEUE_NAME, STALLED_FAILED_REASON, readPlan, WORKER_DIED_MESSAGE, redisKeys, webhookKeys, type DriftReport, type JobDataWithOutcome, type NotificationInput, type JobProgress, type RunResult, type RunSummary, type WorkerInfo, type WorkerSnapshot } from '../contract/index.js';
import { redisUrlMissing } from '../config/config-error.js';
import { redisTopology, type RedisConnection, type RedisTopology } from '../config/redis-connection.js';
import { dataDirSecrets, redisUrlSecrets } from '../config/secrets.js';
import { teardown, type TeardownStep } from '../lifecycle/teardown.js';
import { startDeliveryWorker } from '../notify/delivery-worker.js';
import { keepUndoPlan } from './undo-plans.js';
import { createNotifier, type Notifier } from '../notify/notifier.js';
import { subscribeCancel, type CancelSubscription } from './cancel.js';
import type { WorkerConfig } from './config.js';
import { DatabaseOwner } from './database-owner.js';
import { checkedDrift, driftChecks, type DriftChecks } from './drift.js';
import { createProcessor } from './processor.js';
import { awaitConfirmation } from './run-deadline.js';
import { applyDuckdbPriority } from './thread-priority.js';
import type { MigrationFile } from '../core/index.js';
import { redisExpectedSchemaStore } from './expected-schema.js';
import { mayChangeSchema, publishLiveSchema, readLiveSchema, replayAndCache } from './schema.js';
import { SNAPSHOT_RUNS, buildSnapshot, publishPendingSql, publishPlans, publishSnapshot, startHeartbeat, workerInfo, type HeartbeatHandle } from './snapshot.js';
import { watchMigrations, type MigrationsWatch } from './watch-migrations.js';

/** Fleet mode (many target files, DUCKMIG_DATABASES or DUCKMIG_FLEET_MANIFEST): worker/fleet/. */
export { startFleetWorker } from './fleet/main.js';

export interface WorkerHandle {
  readonly info: WorkerInfo;
  /** graceful: no new job, the one in progress finishes, then everything closes (idempotent) */
  close(): Promise<void>;
  /** asks the job in progress to stop (interrupt + rollback, recorded as cancelled) */
  cancelActive(reason: string): void;
}

export interface StartWorkerOptions {
  /** the queue name (tests use their own) */
  queueName?: string;
  /** aborts a start that is still waiting (for Redis, say): everything opened so far is closed */
  signal?: AbortSignal;
  /** how long close() waits for BullMQ once the database is idle, before giving up on Redis */
  redisCloseTimeoutMs?: number;
}

/** Waits for `what` unless the start is aborted first. */
function unlessAborted<T>(what: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return what;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(`start aborted: ${String(signal.reason)}`));
    signal.addEventListener('abort', onAbort, { once: true });
    what.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function bounded(what: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = delay(ms, false, { ref: false });
  return Promise.race([what.then(() => true, () => true), timer]);
}

type BullWorker = Worker<JobDataWithOutcome, RunResult | null, string, RedisQueueBackend, JobProgress>;

/** What the worker has opened so far; the steps that undo a failed start skip the rest. */
interface Opened {
  owner?: DatabaseOwner;
  redis?: RedisConnection;
  migrationsWatch?: MigrationsWatch;
  driftChecks?: DriftChecks;
  heartbeat?: HeartbeatHandle;
  bullConnection?: RedisConnection;
  worker?: BullWorker;
  cancel?: CancelSubscription;
  notifier?: Notifier;
  /** the webhooks queue's delivery worker and its connection (only with DUCKMIG_WEBHOOKS) */
  deliveries?: { worker: Worker; connection: RedisConnection };
}

/** The job the worker is running, for the heartbeat and the shutdown message. */
interface Busy {
  jobId: string | null;
}

export async function startWorker(config: WorkerConfig, logger: Logger, options: StartWorkerOptions = {}): Promise<WorkerHandle> {
  const { queueName = QUEUE_NAME, redisCloseTimeoutMs = 10_000, signal } = options;
  const topology = redisTopology(requireRedisUrl(config));
  const keys = redisKeys(queueName, topology.keyPrefix);
  const info = workerInfo(`${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`);
  const log = logger.child({ component: 'worker', workerId: info.id });
  const busy: Busy = { jobId: null };

  const opened: Opened = {};
  try {
    const owner = (opened.owner = await openDatabase(config, log));
    await prepareDatabase(owner, log);
    const redis = (opened.redis = connect('worker-state', topology, log));
    owner.keepExpectedSchemaIn(redisExpectedSchemaStore({ redis, key: keys.driftExpected, duckdbVersion: owner.db.duckdbVersion, duckmigVersion: info.version, log }));
    const notifier = (opened.notifier = createNotifier(config.notifications, redis, log, topology.bullPrefix));
    const { publish, checkDrift } = snapshotPublisher({ owner, redis, keys, info, log, notify: (input) => notifier.notify(input) });
    await unlessAborted(checkDrift(), signal);
    await unlessAborted(publish(undefined, true), signal);
    opened.migrationsWatch = watchMigrations(
      config.migrationsDir,
      () => void publish().catch((err: unknown) => log.debug({ err }, 'snapshot not refreshed after a file change')),
      log,
    );
    if (config.notifications) {
      const connection = connect('webhooks', topology, log);
      opened.deliveries = {
        connection,
        worker: startDeliveryWorker({ settings: config.notifications, connection, bullPrefix: topology.bullPrefix, redis, logKey: webhookKeys(queueName, topology.keyPrefix).deliveries, logger: log }),
      };
    }
    const drift = (opened.driftChecks = driftChecks(config.driftCheckMs, checkDrift, log));
    const heartbeat = (opened.heartbeat = startHeartbeat({ redis, key: keys.heartbeat, workerId: info.id, busyWith: () => busy.jobId, logger: log, changedChannel: keys.stateChanged }));
    const processor = createProcessor({
      owner,
      logger: log,
      lookupPlan: (planId) => readPlan(redis, keys.plans, planId),
      afterJob: async (result, onlyRow) => {
        await publish(result, undefined, onlyRow);
        // after the job's outcome: its replay may take as long as the migrations did; a job
        // that changed nothing (a run with nothing pending, a dry-run) cannot have made drift
        // (the worker holds the file), so the next job does not wait for its catalog reads
        if (mayChangeSchema(result)) drift.soon();
      },
      schemaAt: async ({ version, applied }) => void (await replayAndCache(redis, keys.schemaAt(version), owner, version, applied)),
      onBusy: (jobId) => {
        busy.jobId = jobId;
        void heartbeat.beat();
      },
      confirmed: (jobId, notAfterMs) => awaitConfirmation(redis, `${keys.accepted}:${jobId}`, notAfterMs),
      notify: (input) => notifier.notify(input),
      maintenance: config.maintenance,
      rememberUndoPlan: (result) => keepUndoPlan(redis, keys.undoPlan, result),
    });
    opened.bullConnection = connect('bullmq', topology, log);
    const worker = (opened.worker = createBullWorker(queueName, processor, { connection: opened.bullConnection, prefix: topology.bullPrefix }, config, log));
    opened.cancel = await unlessAborted(subscribeCancel({ redis, channel: keys.cancel, worker, logger: log }), signal);
    void worker.run().catch((err: unknown) => log.error({ err }, 'bullmq worker stopped'));
    await unlessAborted(worker.waitUntilReady(), signal);
  } catch (err) {
    await teardown(undoStartSteps(opened, redisCloseTimeoutMs), { logger: log, what: 'worker start' })();
    throw err;
  }

  const running = opened as Required<Opened>;
  log.info(
    { event: 'worker:ready', pid: process.pid, queue: queueName, redis: topology.location, dbPath: running.owner.db.path, lockDurationMs: config.lockDurationMs, stalledIntervalMs: config.stalledIntervalMs },
    `worker ready on queue "${queueName}"`,
  );
  const closeAll = teardown(closeSteps(running, log, redisCloseTimeoutMs), { logger: log, what: 'worker' });
  let closing: Promise<void> | null = null;
  return {
    info,
    cancelActive(reason) {
      running.worker.cancelAllJobs(reason);
    },
    close() {
      closing ??= (async () => {
        log.info({ event: 'worker:closing', busyWith: busy.jobId }, busy.jobId ? `shutting down after job ${busy.jobId} finishes` : 'shutting down');
        await closeAll();
        log.info({ event: 'worker:closed' }, 'worker closed');
      })();
      return closing;
    },
  };
}

function requireRedisUrl(config: WorkerConfig): string {
  if (config.redisUrl) return config.redisUrl;
  throw redisUrlMissing('the worker');
}

/** Opens the DuckDB file: from here on, every exit path must close it. */
async function openDatabase(config: WorkerConfig, log: Logger): Promise<DatabaseOwner> {
  const owner = await DatabaseOwner.open({
    dbPath: config.dbPath,
    migrationsDir: config.migrationsDir,
    restore: config.restore,
    maxFileBytes: config.maxFileBytes,
    allowedPaths: config.allowedPaths,
    // read when an error is built: the API may generate the admin token after this start
    secrets: () => [...(config.secrets ?? []), ...redisUrlSecrets(config.redisUrl), ...dataDirSecrets(config.dataDir)],
    logger: log,
    checkpoint: config.checkpoint,
    threads: config.duckdbThreads,
  });
  log.info({ event: 'database:open', path: owner.db.path, duckdbVersion: owner.db.duckdbVersion, threads: config.duckdbThreads }, `opened ${owner.db.path} (DuckDB threads: ${config.duckdbThreads})`);
  await applyDuckdbPriority(config.duckdbNice, log);
  return owner;
}

/** Adopts a legacy schema_version table, records runs whose worker died, and logs validation problems. */
async function prepareDatabase(owner: DatabaseOwner, log: Logger): Promise<void> {
  const legacy = await owner.exclusive(({ runner }) => runner.adoptLegacy());
  if (legacy) log.info({ event: 'legacy:found', ...legacy }, 'legacy schema_version table found; its versions count as applied');
  // runs whose worker died (killed, crashed, out of disk) are written to the run history now
  const crashed = await owner.exclusive(({ runner }) => runner.recordCrashedRuns());
  for (const run of crashed) {
    log.error(
      { event: 'run:crashed', runId: run.runId, jobId: run.jobId, requestedBy: run.requestedBy, toVersion: run.toVersion },
      `run ${run.runId} (job ${run.jobId ?? 'none'}, requested by ${run.requestedBy ?? 'unknown'}) did not finish: recorded as crashed`,
    );
  }
  const problems = await owner.exclusive(({ runner }) => runner.validate());
  for (const p of problems) log[p.severity === 'error' ? 'error' : 'warn']({ event: 'validation', ...p }, p.message);
}

/**
 * ioredis retries commands forever while Redis is away (BullMQ workers require it);
 * one warning when a connection is lost, one line when it is back, none per retry.
 */
function connect(name: string, topology: RedisTopology, log: Logger): RedisConnection {
  const connection = topology.connect({ name: `duckmig-${name}`, maxRetriesPerRequest: null });
  let down = false;
  connection.on('error', (err: Error) => {
    if (!down) log.warn({ event: 'redis:down', connection: name, err: { message: err.message } }, `redis at ${topology.location} unreachable (${name}); retrying`);
    down = true;
  });
  connection.on('ready', () => {
    if (down) log.info({ event: 'redis:up', connection: name }, `redis connection restored (${name})`);
    down = false;
  });
  return connection;
}

async function quit(connection: RedisConnection): Promise<void> {
  if (!(await bounded(connection.quit(), 2_000))) connection.disconnect();
}

interface PublisherDeps {
  owner: DatabaseOwner;
  redis: RedisConnection;
  keys: ReturnType<typeof redisKeys>;
  info: WorkerInfo;
  log: Logger;
  /** announces drift found by a check (webhooks) */
  notify: (input: NotificationInput) => Promise<void>;
}

/**
 * Publishes the status snapshot (and the pending files' plans and SQL); call it after each
 * job with the job's result. With `withSchema` (by default after a job that may have changed
 * the database) the live schema is read again too and published under its own key. The
 * snapshot carries the last drift report; checkDrift makes a new one and publishes the last
 * snapshot again with it. `onlyRow`: after a run that applied nothing, the history row it
 * wrote, its only change.
 */
function snapshotPublisher({ owner, redis, keys, info, log, notify }: PublisherDeps): {
  publish: (after?: RunResult | null, withSchema?: boolean, onlyRow?: RunSummary) => Promise<void>;
  checkDrift: () => Promise<void>;
} {
  let last: WorkerSnapshot | null = null;
  let drift: DriftReport | null = null;
  /** publishes reading the database, whose snapshot is not in `last` yet */
  let reading = 0;
  const checkDrift = async () => {
    drift = await checkedDrift(owner, drift, log, notify);
    if (!last) return;
    last = { ...last, publishedAt: new Date().toISOString(), drift };
    await publishSnapshot(redis, keys.snapshot, last, keys.stateChanged);
  };
  /** Reads the snapshot (and the live schema) from the database. */
  const read = async (noop: boolean, withSchema: boolean) => {
    // a run with nothing to do changed only the run history: no need to analyse again
    // (and took no restore point)
    const sameStatus = noop ? last?.status : undefined;
    // the pending files' SQL goes to its own keys (paged by the API), never into the snapshot
    const publishSql = (files: readonly MigrationFile[]) => publishPendingSql(redis, keys.pendingSql, files);
    reading++;
    try {
      return await owner.exclusive(async ({ runner, db }) => {
        const snapshot = await buildSnapshot(runner, info, sameStatus, noop && last ? last.restorePoints : await owner.listRestorePoints(), publishSql);
        return { built: snapshot, schema: withSchema ? await readLiveSchema(db.connection, snapshot.status.currentVersion) : null };
      });
    } finally {
      reading--;
    }
  };
  const publish = async (after?: RunResult | null, withSchema = after !== undefined && mayChangeSchema(after), onlyRow?: RunSummary) => {
    const noop = after?.mode === 'apply' && after.status === 'nothing-to-do' && last !== null;
    // after a run that applied nothing (onlyRow), its history row in front of the last
    // snapshot's runs is what the database holds, unless another publish's read (which may
    // predate the row) is still to land in `last`
    const { built, schema } =
      onlyRow && last && reading === 0
        ? { built: { ...last, publishedAt: new Date().toISOString(), runs: [onlyRow, ...last.runs.filter((r) => r.runId !== onlyRow.runId)].slice(0, SNAPSHOT_RUNS) }, schema: null }
        : await read(noop, withSchema);
    // the drift report as it is now (a check may have ended meanwhile)
    const snapshot = (last = { ...built, drift });
    // the schema first: a client that sees the new version in the status finds its schema
    if (schema) {
      await publishLiveSchema(redis, keys.schema, schema);
      log.info({ event: 'schema:published', tables: schema.tables.length, readMs: schema.readMs }, `schema published: ${schema.tables.length} tables (read in ${schema.readMs} ms)`);
    }
    await publishPlans(redis, keys.plans, snapshot.status.pending);
    await publishSnapshot(redis, keys.snapshot, snapshot, keys.stateChanged);
    log.info(
      { event: 'snapshot:published', currentVersion: snapshot.status.currentVersion, pending: snapshot.status.pending.length },
      `snapshot published: version ${snapshot.status.currentVersion}, ${snapshot.status.pending.length} pending`,
    );
  };
  return { publish, checkDrift };
}

/** One job at a time; not running until run() is called. `prefix`: the topology's BullMQ prefix. */
function createBullWorker(
  queueName: string,
  processor: ReturnType<typeof createProcessor>,
  { connection, prefix }: { connection: RedisConnection; prefix: string },
  config: WorkerConfig,
  log: Logger,
): BullWorker {
  const worker: BullWorker = new Worker(queueName, processor, {
    connection,
    prefix,
    concurrency: 1,
    // a job whose worker died is failed, never run again blindly (docs/operations.md, crash safety)
    maxStalledCount: 0,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    autorun: false,
  });
  worker.on('error', (err) => log.warn({ err: { message: err.message } }, 'bullmq worker error'));
  worker.on('stalled', (jobId) => log.warn({ event: 'job:stalled', jobId }, `job ${jobId} lost its worker`));
  worker.on('lockRenewalFailed', (jobIds) =>
    log.error(
      { event: 'job:lock-lost', jobIds },
      'could not renew the lock of the running job (Redis away longer than the lock duration?): the migration goes on and the ledger stays right, but BullMQ may report the job as failed',
    ),
  );
  worker.on('failed', (job, err) => {
    if (!job) return;
    if (err.message === STALLED_FAILED_REASON) {
      log.error({ event: 'job:worker-died', jobId: job.id }, WORKER_DIED_MESSAGE);
      void job.log(WORKER_DIED_MESSAGE).catch(() => undefined);
    } else {
      log.warn({ event: 'job:failed', jobId: job.id, reason: err.message }, `job ${job.id} failed: ${err.message}`);
    }
  });
  return worker;
}

/** A start that failed half-way: what was opened, in reverse order; DuckDB last, whatever else hangs. */
function undoStartSteps(opened: Opened, redisCloseTimeoutMs: number): TeardownStep[] {
  return [
    { name: 'cancel channel', limitMs: 2_000, run: () => opened.cancel?.close() },
    { name: 'bullmq worker', limitMs: redisCloseTimeoutMs, run: () => opened.worker?.close() },
    { name: 'bullmq connection', limitMs: 3_000, run: () => opened.bullConnection && quit(opened.bullConnection) },
    { name: 'heartbeat', limitMs: 2_000, run: () => opened.heartbeat?.stop() },
    { name: 'webhook deliveries', limitMs: 3_000, run: () => opened.deliveries?.worker.close() },
    { name: 'webhook connection', limitMs: 3_000, run: () => opened.deliveries && quit(opened.deliveries.connection) },
    { name: 'notifier', limitMs: 2_000, run: () => opened.notifier?.close() },
    { name: 'drift checks', limitMs: 2_000, run: () => opened.driftChecks?.stop() },
    { name: 'migrations watch', limitMs: 2_000, run: () => opened.migrationsWatch?.close() },
    { name: 'redis', limitMs: 3_000, run: () => opened.redis && quit(opened.redis) },
    { name: 'database', limitMs: Infinity, run: () => opened.owner?.close() },
  ];
}

/**
 * A graceful close: no new job; the one in progress finishes (it never depends on Redis
 * to finish its database work); then BullMQ, DuckDB (after its last use; close()
 * checkpoints, so no WAL is left behind) and Redis.
 */
function closeSteps(running: Required<Opened>, log: Logger, redisCloseTimeoutMs: number): TeardownStep[] {
  const { owner, worker } = running;
  let workerClosed: Promise<unknown> = Promise.resolve();
  return [
    { name: 'migrations watch', limitMs: 2_000, run: () => running.migrationsWatch.close() },
    { name: 'drift checks', limitMs: 10_000, run: () => running.driftChecks.stop() },
    {
      name: 'job in progress',
      limitMs: Infinity,
      run: () => {
        workerClosed = worker.close();
        const databaseIdle = owner.exclusive(async () => undefined);
        return Promise.race([workerClosed, databaseIdle]).catch(() => undefined);
      },
    },
    // once the database is idle: if Redis is gone for good, give up on BullMQ rather than hang
    { name: 'bullmq worker', limitMs: redisCloseTimeoutMs, run: () => workerClosed },
    { name: 'cancel channel', limitMs: 2_000, run: () => running.cancel.close() },
    { name: 'heartbeat', limitMs: 2_000, run: () => running.heartbeat.stop() },
    // a delivery in progress is bounded by its timeout; undelivered events stay queued for the next start
    { name: 'webhook deliveries', limitMs: 3_000, run: () => running.deliveries?.worker.close() },
    { name: 'webhook connection', limitMs: 3_000, run: () => running.deliveries && quit(running.deliveries.connection) },
    { name: 'notifier', limitMs: 2_000, run: () => running.notifier.close() },
    {
      name: 'database',
      limitMs: Infinity,
      run: async () => {
        try {
          await owner.close();
          log.info({ event: 'database:closed', path: owner.db.path }, `closed ${owner.db.path}`);
        } catch (err) {
          log.error({ err }, 'database close failed');
        }
      },
    },
    { name: 'bullmq connection', limitMs: 3_000, run: () => quit(running.bullConnection) },
    { name: 'redis', limitMs: 3_000, run: () => quit(running.redis) },
  ];
}
