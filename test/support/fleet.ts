// Fleet test helpers: publish a fleet's targets, shards and leases as workers do, request a
// fleet run through createFleetRun (what the API calls), push controls as the API does,
// and wait for fleet-run events on the fleet's pub/sub channel (no polling, no sleeps);
// and the template files test targets are copied from.
import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
import { FleetEvent, TargetOutcome, fleetKeys, type FleetControl, type FleetRun, type FleetRunRequest, type ShardState, type TargetState } from '../../contract/index.js';
import { requestControl } from '../../fleet/controls.js';
import { createFleetRun } from '../../fleet/create-run.js';
import { openFleetQueue } from '../../fleet/queue.js';

export interface FleetPrefixes {
  keyPrefix: string;
  bullPrefix: string;
}

export function targetState(id: string, shard: string, labels: Record<string, string> = {}, owner = `worker-${shard}`): TargetState {
  return { id, shard, path: `${id}.duckdb`, labels, version: 0, pending: 1, health: 'pending', owner, checkedAt: new Date().toISOString() };
}

export function shardState(shard: string, migrationsId = 'm1', renewedAt = new Date().toISOString()): ShardState {
  return { shard, owner: `worker-${shard}`, token: 1, since: renewedAt, renewedAt, targets: 0, migrationsId, concurrency: 2 };
}

/** What workers publish: target states, shard states and (for `leased`) a live lease. */
export async function publishFleet(redis: Redis, prefix: string, targets: TargetState[], shards: ShardState[], leased: string[] = shards.map((s) => s.shard)): Promise<void> {
  const keys = fleetKeys(prefix);
  if (targets.length > 0) await redis.hset(keys.targets, Object.fromEntries(targets.map((t) => [t.id, JSON.stringify(t)])));
  if (shards.length > 0) await redis.hset(keys.shards, Object.fromEntries(shards.map((s) => [s.shard, JSON.stringify(s)])));
  for (const shard of leased) await redis.set(keys.lease(shard), `worker-${shard}:1`, 'PX', 600_000);
}

/** Requests a fleet run as the API does; null when another run is active (the API's 409). */
export async function requestFleetRun(redis: Redis, { keyPrefix, bullPrefix }: FleetPrefixes, request: FleetRunRequest & { retryOf?: string }, requestedBy = 'test'): Promise<string | null> {
  const { retryOf, ...body } = request;
  const queue = openFleetQueue(redis, bullPrefix);
  try {
    const answer = await createFleetRun({ redis, queue, keyPrefix }, body, { requestedBy, ...(retryOf !== undefined && { retryOf }) });
    return answer.created ? answer.run.id : null;
  } finally {
    await queue.close();
  }
}

/** A control request as the API pushes it (fleet/controls.ts: queued, announced to clients and to a waiting coordinator). */
export async function control(redis: Redis, prefix: string, runId: string, action: FleetControl['action'], ids?: string[]): Promise<void> {
  const c: FleetControl = { action, requestedBy: 'ops', at: new Date().toISOString(), ...(ids && { ids }) };
  await requestControl(redis, fleetKeys(prefix), runId, c);
}

export async function readRun(redis: Redis, prefix: string, runId: string): Promise<FleetRun> {
  return JSON.parse((await redis.get(fleetKeys(prefix).run(runId)))!) as FleetRun;
}

/** Fleet events as they arrive; `next` resolves with the first (past or future) event that matches. */
export class FleetEvents {
  readonly events: FleetEvent[] = [];
  private waiters: { match: (event: FleetEvent) => boolean; resolve: (event: FleetEvent) => void }[] = [];

  private constructor(private readonly sub: Redis) {}

  static async open(url: string, prefix: string): Promise<FleetEvents> {
    const sub = new Redis(url, { maxRetriesPerRequest: null });
    // reconnects and subscribes again after a Redis restart; the errors meanwhile are expected
    sub.on('error', () => undefined);
    const log = new FleetEvents(sub);
    sub.on('message', (_channel, raw: string) => log.push(FleetEvent.parse(JSON.parse(raw))));
    await sub.subscribe(fleetKeys(prefix).events);
    return log;
  }

  private push(event: FleetEvent) {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(event)) return true;
      w.resolve(event);
      return false;
    });
  }

  next(match: (event: FleetEvent) => boolean, timeoutMs = 60_000): Promise<FleetEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching fleet event in ${timeoutMs} ms; last: ${JSON.stringify(this.events.at(-1))}`)), timeoutMs);
      this.waiters.push({ match, resolve: (event) => (clearTimeout(timer), resolve(event)) });
    });
  }

  /** The first run record that matches. */
  async until(match: (run: FleetRun) => boolean, timeoutMs?: number): Promise<FleetRun> {
    const event = await this.next((e) => e.type === 'fleet:run' && match(e.run), timeoutMs);
    return (event as Extract<FleetEvent, { type: 'fleet:run' }>).run;
  }

  /** The run's end (succeeded, failed, halted or cancelled). */
  finished(runId: string, timeoutMs?: number): Promise<FleetRun> {
    return this.until((r) => r.id === runId && r.finishedAt !== undefined, timeoutMs);
  }

  close(): void {
    this.sub.disconnect();
  }
}

/** A shard whose owner went away: its last ShardState stays, its lease is gone. */
export async function abandonShard(redis: Redis, prefix: string, shard: string): Promise<void> {
  await redis.del(fleetKeys(prefix).lease(shard));
}

export function outcome(over: Partial<TargetOutcome> & Pick<TargetOutcome, 'id' | 'result'>): TargetOutcome {
  return TargetOutcome.parse({ wave: 0, fromVersion: 2, toVersion: 3, applied: 1, durationMs: 5, finishedAt: new Date().toISOString(), ...over });
}

/** Per-target outcomes as fleet workers record them (HSET fleetKeys().runTargets). */
export async function recordOutcomes(redis: Redis, prefix: string, runId: string, outcomes: TargetOutcome[]): Promise<void> {
  await redis.hset(fleetKeys(prefix).runTargets(runId), Object.fromEntries(outcomes.map((o) => [o.id, JSON.stringify(o)])));
}

/**
 * Writes a target template with a `poison` table, holding a row when `poisoned`: a
 * migration that selects `error(…)` when the table has rows fails on exactly those targets.
 */
export async function writePoisonTemplate(path: string, poisoned: boolean): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  await connection.run('CREATE TABLE poison (x INTEGER)');
  if (poisoned) await connection.run('INSERT INTO poison VALUES (1)');
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
}
