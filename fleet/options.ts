// The Redis prefixes every fleet module takes: `keyPrefix` for the fleet's own keys
// (contract fleetKeys) and `bullPrefix` for BullMQ's. Under Redis Cluster both carry the
// same hash tag (`{duckmig}`), so the fleet's multi-key updates and BullMQ's flows stay
// in one slot.
import type { Cluster, Redis } from 'ioredis';
import { fleetKeys } from '../contract/index.js';

export interface FleetPrefixes {
  /** default 'duckmig' */
  keyPrefix?: string;
  /** BullMQ's `prefix` option, default 'bull' */
  bullPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'duckmig';
export const DEFAULT_BULL_PREFIX = 'bull';

export type FleetKeys = ReturnType<typeof fleetKeys>;

/** A connection to one Redis or to a Redis Cluster (what the REDIS_URL topology makes: config/redis-connection.ts). */
export type RedisConnection = Redis | Cluster;
