// notify(event): the one function every emitter calls (the API for queued runs, the
// worker for started/succeeded/failed; approvals, undo, fleet runs and drift checks
// likewise). It stamps the event once (id, time) and adds one job per configured endpoint
// to the `webhooks` queue, which the worker delivers with retries. It never throws: a
// notification that cannot be queued is logged, and the run goes on.
import { randomUUID } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import { WEBHOOK_QUEUE_NAME, type Notification, type NotificationInput, type WebhookJobData } from '../contract/index.js';
import type { NotificationSettings } from '../config/governance.js';
import { DEFAULT_BULL_PREFIX, type RedisConnection } from '../config/redis-connection.js';

/** Five attempts, 1 s, 2 s, 4 s and 8 s apart; finished deliveries are trimmed (the delivery log keeps their story). */
export const DELIVERY_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { count: 500 },
  removeOnFail: { count: 500 },
};

export interface Notifier {
  notify(input: NotificationInput): Promise<void>;
  close(): Promise<void>;
}

const SILENT: Notifier = { notify: async () => undefined, close: async () => undefined };

/** A notifier for the configured endpoints, on `connection` (a command connection; not closed by close()); `bullPrefix`: the REDIS_URL topology's. */
export function createNotifier(settings: NotificationSettings | undefined, connection: RedisConnection, logger: Logger, bullPrefix = DEFAULT_BULL_PREFIX): Notifier {
  if (!settings) return SILENT;
  const queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE_NAME, { connection, prefix: bullPrefix });
  queue.on('error', (err) => logger.warn({ err: { message: err.message } }, 'webhook queue error'));
  // one delivery at a time across every process that delivers (a worker, fleet workers): events keep their order
  queue.setGlobalConcurrency(1).catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'webhook queue concurrency not set'));
  return {
    async notify(input) {
      const notification: Notification = { ...input, id: randomUUID(), at: new Date().toISOString() };
      try {
        await queue.addBulk(
          settings.endpoints.map((endpoint) => ({
            name: input.event,
            data: { endpointId: endpoint.id, notification },
            // the delivery id: the same for every attempt, one per endpoint and event
            opts: { ...DELIVERY_JOB_OPTIONS, jobId: `${notification.id}-${endpoint.id}` },
          })),
        );
      } catch (err) {
        logger.warn({ event: 'webhook:not-queued', notification: input.event, jobId: input.jobId, err: { message: (err as Error).message } }, `${input.event} notification not queued`);
      }
    },
    close: () => queue.close(),
  };
}
