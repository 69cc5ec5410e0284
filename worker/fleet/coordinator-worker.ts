// Runs fleet-run coordinators in a fleet worker: a BullMQ Worker on FLEET_QUEUE with
// concurrency 1 (any fleet worker may take a run; one run is active at a time anyway),
// the owner-offline sweep on a timer, and a listener that wakes a paused coordinator
// (promotes its delayed job) as soon as a control request is announced, rather than at
// its next poll. A coordinator job whose worker died stalls and is taken up by another
// fleet worker (maxStalledCount > 0 on this queue only: its steps are safe to run again,
// unlike a target job's migration). close() stops all three.
import { Queue, Worker } from 'bullmq';
import { subscriberOf, type RedisConnection } from '../../config/redis-connection.js';
import type { Logger } from 'pino';
import { FLEET_QUEUE, fleetKeys, shardQueueName, type FleetRun, type NotificationInput } from '../../contract/index.js';
import { DEFAULT_BULL_PREFIX, DEFAULT_KEY_PREFIX } from '../../fleet/options.js';
import { createCoordinator, type CoordinatorJobData } from './coordinator.js';
import { sweepOfflineShards } from './owner-offline.js';
import { FleetRunStore } from '../../fleet/records.js';

export interface CoordinatorWorkerOptions {
  /** an ioredis connection with maxRetriesPerRequest: null (BullMQ duplicates it for blocking reads) */
  connection: RedisConnection;
  /** fleetKeys' prefix (default 'duckmig') */
  keyPrefix?: string;
  /** BullMQ's prefix (default 'bull') */
  bullPrefix?: string;
  /** DUCKMIG_FLEET_OFFLINE_AFTER_MS */
  offlineAfterMs: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** how often a paused run looks for resume or cancel when no announcement reaches it (default 5 s) */
  pausePollMs?: number;
  /** how often the owner-offline sweep runs (default a quarter of offlineAfterMs, at most 5 s) */
  sweepMs?: number;
  logger: Logger;
  /** announces fleet-run events to webhooks (notify/notifier.ts); never throws */
  notify?: (input: NotificationInput) => Promise<void>;
}

export interface CoordinatorHandle {
  close(): Promise<void>;
}

/** How often a coordinator may be taken up again after its worker died. */
const COORDINATOR_MAX_STALLS = 20;

export async function startCoordinator(options: CoordinatorWorkerOptions): Promise<CoordinatorHandle> {
  const { connection, keyPrefix = DEFAULT_KEY_PREFIX, bullPrefix = DEFAULT_BULL_PREFIX, offlineAfterMs, logger } = options;
  const log = logger.child({ component: 'fleet-coordinator' });
  const store = new FleetRunStore(connection, keyPrefix);
  const shardQueues = new Map<string, Queue>();
  const shardQueue = (shard: string) => {
    let queue = shardQueues.get(shard);
    if (!queue) shardQueues.set(shard, (queue = new Queue(shardQueueName(shard), { connection, prefix: bullPrefix })));
    return queue;
  };
  const fleetQueue = new Queue<CoordinatorJobData>(FLEET_QUEUE, { connection, prefix: bullPrefix });
  const processor = createCoordinator({
    store,
    shardQueue,
    offlineAfterMs,
    pausePollMs: options.pausePollMs ?? 5000,
    logger: log,
    ...(options.lockDurationMs !== undefined && { lockDurationMs: options.lockDurationMs }),
    ...(options.notify && { notify: options.notify }),
  });
  const worker = new Worker<CoordinatorJobData, FleetRun>(FLEET_QUEUE, processor, {
    connection,
    prefix: bullPrefix,
    concurrency: 1,
    maxStalledCount: COORDINATOR_MAX_STALLS,
    ...(options.lockDurationMs !== undefined && { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs !== undefined && { stalledInterval: options.stalledIntervalMs }),
  });
  worker.on('error', (err) => log.warn({ err: { message: err.message } }, 'fleet coordinator worker error'));
  worker.on('failed', (job, err) => log.error({ event: 'fleet:coordinator-failed', runId: job?.id, reason: err.message }, `fleet run ${job?.id} coordinator failed: ${err.message}`));

  let sweeping: Promise<unknown> = Promise.resolve();
  const sweepMs = options.sweepMs ?? Math.min(5000, Math.max(100, Math.floor(offlineAfterMs / 4)));
  const timer = setInterval(() => {
    sweeping = sweeping.then(() =>
      sweepOfflineShards({ store, fleetQueue, shardQueue, offlineAfterMs, logger: log }).catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, 'owner-offline sweep failed')),
    );
  }, sweepMs);
  timer.unref();
  const wake = await wakeOnControl(connection, keyPrefix, fleetQueue, log);
  await worker.waitUntilReady();
  log.info({ event: 'fleet:coordinator-ready', offlineAfterMs, sweepMs }, 'fleet coordinator ready');

  let closing: Promise<void> | null = null;
  return {
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        wake.disconnect();
        await sweeping;
        await worker.close();
        await Promise.all([fleetQueue.close(), ...[...shardQueues.values()].map((q) => q.close())]);
      })();
      return closing;
    },
  };
}

/** A paused coordinator waits in the delayed set: a control request moves it back to work at once. */
async function wakeOnControl(connection: RedisConnection, keyPrefix: string, fleetQueue: Queue<CoordinatorJobData>, log: Logger): Promise<RedisConnection> {
  const sub = subscriberOf(connection, 'duckmig-fleet-control');
  sub.on('error', () => undefined); // the main connection reports Redis being away
  // the controls channel carries only control requests' run ids: this worker does not hear every target's events
  sub.on('message', (_channel, runId: string) => {
    void (async () => {
      const job = await fleetQueue.getJob(runId);
      if (job && (await job.isDelayed())) await job.promote();
    })().catch((err: unknown) => log.debug({ err: { message: (err as Error).message } }, 'paused coordinator not woken; it polls'));
  });
  await sub.subscribe(fleetKeys(keyPrefix).controls);
  return sub;
}
