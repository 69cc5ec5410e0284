// Starting a fleet run, the one way every producer does it (the API, retry-failed, tests):
// take the active-run slot (SET NX: a second run is refused with the run in flight), write
// the FleetRun record (status queued) and list it in the runs index, then add the one
// coordinator job to FLEET_QUEUE with the run id as its job id. The coordinator fills in
// waves and counts once it has resolved the selection. A job that cannot be added undoes
// the record and frees the slot, so a failed start leaves nothing behind. `announce` runs
// between the record and the job: what it emits (the API's fleet.run.queued webhook) is out
// before the coordinator can pick the job up and emit anything of its own.
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from './options.js';
import { FleetJobData, FleetRun, HaltRule, fleetKeys, type FleetRunRequest } from '../contract/index.js';
import { DEFAULT_KEY_PREFIX, type FleetPrefixes } from './options.js';
import { FLEET_JOB_OPTIONS, type FleetQueue } from './queue.js';
import { publishFleetEvent, releaseActiveRun } from './records.js';

export interface CreateFleetRunDeps extends Pick<FleetPrefixes, 'keyPrefix'> {
  /** a command connection */
  redis: RedisConnection;
  queue: FleetQueue;
}

export interface CreateFleetRunOptions {
  requestedBy: string;
  /** the run whose failed targets this one retries */
  retryOf?: string;
  now?: Date;
  /** called with the stored run before its job is added (e.g. to announce it); it should not throw */
  announce?: (run: FleetRun) => Promise<void>;
}

export type CreateFleetRunResult = { created: true; run: FleetRun } | { created: false; activeRunId: string };

export async function createFleetRun(deps: CreateFleetRunDeps, request: FleetRunRequest, options: CreateFleetRunOptions): Promise<CreateFleetRunResult> {
  const { redis, queue } = deps;
  const keys = fleetKeys(deps.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const id = randomUUID();
  const now = options.now ?? new Date();
  // the slot may be freed between a refused SET and the GET: then try again
  for (;;) {
    if ((await redis.set(keys.active, id, 'NX')) === 'OK') break;
    const holder = await redis.get(keys.active);
    if (holder !== null) return { created: false, activeRunId: holder };
  }

  const run = FleetRun.parse({
    id,
    mode: request.mode,
    status: 'queued',
    requestedBy: options.requestedBy,
    ...(request.reason !== undefined && { reason: request.reason }),
    createdAt: now.toISOString(),
    ...(request.migrationsId !== undefined && { migrationsId: request.migrationsId }),
    halt: HaltRule.parse(request.halt ?? {}),
    waves: [],
    counts: { targets: 0, succeeded: 0, failed: 0, skipped: 0, pending: 0 },
    ...(options.retryOf !== undefined && { retryOf: options.retryOf }),
    ...(request.allowDrift && { allowDrift: true }),
  });
  const data = FleetJobData.parse({ ...request, runId: id, requestedBy: options.requestedBy, ...(options.retryOf !== undefined && { retryOf: options.retryOf }) });
  try {
    await redis.multi().set(keys.run(id), JSON.stringify(run)).zadd(keys.runs, now.getTime(), id).exec();
    await options.announce?.(run);
    await queue.add(`fleet-${request.mode}`, data, { ...FLEET_JOB_OPTIONS, jobId: id });
  } catch (err) {
    await redis
      .multi()
      .del(keys.run(id))
      .zrem(keys.runs, id)
      .exec()
      .catch(() => undefined);
    await releaseActiveRun(redis, keys, id).catch(() => undefined);
    throw err;
  }
  await publishFleetEvent(redis, keys, { type: 'fleet:run', run });
  return { created: true, run };
}
