// The shard queue's consumer: a BullMQ Worker on shardQueueName(shard) that exists only
// while this worker holds the shard's lease. Several targets at once (concurrency), each
// its own file; a job whose worker died is failed as stalled, never run again
// (maxStalledCount 0), and its outcome recorded as 'crashed' by whichever consumer finds it.
// Losing the lease stops it at once: no new job is taken, the jobs in flight are aborted
// (their fence refuses any further write), and it closes.
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'bullmq';
import type { RedisConnection } from '../../config/redis-connection.js';
import type { Logger } from 'pino';
import { STALLED_FAILED_REASON, TargetJobData, WORKER_DIED_MESSAGE, shardQueueName, type TargetOutcome } from '../../contract/index.js';
import type { FleetKeys } from '../../fleet/options.js';
import { crashedOutcome, publishOutcome, type createTargetProcessor } from './target-job.js';

export interface ShardConsumerOptions {
  shard: string;
  processor: ReturnType<typeof createTargetProcessor>;
  /** BullMQ's connection (shared: the consumer never closes it) */
  connection: RedisConnection;
  bullPrefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** for crash outcomes */
  redis: RedisConnection;
  keys: FleetKeys;
  logger: Logger;
}

export interface ShardConsumer {
  /** starts consuming (after the lease was acquired) */
  start(): Promise<void>;
  /** lease lost: stop taking jobs now, abort the ones in flight, close */
  abandon(why: string): Promise<void>;
  /** shutdown: stop taking jobs, let the ones in flight finish */
  drain(): Promise<void>;
  /** aborts the jobs in flight (a second shutdown signal) */
  cancelActive(reason: string): void;
}

export function shardConsumer(options: ShardConsumerOptions): ShardConsumer {
  const { shard, logger } = options;
  let worker: Worker<TargetJobData, TargetOutcome> | null = null;

  const create = () => {
    const w = new Worker<TargetJobData, TargetOutcome>(shardQueueName(shard), options.processor, {
      connection: options.connection,
      prefix: options.bullPrefix,
      concurrency: options.concurrency,
      // a target job whose worker died is failed, never run again (docs/fleet.md)
      maxStalledCount: 0,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      autorun: false,
    });
    w.on('error', (err) => logger.warn({ err: { message: err.message } }, 'shard queue worker error'));
    w.on('failed', (job, err) => {
      if (!job) return;
      if (err.message !== STALLED_FAILED_REASON) {
        logger.warn({ event: 'fleet:job-failed', jobId: job.id, reason: err.message }, `target job ${job.id} failed: ${err.message}`);
        return;
      }
      logger.error({ event: 'fleet:target-crashed', jobId: job.id }, `target job ${job.id}: ${WORKER_DIED_MESSAGE}`);
      const data = TargetJobData.safeParse(job.data);
      // a read for the API belongs to no fleet run: the API reports it as not answered
      if (data.success && data.data.kind !== 'target-read') void publishOutcome(options.redis, options.keys, data.data.runId, crashedOutcome(data.data, WORKER_DIED_MESSAGE), true).catch(() => undefined);
    });
    return w;
  };

  const close = async (w: Worker<TargetJobData, TargetOutcome>, limitMs: number) => {
    const closed = w.close();
    // Redis away (why the lease was lost, often): do not wait for BullMQ forever
    if ((await Promise.race([closed.then(() => true, () => true), delay(limitMs, false, { ref: false })])) === false) await w.close(true).catch(() => undefined);
  };

  return {
    async start() {
      if (worker) return;
      worker = create();
      void worker.run().catch((err: unknown) => logger.error({ err }, 'shard queue worker stopped'));
      await worker.waitUntilReady();
      logger.info({ event: 'fleet:consuming', shard, queue: shardQueueName(shard), concurrency: options.concurrency }, `consuming ${shardQueueName(shard)} (${options.concurrency} at once)`);
    },
    async abandon(why) {
      const w = worker;
      worker = null;
      if (!w) return;
      w.cancelAllJobs(`lease lost: ${why}`);
      await close(w, 5_000);
      logger.warn({ event: 'fleet:stopped-consuming', shard, why }, `stopped consuming ${shardQueueName(shard)}: ${why}`);
    },
    async drain() {
      const w = worker;
      worker = null;
      if (w) await w.close();
    },
    cancelActive(reason) {
      worker?.cancelAllJobs(reason);
    },
  };
}
