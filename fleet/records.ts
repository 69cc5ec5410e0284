// The fleet-run records in Redis (fleetKeys): publish a FleetEvent, and give up the
// active-run slot only while it still names the run.
import type { Redis } from 'ioredis';
import type { FleetEvent } from '../contract/index.js';
import type { FleetKeys } from './options.js';

export async function publishFleetEvent(redis: Redis, keys: FleetKeys, event: FleetEvent): Promise<void> {
  await redis.publish(keys.events, JSON.stringify(event));
}

const RELEASE_ACTIVE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Frees the active-run slot if `runId` still holds it (another run may already have taken it). */
export async function releaseActiveRun(redis: Redis, keys: FleetKeys, runId: string): Promise<boolean> {
  return (await redis.eval(RELEASE_ACTIVE, 1, keys.active, runId)) === 1;
}
