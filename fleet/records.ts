// The fleet-run records in Redis (fleetKeys): read one or many FleetRun records and their
// per-target outcomes, save a record and announce it as a `fleet:run` event, publish any
// FleetEvent, and give up the active-run slot only while it still names the run.
import type { RedisConnection } from './options.js';
import { FleetRun, TargetOutcome, type FleetEvent } from '../contract/index.js';
import type { FleetKeys } from './options.js';

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
  if (raw === null) return null;
  const parsed = FleetRun.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : null;
}

/** Every outcome recorded for a run so far (unparseable entries skipped). */
export async function readOutcomes(redis: RedisConnection, keys: FleetKeys, runId: string): Promise<TargetOutcome[]> {
  const raw = await redis.hvals(keys.runTargets(runId));
  return raw.flatMap((text) => {
    const parsed = TargetOutcome.safeParse(JSON.parse(text));
    return parsed.success ? [parsed.data] : [];
  });
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
