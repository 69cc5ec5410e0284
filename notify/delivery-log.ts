// The delivery log: the last WEBHOOK_DELIVERIES_KEPT attempts (newest first) in one
// Redis list, written by the delivering worker and read by the API for admins.
import type { RedisConnection } from '../config/redis-connection.js';
import { WEBHOOK_DELIVERIES_KEPT, WebhookDelivery } from '../contract/index.js';

export async function recordDelivery(redis: RedisConnection, key: string, delivery: WebhookDelivery): Promise<void> {
  await redis.multi().lpush(key, JSON.stringify(delivery)).ltrim(key, 0, WEBHOOK_DELIVERIES_KEPT - 1).exec();
}

/** The logged attempts, newest first; entries another version wrote that do not parse are skipped. */
export async function readDeliveries(redis: RedisConnection, key: string, limit = WEBHOOK_DELIVERIES_KEPT): Promise<WebhookDelivery[]> {
  const raw = await redis.lrange(key, 0, limit - 1);
  return raw.flatMap((text) => {
    try {
      const parsed = WebhookDelivery.safeParse(JSON.parse(text));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}
