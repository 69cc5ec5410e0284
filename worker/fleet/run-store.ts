// The coordinator's Redis side of a fleet run: the FleetRun record (saved and published as
// 'fleet:run'), per-target outcomes (fleetKeys().runTargets, published as 'fleet:target'),
// control requests (read, then trimmed once applied), the targets and shards the workers
// published, shard leases, and clearing the active-run key only while it still names
// this run. Every key comes from fleetKeys(prefix).
import type { RedisConnection } from '../../config/redis-connection.js';
import { FleetControl, FleetRun, ShardState, TargetOutcome, TargetState, fleetKeys, type FleetEvent } from '../../contract/index.js';
import { DEFAULT_KEY_PREFIX } from '../../fleet/options.js';
import { releaseActiveRun } from '../../fleet/records.js';

function parsedValues<T>(hash: Record<string, string>, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T[] {
  const out: T[] = [];
  for (const raw of Object.values(hash)) {
    try {
      const parsed = schema.safeParse(JSON.parse(raw));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // a malformed entry is left out, as if that worker had published nothing
    }
  }
  return out;
}

export class FleetRunStore {
  readonly keys: ReturnType<typeof fleetKeys>;

  constructor(
    private readonly redis: RedisConnection,
    keyPrefix = DEFAULT_KEY_PREFIX,
  ) {
    this.keys = fleetKeys(keyPrefix);
  }

  async read(runId: string): Promise<FleetRun | null> {
    const raw = await this.redis.get(this.keys.run(runId));
    if (raw === null) return null;
    const parsed = FleetRun.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  /** Saves the record and tells live clients. */
  async save(run: FleetRun): Promise<void> {
    const event: FleetEvent = { type: 'fleet:run', run };
    await this.redis.multi().set(this.keys.run(run.id), JSON.stringify(run)).publish(this.keys.events, JSON.stringify(event)).exec();
  }

  /** The outcomes already recorded for these targets (by the workers or earlier steps). */
  async outcomes(runId: string, ids: readonly string[]): Promise<Map<string, TargetOutcome>> {
    const found = new Map<string, TargetOutcome>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const values = await this.redis.hmget(this.keys.runTargets(runId), ...chunk);
      values.forEach((raw, j) => {
        if (raw === null) return;
        const parsed = TargetOutcome.safeParse(JSON.parse(raw));
        if (parsed.success) found.set(chunk[j]!, parsed.data);
      });
    }
    return found;
  }

  /** Every outcome the run recorded (the totals its end is announced with). */
  async allOutcomes(runId: string): Promise<TargetOutcome[]> {
    const all = await this.redis.hvals(this.keys.runTargets(runId));
    return all.flatMap((raw) => {
      const parsed = TargetOutcome.safeParse(JSON.parse(raw));
      return parsed.success ? [parsed.data] : [];
    });
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
    const all = await this.redis.hgetall(this.keys.runTargets(runId));
    return new Set(parsedValues(all, TargetOutcome).filter((o) => o.result === 'failed').map((o) => o.id));
  }

  /**
   * Control requests not applied yet, oldest first, and how many entries were read (a
   * malformed one is ignored but still trimmed): trimControls(read) once they are applied.
   */
  async controls(runId: string): Promise<{ controls: FleetControl[]; read: number }> {
    const raw = await this.redis.lrange(this.keys.control(runId), 0, -1);
    const controls = raw.flatMap((r) => {
      try {
        const parsed = FleetControl.safeParse(JSON.parse(r));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
    return { controls, read: raw.length };
  }

  async trimControls(runId: string, applied: number): Promise<void> {
    if (applied > 0) await this.redis.ltrim(this.keys.control(runId), applied, -1);
  }

  async targets(): Promise<TargetState[]> {
    return parsedValues(await this.redis.hgetall(this.keys.targets), TargetState);
  }

  async shards(): Promise<Map<string, ShardState>> {
    return new Map(parsedValues(await this.redis.hgetall(this.keys.shards), ShardState).map((s) => [s.shard, s]));
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
