// Control requests on a fleet run (pause, resume, cancel, skip), as the API makes them:
// pushed on the run's control list for the coordinator to apply at its next decision
// point, and announced: the run id on the controls channel wakes a waiting coordinator,
// and `fleet:control` on the events channel tells clients. A run that no worker has
// picked up yet is cancelled at once instead: its coordinator job is removed from the
// queue, the record says cancelled, and the active-run slot is freed (a fleet without
// workers is never stuck behind it).
import type { RedisConnection } from './options.js';
import { FleetRun, type FleetControl, type FleetEvent } from '../contract/index.js';
import type { FleetKeys } from './options.js';
import type { FleetQueue } from './queue.js';
import { readFleetRun, releaseActiveRun, saveFleetRun } from './records.js';

export async function requestControl(redis: RedisConnection, keys: FleetKeys, runId: string, control: FleetControl): Promise<void> {
  const event: FleetEvent = { type: 'fleet:control', runId, control };
  await redis.multi().rpush(keys.control(runId), JSON.stringify(control)).publish(keys.events, JSON.stringify(event)).publish(keys.controls, runId).exec();
}

const NOT_STARTED = new Set(['waiting', 'delayed', 'prioritized']);

/**
 * Cancels a run whose coordinator job has not started: removes the job and records the
 * run as cancelled. Null when the job is already running (or was just taken): then the
 * coordinator must be asked instead.
 */
export async function cancelUnstartedRun(redis: RedisConnection, keys: FleetKeys, queue: FleetQueue, run: FleetRun, control: FleetControl): Promise<FleetRun | null> {
  if (run.status !== 'queued') return null;
  const job = await queue.getJob(run.id);
  if (job) {
    if (!NOT_STARTED.has(await job.getState())) return null;
    try {
      await job.remove();
    } catch {
      return null; // a worker locked it in between
    }
  }
  // read again: the coordinator may have written between our read and the removal
  const current = (await readFleetRun(redis, keys, run.id)) ?? run;
  if (current.status !== 'queued') return null;
  const cancelled = FleetRun.parse({
    ...current,
    status: 'cancelled',
    finishedAt: control.at,
    haltReason: `cancelled by ${control.requestedBy} before it started`,
  });
  const event: FleetEvent = { type: 'fleet:control', runId: run.id, control };
  await redis.publish(keys.events, JSON.stringify(event));
  await saveFleetRun(redis, keys, cancelled);
  await releaseActiveRun(redis, keys, run.id);
  return cancelled;
}
