// Delivers the `webhooks` queue: one job = one event for one endpoint, one attempt per
// BullMQ attempt (a failed attempt throws, BullMQ retries with exponential backoff).
// Concurrency 1, so events reach an endpoint in the order they were emitted while
// deliveries succeed. Every attempt is written to the delivery log.
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { WEBHOOK_QUEUE_NAME, WebhookJobData, type WebhookDelivery } from '../contract/index.js';
import type { NotificationSettings } from '../config/governance.js';
import { DEFAULT_BULL_PREFIX, type RedisConnection } from '../config/redis-connection.js';
import { recordDelivery } from './delivery-log.js';
import { postOnce } from './post.js';
import { webhookBody, webhookHeaders } from './webhook-body.js';

export interface DeliveryWorkerDeps {
  settings: NotificationSettings;
  /** the worker's own connection (blocking commands) */
  connection: RedisConnection;
  /** BullMQ's prefix (the REDIS_URL topology's; default bull) */
  bullPrefix?: string;
  /** a command connection for the delivery log */
  redis: RedisConnection;
  /** the delivery log's key (webhookKeys(queue).deliveries) */
  logKey: string;
  logger: Logger;
}

export function startDeliveryWorker({ settings, connection, bullPrefix = DEFAULT_BULL_PREFIX, redis, logKey, logger }: DeliveryWorkerDeps): Worker<WebhookJobData> {
  const byId = new Map(settings.endpoints.map((e) => [e.id, e]));
  const log = logger.child({ component: 'webhooks' });

  async function deliver(job: Job<WebhookJobData>): Promise<void> {
    const { endpointId, notification } = WebhookJobData.parse(job.data);
    const deliveryId = job.id ?? `${notification.id}-${endpointId}`;
    const endpoint = byId.get(endpointId);
    const attempt = job.attemptsMade + 1;
    const entry = (fields: Pick<WebhookDelivery, 'statusCode' | 'ok' | 'error' | 'durationMs'>, format: WebhookDelivery['endpoint']['format'], host: string): WebhookDelivery => ({
      deliveryId,
      event: notification.event,
      jobId: notification.jobId ?? null,
      endpoint: { id: endpointId, format, host },
      attempt,
      ...fields,
      at: new Date().toISOString(),
    });
    if (!endpoint) {
      // queued by a process whose DUCKMIG_WEBHOOKS lists an endpoint this one does not
      await recordDelivery(redis, logKey, entry({ statusCode: null, ok: false, error: 'endpoint-unknown', durationMs: 0 }, 'json', 'unknown'));
      throw new Error(`endpoint ${endpointId} is not configured in this worker's DUCKMIG_WEBHOOKS`);
    }
    const timestamp = Date.now();
    const body = webhookBody(endpoint.format, deliveryId, notification, timestamp);
    const outcome = await postOnce(endpoint.url, body, webhookHeaders(settings.secret, deliveryId, notification, timestamp, body), settings.timeoutMs);
    await recordDelivery(redis, logKey, entry(outcome, endpoint.format, endpoint.host)).catch((err: unknown) => log.warn({ err }, 'delivery not logged'));
    // logged once the attempt is in the delivery log
    const fields = { event: 'webhook:delivery', deliveryId, attempt, notification: notification.event, endpoint: endpoint.id, host: endpoint.host, ...outcome };
    if (outcome.ok) {
      log.info(fields, `${notification.event} delivered to ${endpoint.host} (attempt ${attempt}, ${outcome.durationMs} ms)`);
      return;
    }
    log.warn(fields, `${notification.event} to ${endpoint.host} failed (attempt ${attempt}): ${outcome.error} ${outcome.statusCode ?? ''}`.trim());
    throw new Error(`delivery failed: ${outcome.error}${outcome.statusCode ? ` ${outcome.statusCode}` : ''}`);
  }

  const worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE_NAME, deliver, { connection, prefix: bullPrefix, concurrency: 1 });
  worker.on('error', (err) => log.warn({ err: { message: err.message } }, 'webhook worker error'));
  return worker;
}
