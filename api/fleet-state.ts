// The fleet as the API sees it, read from Redis only: the target states and shard states
// the fleet workers publish, and each shard's lease (the truth about who owns it now).
// A shard without a live lease is offline, and so are its targets, whatever they last
// said. Entries that do not parse (a newer or broken writer) are left out, not fatal.
import type { RedisConnection } from '../config/redis-connection.js';
import {
  FleetRun,
  ShardState,
  TargetState,
  type FleetShardView,
  type FleetStatusResponse,
  type FleetTargetView,
  type ShardName,
} from '../contract/index.js';
import type { FleetKeys } from '../fleet/options.js';
import { readFleetRun } from '../fleet/records.js';

interface Lease {
  owner: string;
  token: number;
  ttlMs: number;
}

export interface FleetState {
  /** sorted by id */
  targets: FleetTargetView[];
  /** sorted by name */
  shards: FleetShardView[];
}

function parseEach<T>(raw: Record<string, string>, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T[] {
  return Object.values(raw).flatMap((text) => {
    try {
      const parsed = schema.safeParse(JSON.parse(text));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}

/** `<workerId>:<token>` (the worker id may itself contain colons). */
function parseLease(value: string | null, ttlMs: number): Lease | null {
  if (value === null) return null;
  const at = value.lastIndexOf(':');
  const token = Number(value.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(token)) return null;
  return { owner: value.slice(0, at), token, ttlMs: Math.max(0, ttlMs) };
}

/** The leases of these shards, read in one round trip. */
async function readLeases(redis: RedisConnection, keys: FleetKeys, shards: readonly ShardName[]): Promise<Map<ShardName, Lease | null>> {
  const leases = new Map<ShardName, Lease | null>();
  if (shards.length === 0) return leases;
  const pipeline = redis.pipeline();
  for (const shard of shards) pipeline.get(keys.lease(shard)).pttl(keys.lease(shard));
  const replies = (await pipeline.exec()) ?? [];
  shards.forEach((shard, i) => {
    const [getErr, value] = replies[2 * i] ?? [null, null];
    const [, ttl] = replies[2 * i + 1] ?? [null, -2];
    if (getErr) throw getErr;
    leases.set(shard, parseLease(value as string | null, Number(ttl)));
  });
  return leases;
}

const ageMs = (at: string | undefined, now: number) => {
  const ms = at === undefined ? NaN : now - Date.parse(at);
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms)) : null;
};

export async function readFleetState(redis: RedisConnection, keys: FleetKeys, now = Date.now()): Promise<FleetState> {
  const [targetsRaw, shardsRaw] = await Promise.all([redis.hgetall(keys.targets), redis.hgetall(keys.shards)]);
  const states = parseEach(targetsRaw, TargetState).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const shardStates = new Map(parseEach(shardsRaw, ShardState).map((s) => [s.shard, s]));
  const names = [...new Set([...shardStates.keys(), ...states.map((t) => t.shard)])].sort();
  const leases = await readLeases(redis, keys, names);

  const perShard = new Map<ShardName, number>();
  for (const t of states) perShard.set(t.shard, (perShard.get(t.shard) ?? 0) + 1);
  const shards = names.map((shard): FleetShardView => {
    const lease = leases.get(shard) ?? null;
    const published = shardStates.get(shard);
    return {
      shard,
      online: lease !== null,
      owner: lease?.owner ?? null,
      token: lease?.token ?? null,
      leaseTtlMs: lease?.ttlMs ?? null,
      renewedAgoMs: ageMs(published?.renewedAt, now),
      heldForMs: lease && published && published.owner === lease.owner ? ageMs(published.since, now) : null,
      targets: perShard.get(shard) ?? 0,
      migrationsId: published?.migrationsId ?? null,
      concurrency: published?.concurrency ?? null,
    };
  });
  const targets = states.map((t): FleetTargetView => ({ ...t, online: leases.get(t.shard) != null }));
  return { targets, shards };
}

/** The live owners' migration ids, grouped (agreed: at most one id). */
export function migrationsAgreement(shards: readonly FleetShardView[]): FleetStatusResponse['migrations'] {
  const byId = new Map<string, ShardName[]>();
  for (const s of shards) {
    if (!s.online || s.migrationsId === null) continue;
    byId.set(s.migrationsId, [...(byId.get(s.migrationsId) ?? []), s.shard]);
  }
  const ids = [...byId].map(([migrationsId, list]) => ({ migrationsId, shards: list }));
  return { agreed: ids.length <= 1, ids };
}

export async function fleetStatus(redis: RedisConnection, keys: FleetKeys, now = Date.now()): Promise<FleetStatusResponse> {
  const [{ targets, shards }, activeId] = await Promise.all([readFleetState(redis, keys, now), redis.get(keys.active)]);
  const count = (health: FleetTargetView['health']) => targets.filter((t) => t.health === health).length;
  const versions = new Map<number | null, number>();
  for (const t of targets) versions.set(t.version, (versions.get(t.version) ?? 0) + 1);
  const byVersion = [...versions]
    .map(([version, n]) => ({ version, targets: n }))
    .sort((a, b) => (b.version ?? -1) - (a.version ?? -1));
  const activeRun: FleetRun | null = activeId === null ? null : await readFleetRun(redis, keys, activeId);
  return {
    targets: {
      total: targets.length,
      ok: count('ok'),
      pending: count('pending'),
      failed: count('failed'),
      locked: count('locked'),
      unreadable: count('unreadable'),
      drifted: count('drifted'),
      offline: targets.filter((t) => !t.online).length,
      byVersion,
    },
    shards,
    activeRun,
    migrations: migrationsAgreement(shards),
    checkedAt: new Date(now).toISOString(),
  };
}
