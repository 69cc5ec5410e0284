// The whole status in one read, for GET …/status and the live channel's `status`
// message alike: the worker's snapshot and liveness (WorkerStateReader), the queue's
// counts and pause flag, and the run or restore that holds the queue.
import type { RedisConnection } from '../config/redis-connection.js';
import type { StatusResponse } from '../contract/index.js';
import { failedPreviewCounter } from './failed-previews.js';
import { findActiveRun, type MigrationQueue } from './jobs.js';
import type { WorkerStateReader } from './worker-state.js';

export interface StatusRead {
  /** everything but the snapshot */
  rest: Omit<StatusResponse, 'snapshot'>;
  snapshot: StatusResponse['snapshot'];
  /** the snapshot as validated JSON text (the same for every read of one published version) */
  snapshotJson: string;
  /** names the published snapshot's content ('none' without one): see WorkerState */
  snapshotTag: string;
}

const previewCounters = new WeakMap<MigrationQueue, (failed: number) => Promise<number>>();

/** the failed dry-runs' counter of a queue (one per queue, so its cache is shared by every read) */
function failedPreviews(queue: MigrationQueue, redis: RedisConnection): (failed: number) => Promise<number> {
  let counter = previewCounters.get(queue);
  if (!counter) previewCounters.set(queue, (counter = failedPreviewCounter(queue, redis)));
  return counter;
}

export async function readStatus(queue: MigrationQueue, workerState: WorkerStateReader, redis: RedisConnection): Promise<StatusRead> {
  const [{ snapshot, snapshotJson, snapshotTag, liveness }, counts, activeJob, paused] = await Promise.all([
    workerState.read(),
    queue.getJobCounts('waiting', 'prioritized', 'active', 'completed', 'failed', 'delayed'),
    findActiveRun(queue),
    queue.isPaused(),
  ]);
  const count = (state: string) => counts[state] ?? 0;
  const failedDryRuns = await failedPreviews(queue, redis)(count('failed'));
  return {
    snapshot,
    snapshotJson,
    snapshotTag,
    rest: {
      worker: liveness,
      queue: {
        waiting: count('waiting') + count('prioritized'),
        active: count('active'),
        completed: count('completed'),
        failed: count('failed'),
        failedDryRuns,
        delayed: count('delayed'),
        paused,
      },
      activeJob,
    },
  };
}
