// What else a fleet worker process runs beside its shard: the coordinator of fleet runs
// (a FLEET_QUEUE consumer, announcing fleet-run events through its own notifier) and, with
// DUCKMIG_WEBHOOKS, a delivery worker on the `webhooks` queue (a fleet may have no
// single-database worker to deliver them) register here. Each service starts once the shard's lease loop
// runs and closes, in reverse order, before the shard's consumer drains and its lease is
// released. The connections in the context are the process's: a service never closes them.
import type { RedisConnection } from '../../config/redis-connection.js';
import type { Logger } from 'pino';
import type { FleetConfig, WorkerConfig } from '../../config/worker.js';
import type { FleetKeys } from '../../fleet/options.js';
import { QUEUE_NAME, webhookKeys } from '../../contract/index.js';
import { startDeliveryWorker } from '../../notify/delivery-worker.js';
import { createNotifier } from '../../notify/notifier.js';
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
    start: async (ctx) => {
      const notifier = createNotifier(ctx.config.notifications, ctx.redis, ctx.logger, ctx.bullPrefix);
      const coordinator = await startCoordinator({
        connection: ctx.bullConnection,
        keyPrefix: ctx.keyPrefix,
        bullPrefix: ctx.bullPrefix,
        offlineAfterMs: ctx.fleet.offlineAfterMs,
        lockDurationMs: ctx.config.lockDurationMs,
        stalledIntervalMs: ctx.config.stalledIntervalMs,
        logger: ctx.logger,
        notify: (input) => notifier.notify(input),
      });
      return { close: () => coordinator.close().finally(() => notifier.close()) };
    },
  },
  {
    // delivers the webhooks queue (events of every process) where the API shows its log
    name: 'webhook deliveries',
    start: async (ctx) => {
      const settings = ctx.config.notifications;
      if (!settings) return { close: async () => undefined };
      const logKey = webhookKeys(QUEUE_NAME, ctx.keyPrefix).deliveries;
      const worker = startDeliveryWorker({ settings, connection: ctx.bullConnection, bullPrefix: ctx.bullPrefix, redis: ctx.redis, logKey, logger: ctx.logger });
      await worker.waitUntilReady();
      return { close: () => worker.close() };
    },
  },
];
