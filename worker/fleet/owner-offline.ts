// Owner-offline sweep: while the active fleet run's coordinator waits for a wave, target
// jobs of a shard that nobody owns would wait forever (only the lease holder consumes a
// shard queue). Every fleet worker that runs coordinators sweeps now and then: for each
// shard of the wave without a lease whose owner was last seen more than offlineAfterMs
// ago, a waiting target job is removed and recorded failed as 'owner-offline'; one that
// was in flight (its worker died with it) is detached from the run and recorded 'crashed'.
// Both release the coordinator once the wave has nothing else to wait for. Sweeps in
// several workers at once are harmless: outcomes are written only once, and a job gone
// is skipped.
import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { TargetOutcome } from '../../contract/index.js';
import type { CoordinatorJobData } from './coordinator.js';
import { shardOffline } from './run-record.js';
import type { FleetRunStore } from '../../fleet/records.js';

export interface SweepDeps {
  store: FleetRunStore;
  fleetQueue: Queue<CoordinatorJobData>;
  shardQueue: (shard: string) => Queue;
  offlineAfterMs: number;
  logger: Logger;
  now?: () => number;
}

const WAITING = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/** The unprocessed children's job ids of a parent, all pages. */
async function unprocessedChildren(job: Job): Promise<string[]> {
  const keys: string[] = [];
  let cursor = 0;
  do {
    const page = await job.getDependencies({ unprocessed: { cursor, count: 1000 } });
    keys.push(...(page.unprocessed ?? []));
    cursor = page.nextUnprocessedCursor ?? 0;
  } while (cursor !== 0);
  return keys;
}

/** One sweep; returns how many target jobs it failed. */
export async function sweepOfflineShards(deps: SweepDeps): Promise<number> {
  const { store, fleetQueue, shardQueue, offlineAfterMs, logger } = deps;
  const now = (deps.now ?? Date.now)();
  const runId = await store.activeRun();
  if (!runId) return 0;
  const parent = await fleetQueue.getJob(runId);
  const step = parent?.data.step;
  if (!parent || step?.phase !== 'collect' || !step.waves || !(await parent.isWaitingChildren())) return 0;
  const wave = step.waves[step.wave];
  if (!wave) return 0;

  const shardOf = new Map(wave.targets.map((t) => [t.id, t.shard]));
  const marker = `:${runId}--`;
  const waiting = (await unprocessedChildren(parent))
    .map((key) => key.slice(key.indexOf(marker) + marker.length))
    .filter((id) => shardOf.has(id));
  const shards = [...new Set(waiting.map((id) => shardOf.get(id)!))];
  if (shards.length === 0) return 0;
  const [leased, states] = await Promise.all([store.leased(shards), store.shards()]);
  const offline = new Set(shards.filter((s) => shardOffline(leased.has(s), states.get(s), step.dispatchedAt ?? now, now, offlineAfterMs)));

  let failed = 0;
  for (const id of waiting) {
    const shard = shardOf.get(id)!;
    if (!offline.has(shard)) continue;
    const child = await shardQueue(shard).getJob(`${runId}--${id}`);
    if (!child) continue;
    const state = await child.getState();
    const base = { id, wave: wave.index, result: 'failed' as const, fromVersion: null, toVersion: null, applied: 0, durationMs: 0, finishedAt: new Date(now).toISOString() };
    try {
      if (state === 'active') {
        const crashed: TargetOutcome = { ...base, errorCode: 'crashed', error: `the owner of shard ${shard} went offline while this target was in flight; its transaction never committed` };
        await store.record(runId, [crashed]);
        await child.removeChildDependency();
      } else if (WAITING.has(state)) {
        const offlineOutcome: TargetOutcome = { ...base, errorCode: 'owner-offline', error: `no worker has owned shard ${shard} for more than ${offlineAfterMs} ms` };
        await store.record(runId, [offlineOutcome]);
        await child.remove();
      } else {
        continue; // finished a moment ago: the coordinator reads its own outcome
      }
      failed += 1;
    } catch (err) {
      // taken by an owner that came back: it runs and records its own outcome
      logger.warn({ err: { message: (err as Error).message }, runId, target: id }, `target ${id} of fleet run ${runId} not failed as offline`);
    }
  }
  if (failed > 0) logger.warn({ event: 'fleet:owner-offline', runId, shards: [...offline], failed }, `fleet run ${runId}: ${failed} target(s) failed, their shard's owner is offline (${[...offline].join(', ')})`);
  return failed;
}
