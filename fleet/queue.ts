// The fleet queue (FLEET_QUEUE) as a producer opens it: one coordinator job per fleet
// run, its job id the run id, never retried blindly (the coordinator resumes from its
// step state instead), the last thousand finished jobs kept for bull-board. And a shard's
// queue, as the API opens it to ask the owner for a target's file.
import { Queue, type JobsOptions } from 'bullmq';
import type { RedisConnection } from './options.js';
import { FLEET_QUEUE, shardQueueName, type FleetJobData, type TargetJobData } from '../contract/index.js';
import { DEFAULT_BULL_PREFIX } from './options.js';

export type FleetQueue = Queue<FleetJobData>;

export const FLEET_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
};

/** A producer of coordinator jobs on `connection` (not closed by the queue's close()). */
export function openFleetQueue(connection: RedisConnection, bullPrefix = DEFAULT_BULL_PREFIX): FleetQueue {
  return new Queue<FleetJobData>(FLEET_QUEUE, { connection, prefix: bullPrefix });
}

/** A producer of one shard's queue (target jobs, and the API's target reads) on `connection` (not closed by the queue's close()). */
export function openShardQueue(connection: RedisConnection, shard: string, bullPrefix = DEFAULT_BULL_PREFIX): Queue<TargetJobData> {
  return new Queue<TargetJobData>(shardQueueName(shard), { connection, prefix: bullPrefix });
}
