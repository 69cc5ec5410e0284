// What else a fleet worker process runs beside its shard: the coordinator of fleet runs
// (a FLEET_QUEUE consumer) registers here. Each service starts once the shard's lease loop
// runs and closes, in reverse order, before the shard's consumer drains and its lease is
// released. The connections in the context are the process's: a service never closes them.
import type { RedisConnection } from '../../config/redis-connection.js';
import type { Logger } from 'pino';
import type { FleetConfig, WorkerConfig } from '../../config/worker.js';
import type { FleetKeys } from '../../fleet/options.js';
import { startCoordinator } from './coordinator-worker.js';

export interface FleetServiceContext {
  config: WorkerConfig;
  fleet: FleetConfig;
  redisUrl: string;
  keyPrefix: string;
  bullPrefix: string;
  keys: FleetKeys;
  /** commands and pub/sub publishing (not for blocking or subscribing) */
  redis: RedisConnection;
  /** BullMQ's connection, shareable by Queues and Workers */
  bullConnection: RedisConnection;
  logger: Logger;
  /** the migrations id of this worker's files now */
  migrationsId(): Promise<string>;
}

export interface FleetService {
  close(): Promise<void>;
}

export interface FleetServiceEntry {
  name: string;
  start(ctx: FleetServiceContext): Promise<FleetService>;
}

/** The services every fleet worker runs, in start order. */
export const FLEET_SERVICES: readonly FleetServiceEntry[] = [
  {
    // fleet-run coordinators (FLEET_QUEUE, concurrency 1) and the owner-offline sweep
    name: 'fleet coordinator',
    start: (ctx) =>
      startCoordinator({
        connection: ctx.bullConnection,
        keyPrefix: ctx.keyPrefix,
        bullPrefix: ctx.bullPrefix,
        offlineAfterMs: ctx.fleet.offlineAfterMs,
        lockDurationMs: ctx.config.lockDurationMs,
        stalledIntervalMs: ctx.config.stalledIntervalMs,
        logger: ctx.logger,
      }),
  },
];
