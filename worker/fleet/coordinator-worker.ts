// Runs fleet-run coordinators in a fleet worker: a BullMQ Worker on FLEET_QUEUE with
// concurrency 1 (any fleet worker may take a run; one run is active at a time anyway),
// and the owner-offline sweep on a timer. A coordinator job whose worker died stalls and
// is taken up by another fleet worker (maxStalledCount > 0 on this queue only: its steps
// are safe to run again, unlike a target job's migration). close() stops both.
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { FLEET_QUEUE, shardQueueName, type FleetRun } from '../../contract/index.js';
import { createCoordinator, type CoordinatorJobData } from './coordinator.js';
import { sweepOfflineShards } from './owner-offline.js';
import { FleetRunStore } from './run-store.js';

export interface CoordinatorWorkerOptions {
  /** an ioredis connection with maxRetriesPerRequest: null (BullMQ duplicates it for blocking reads) */
  connection: Redis;
  /** fleetKeys' prefix (default 'duckmig') */
  keyPrefix?: string;
  /** BullMQ's prefix (default 'bull') */
  bullPrefix?: string;
  /** DUCKMIG_FLEET_OFFLINE_AFTER_MS */
  offlineAfterMs: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** how often a paused run looks for resume or cancel (default 1 s) */
  pausePollMs?: number;
  /** how often the owner-offline sweep runs (default a quarter of offlineAfterMs, at most 5 s) */
  sweepMs?: number;
  logger: Logger;
}

export interface CoordinatorHandle {
  close(): Promise<void>;
}

/** How often a coordinator may be taken up again after its worker died. */
const COORDINATOR_MAX_STALLS = 20;

export async function startCoordinator(options: CoordinatorWorkerOptions): Promise<CoordinatorHandle> {
  const { connection, keyPrefix = 'duckmig', bullPrefix = 'bull', offlineAfterMs, logger } = options;
  const log = logger.child({ component: 'fleet-coordinator' });
  const store = new FleetRunStore(connection, keyPrefix);
  const shardQueues = new Map<string, Queue>();
  const shardQueue = (shard: string) => {
    let queue = shardQueues.get(shard);
    if (!queue) shardQueues.set(shard, (queue = new Queue(shardQueueName(shard), { connection, prefix: bullPrefix })));
    return queue;
  };
  const fleetQueue = new Queue<CoordinatorJobData>(FLEET_QUEUE, { connection, prefix: bullPrefix });
  const processor = createCoordinator({ store, shardQueue, offlineAfterMs, pausePollMs: options.pausePollMs ?? 1000, logger: log });
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
  await worker.waitUntilReady();
  log.info({ event: 'fleet:coordinator-ready', offlineAfterMs, sweepMs }, 'fleet coordinator ready');

  let closing: Promise<void> | null = null;
  return {
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await sweeping;
        await worker.close();
        await Promise.all([fleetQueue.close(), ...[...shardQueues.values()].map((q) => q.close())]);
      })();
      return closing;
    },
  };
}
