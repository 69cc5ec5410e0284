// What fleet workers and the coordinator write to Redis, as contract/fleet.ts lays it out,
// for tests that stand in for them: a shard's lease and state, target states, per-target
// outcomes. Every record goes through its contract schema first, so a contract change
// breaks the fixtures loudly rather than the assertions quietly.
import type { Redis } from 'ioredis';
import { ShardState, TargetOutcome, TargetState, fleetKeys } from '../../contract/index.js';

type Keys = ReturnType<typeof fleetKeys>;

/** A worker owning `shard`: the lease `<worker>:<token>` with a TTL, and the ShardState beside it. */
export async function ownShard(redis: Redis, keys: Keys, state: Partial<ShardState> & Pick<ShardState, 'shard'>, ttlMs = 30_000): Promise<ShardState> {
  const now = new Date().toISOString();
  const shard = ShardState.parse({ owner: `worker-${state.shard}`, token: 1, since: now, renewedAt: now, targets: 0, migrationsId: 'm1', concurrency: 2, ...state });
  await redis.multi().set(keys.lease(shard.shard), `${shard.owner}:${shard.token}`, 'PX', ttlMs).hset(keys.shards, shard.shard, JSON.stringify(shard)).exec();
  return shard;
}

/** A shard whose owner went away: its last ShardState stays, its lease is gone. */
export async function abandonShard(redis: Redis, keys: Keys, shard: string): Promise<void> {
  await redis.del(keys.lease(shard));
}

export function targetState(over: Partial<TargetState> & Pick<TargetState, 'id' | 'shard'>): TargetState {
  return TargetState.parse({
    path: `${over.id}.duckdb`,
    labels: {},
    version: 3,
    pending: 0,
    health: 'ok',
    owner: `worker-${over.shard}`,
    checkedAt: new Date().toISOString(),
    ...over,
  });
}

/** HSET fleetKeys().targets, as a worker does after a scan. */
export async function publishTargets(redis: Redis, keys: Keys, targets: TargetState[]): Promise<void> {
  if (targets.length === 0) return;
  await redis.hset(keys.targets, Object.fromEntries(targets.map((t) => [t.id, JSON.stringify(TargetState.parse(t))])));
}

export function outcome(over: Partial<TargetOutcome> & Pick<TargetOutcome, 'id' | 'result'>): TargetOutcome {
  return TargetOutcome.parse({ wave: 0, fromVersion: 2, toVersion: 3, applied: 1, durationMs: 5, finishedAt: new Date().toISOString(), ...over });
}

/** HSET fleetKeys().runTargets(runId), as a fleet worker records each target's outcome. */
export async function recordOutcomes(redis: Redis, keys: Keys, runId: string, outcomes: TargetOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await redis.hset(keys.runTargets(runId), Object.fromEntries(outcomes.map((o) => [o.id, JSON.stringify(TargetOutcome.parse(o))])));
}
