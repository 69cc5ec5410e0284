// The API's side of reading a target's file: the API never opens a target, so it asks the
// shard's owner with a target-read job on the shard queue (LIFO: ahead of the target jobs
// waiting there, behind the ones in flight) and waits for what the owner leaves under
// fleetKeys().targetRead(jobId). A read not taken in time is withdrawn from the queue.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { RedisConnection } from '../config/redis-connection.js';
import { TargetFileRead, type TargetJobData } from '../contract/index.js';
import type { FleetKeys } from '../fleet/options.js';

/** How long a request waits for the owner's read. */
export const TARGET_READ_WAIT_MS = 15_000;
const POLL_MS = 100;

/** The owner's read of the target, or null when it did not come within TARGET_READ_WAIT_MS. */
export async function readTargetFile(shardQueue: Queue<TargetJobData>, redis: RedisConnection, keys: FleetKeys, request: { target: string; requestedBy: string }): Promise<TargetFileRead | null> {
  const jobId = `read--${randomUUID()}`;
  const data: TargetJobData = { kind: 'target-read', runId: jobId, target: request.target, wave: 0, requestedBy: request.requestedBy };
  const job = await shardQueue.add('target-read', data, { jobId, lifo: true, attempts: 1, removeOnComplete: true, removeOnFail: true });
  const key = keys.targetRead(jobId);
  for (const deadline = Date.now() + TARGET_READ_WAIT_MS; Date.now() < deadline; await delay(POLL_MS)) {
    const text = await redis.get(key);
    if (text === null) continue;
    await redis.del(key);
    return TargetFileRead.parse(JSON.parse(text));
  }
  // not taken yet: withdrawn (one in flight ends on its own, and its read expires)
  await job.remove().catch(() => undefined);
  return null;
}
