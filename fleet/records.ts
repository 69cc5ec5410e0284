// The fleet's records in Redis (fleetKeys), the one module that reads and writes them for
// the API and the coordinator: FleetRun records (saved and announced as `fleet:run`) and
// their per-target outcomes (recorded once, announced as `fleet:target`), any FleetEvent,
// control requests (read, then trimmed once applied), the targets and shards the workers
// published, shard leases, and the active-run slot, given up only while it still names the run.
import { FleetControl, FleetRun, ShardState, TargetOutcome, TargetState, fleetKeys, type FleetEvent } from '../contract/index.js';
import { DEFAULT_KEY_PREFIX, type FleetKeys, type RedisConnection } from './options.js';

/** A run's record, null when there is none (or it is not a FleetRun). */
export async function readFleetRun(redis: RedisConnection, keys: FleetKeys, id: string): Promise<FleetRun | null> {
  return parseRun(await redis.get(keys.run(id)));
}

/** The records of these runs, in the same order, skipping those that are gone. */
export async function readFleetRuns(redis: RedisConnection, keys: FleetKeys, ids: readonly string[]): Promise<FleetRun[]> {
  if (ids.length === 0) return [];
  const raw = await redis.mget(...ids.map((id) => keys.run(id)));
  return raw.map(parseRun).filter((run): run is FleetRun => run !== null);
}

function parseRun(raw: string | null): FleetRun | null {
  return raw === null ? null : parsed(raw, FleetRun);
}

/** A stored JSON value as `schema` says, null when it is not (a malformed entry counts as absent). */
function parsed<T>(raw: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T | null {
  try {
    const result = schema.safeParse(JSON.parse(raw));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

function parsedAll<T>(raws: readonly string[], schema: Parameters<typeof parsed<T>>[1]): T[] {
  return raws.flatMap((raw) => {
    const value = parsed(raw, schema);
    return value === null ? [] : [value];
  });
}

/** Every outcome recorded for a run so far (unparseable entries skipped). */
export async function readOutcomes(redis: RedisConnection, keys: FleetKeys, runId: string): Promise<TargetOutcome[]> {
  return parsedAll(await redis.hvals(keys.runTargets(runId)), TargetOutcome);
}

export async function publishFleetEvent(redis: RedisConnection, keys: FleetKeys, event: FleetEvent): Promise<void> {
  await redis.publish(keys.events, JSON.stringify(event));
}

/** Writes the record and announces it (`fleet:run`) in one round trip. */
export async function saveFleetRun(redis: RedisConnection, keys: FleetKeys, run: FleetRun): Promise<void> {
  const event: FleetEvent = { type: 'fleet:run', run };
  await redis.multi().set(keys.run(run.id), JSON.stringify(run)).publish(keys.events, JSON.stringify(event)).exec();
}

const RELEASE_ACTIVE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Frees the active-run slot if `runId` still holds it (another run may already have taken it). */
export async function releaseActiveRun(redis: RedisConnection, keys: FleetKeys, runId: string): Promise<boolean> {
  return (await redis.eval(RELEASE_ACTIVE, 1, keys.active, runId)) === 1;
}

/** The coordinator's view of the records of its fleet (one key prefix). */
export class FleetRunStore {
  readonly keys: FleetKeys;

  constructor(
    private readonly redis: RedisConnection,
    keyPrefix = DEFAULT_KEY_PREFIX,
  ) {
    this.keys = fleetKeys(keyPrefix);
  }

  read(runId: string): Promise<FleetRun | null> {
    return readFleetRun(this.redis, this.keys, runId);
  }

  /** Saves the record and tells live clients. */
  save(run: FleetRun): Promise<void> {
    return saveFleetRun(this.redis, this.keys, run);
  }

  /** The outcomes already recorded for these targets (by the workers or earlier steps). */
  async outcomes(runId: string, ids: readonly string[]): Promise<Map<string, TargetOutcome>> {
    const found = new Map<string, TargetOutcome>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const values = await this.redis.hmget(this.keys.runTargets(runId), ...chunk);
      values.forEach((raw, j) => {
        const outcome = raw === null ? null : parsed(raw, TargetOutcome);
        if (outcome) found.set(chunk[j]!, outcome);
      });
    }
    return found;
  }

  /** Every outcome the run recorded (the totals its end is announced with). */
  allOutcomes(runId: string): Promise<TargetOutcome[]> {
    return readOutcomes(this.redis, this.keys, runId);
  }

  /**
   * Records outcomes for targets that have none yet (a worker's own outcome is never
   * overwritten) and publishes those; returns the ones this call wrote.
   */
  async record(runId: string, outcomes: readonly TargetOutcome[]): Promise<TargetOutcome[]> {
    const written: TargetOutcome[] = [];
    for (let i = 0; i < outcomes.length; i += 1000) {
      const chunk = outcomes.slice(i, i + 1000);
      const setNx = this.redis.pipeline();
      for (const o of chunk) setNx.hsetnx(this.keys.runTargets(runId), o.id, JSON.stringify(o));
      const results = (await setNx.exec()) ?? [];
      const fresh = chunk.filter((_, j) => results[j]?.[1] === 1);
      if (fresh.length === 0) continue;
      const publish = this.redis.pipeline();
      for (const outcome of fresh) publish.publish(this.keys.events, JSON.stringify({ type: 'fleet:target', runId, outcome } satisfies FleetEvent));
      await publish.exec();
      written.push(...fresh);
    }
    return written;
  }

  /** The failed targets of an earlier run (a retry's selection). */
  async failedTargets(runId: string): Promise<Set<string>> {
    return new Set((await readOutcomes(this.redis, this.keys, runId)).filter((o) => o.result === 'failed').map((o) => o.id));
  }

  /**
   * Control requests not applied yet, oldest first, and how many entries were read (a
   * malformed one is ignored but still trimmed): trimControls(read) once they are applied.
   */
  async controls(runId: string): Promise<{ controls: FleetControl[]; read: number }> {
    const raw = await this.redis.lrange(this.keys.control(runId), 0, -1);
    return { controls: parsedAll(raw, FleetControl), read: raw.length };
  }

  async trimControls(runId: string, applied: number): Promise<void> {
    if (applied > 0) await this.redis.ltrim(this.keys.control(runId), applied, -1);
  }

  async targets(): Promise<TargetState[]> {
    return parsedAll(await this.redis.hvals(this.keys.targets), TargetState);
  }

  async shards(): Promise<Map<string, ShardState>> {
    return new Map(parsedAll(await this.redis.hvals(this.keys.shards), ShardState).map((s) => [s.shard, s]));
  }

  /** Which of these shards have a lease now. */
  async leased(shards: readonly string[]): Promise<Set<string>> {
    if (shards.length === 0) return new Set();
    const values = await this.redis.mget(...shards.map((s) => this.keys.lease(s)));
    return new Set(shards.filter((_, i) => values[i] !== null));
  }

  async activeRun(): Promise<string | null> {
    return this.redis.get(this.keys.active);
  }

  /** Frees the fleet for the next run, unless the key already names another run. */
  async clearActive(runId: string): Promise<boolean> {
    return releaseActiveRun(this.redis, this.keys, runId);
  }
}
